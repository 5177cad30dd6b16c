package usage

import (
	"fmt"
	"path"
)

// Policy decides which interfaces the user-facing total counts. Each byte must
// be counted once: loopback, container/VM plumbing and tunnels carry bytes that
// are already counted on the physical link beneath (or never leave the
// machine), so by default only physical uplinks count. Include and Exclude are
// interface-name globs (path.Match syntax) that override the default; Exclude
// wins over Include.
type Policy struct {
	Include []string
	Exclude []string
}

// Validate checks every glob.
func (p Policy) Validate() error {
	for _, g := range append(append([]string(nil), p.Include...), p.Exclude...) {
		if _, err := path.Match(g, ""); err != nil {
			return fmt.Errorf("interface pattern %q: %w", g, err)
		}
	}
	return nil
}

// Counted reports whether an interface with this name and kind counts in the
// total.
func (p Policy) Counted(name, kind string) bool {
	if matchAny(p.Exclude, name) {
		return false
	}
	if matchAny(p.Include, name) {
		return true
	}
	switch kind {
	case "loopback", "virtual", "tunnel":
		return false
	}
	return true // ethernet, wifi, cellular, and kinds we could not tell (better seen than lost)
}

func matchAny(globs []string, name string) bool {
	for _, g := range globs {
		if ok, _ := path.Match(g, name); ok {
			return true
		}
	}
	return false
}
