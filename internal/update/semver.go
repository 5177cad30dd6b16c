package update

import (
	"fmt"
	"strconv"
	"strings"
)

// semver is a parsed semantic version: MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD].
type semver struct {
	major, minor, patch uint64
	pre                 []string // dot-separated prerelease identifiers
}

// parseSemver parses a version with or without a leading "v".
func parseSemver(s string) (semver, error) {
	v := strings.TrimPrefix(strings.TrimSpace(s), "v")
	v, _, _ = strings.Cut(v, "+") // build metadata does not order
	core, pre, hasPre := strings.Cut(v, "-")
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return semver{}, fmt.Errorf("version %q is not MAJOR.MINOR.PATCH", s)
	}
	var n [3]uint64
	for i, p := range parts {
		if p == "" || (len(p) > 1 && p[0] == '0') {
			return semver{}, fmt.Errorf("version %q: bad number %q", s, p)
		}
		x, err := strconv.ParseUint(p, 10, 64)
		if err != nil {
			return semver{}, fmt.Errorf("version %q: bad number %q", s, p)
		}
		n[i] = x
	}
	out := semver{major: n[0], minor: n[1], patch: n[2]}
	if hasPre {
		if pre == "" {
			return semver{}, fmt.Errorf("version %q: empty prerelease", s)
		}
		out.pre = strings.Split(pre, ".")
		for _, id := range out.pre {
			if id == "" {
				return semver{}, fmt.Errorf("version %q: empty prerelease identifier", s)
			}
		}
	}
	return out, nil
}

// compareVersions orders two versions by semantic-versioning precedence:
// -1 if a < b, 0 if equal, +1 if a > b.
func compareVersions(a, b string) (int, error) {
	va, err := parseSemver(a)
	if err != nil {
		return 0, err
	}
	vb, err := parseSemver(b)
	if err != nil {
		return 0, err
	}
	return va.compare(vb), nil
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (a semver) compare(b semver) int {
	if c := cmpUint(a.major, b.major); c != 0 {
		return c
	}
	if c := cmpUint(a.minor, b.minor); c != 0 {
		return c
	}
	if c := cmpUint(a.patch, b.patch); c != 0 {
		return c
	}
	// A release is newer than any of its prereleases.
	switch {
	case len(a.pre) == 0 && len(b.pre) == 0:
		return 0
	case len(a.pre) == 0:
		return 1
	case len(b.pre) == 0:
		return -1
	}
	for i := 0; i < len(a.pre) && i < len(b.pre); i++ {
		x, y := a.pre[i], b.pre[i]
		nx, errx := strconv.ParseUint(x, 10, 64)
		ny, erry := strconv.ParseUint(y, 10, 64)
		switch {
		case errx == nil && erry == nil:
			if c := cmpUint(nx, ny); c != 0 {
				return c
			}
		case errx == nil: // numeric identifiers sort before alphanumeric ones
			return -1
		case erry == nil:
			return 1
		default:
			if c := strings.Compare(x, y); c != 0 {
				return c
			}
		}
	}
	return cmpUint(uint64(len(a.pre)), uint64(len(b.pre)))
}
