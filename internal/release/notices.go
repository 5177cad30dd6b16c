package release

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// Module is one Go module compiled into pb, with its folder in the module
// cache (where its licence is read from).
type Module struct {
	Path, Version, Dir string
}

// Component is third-party software shipped in pb, with its licence texts.
type Component struct {
	Name, Version string
	Licenses      []File
}

// File is a licence file: its name and its text.
type File struct {
	Name string
	Text []byte
}

// NoticeOSes are the systems whose builds the notices cover: a module can be
// compiled in for one OS only (golang.org/x/sys/windows, go-isatty).
var NoticeOSes = []string{"linux", "darwin", "windows"}

// BuildModules lists the modules compiled into the package pkg of the
// module in dir, for each of the systems goos, each module once, sorted
// by path. It asks "go list -deps", which sees exactly what the linker
// gets for that system.
func BuildModules(ctx context.Context, goCmd, dir, pkg string, goos []string) ([]Module, error) {
	seen := map[string]Module{}
	const format = `{{with .Module}}{{if not .Main}}{{.Path}}	{{.Version}}	{{if .Replace}}{{.Replace.Dir}}{{else}}{{.Dir}}{{end}}{{end}}{{end}}`
	for _, system := range goos {
		cmd := exec.CommandContext(ctx, goCmd, "list", "-deps", "-f", format, pkg)
		cmd.Dir = dir
		cmd.Env = append(cmd.Environ(), "GOOS="+system, "CGO_ENABLED=0")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("go list -deps %s for %s: %w: %s", pkg, system, err, bytes.TrimSpace(stderr.Bytes()))
		}
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			f := strings.Split(sc.Text(), "\t")
			if len(f) != 3 {
				continue // a standard-library package: no module
			}
			m := Module{Path: f[0], Version: f[1], Dir: f[2]}
			if m.Dir == "" {
				return nil, fmt.Errorf("module %s %s is not in the module cache (run go mod download)", m.Path, m.Version)
			}
			seen[m.Path] = m
		}
	}
	mods := make([]Module, 0, len(seen))
	for _, m := range seen {
		mods = append(mods, m)
	}
	slices.SortFunc(mods, func(a, b Module) int { return strings.Compare(a.Path, b.Path) })
	return mods, nil
}

// licenceName matches the files that carry a licence or a notice the
// licence asks to keep.
var licenceName = regexp.MustCompile(`(?i)^(licen[cs]e|copying|notices?|patents|unlicense)([._-].*)?$`)

// LicenseFiles reads the licence files at the top of dir, sorted by name.
// A folder without one is an error: nothing may ship without its licence.
func LicenseFiles(dir string) ([]File, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("licence files: %w", err)
	}
	var files []File
	for _, e := range entries {
		if !e.Type().IsRegular() || !licenceName.MatchString(e.Name()) || strings.HasSuffix(e.Name(), ".go") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("licence files: %w", err)
		}
		files = append(files, File{Name: e.Name(), Text: b})
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no licence file in %s", dir)
	}
	return files, nil
}

// ModuleComponents reads each module's licence files.
func ModuleComponents(mods []Module) ([]Component, error) {
	var cs []Component
	for _, m := range mods {
		files, err := LicenseFiles(m.Dir)
		if err != nil {
			return nil, fmt.Errorf("module %s %s: %w", m.Path, m.Version, err)
		}
		cs = append(cs, Component{Name: m.Path, Version: m.Version, Licenses: files})
	}
	return cs, nil
}

// VendoredComponents reads the dashboard's vendored front-end files: one
// folder <name>-<version> each under dir (internal/web/static/vendor).
func VendoredComponents(dir string) ([]Component, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("vendored files: %w", err)
	}
	var cs []Component
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		i := strings.LastIndex(e.Name(), "-")
		if i <= 0 {
			return nil, fmt.Errorf("vendored folder %s is not named <name>-<version>", e.Name())
		}
		files, err := LicenseFiles(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("vendored %s: %w", e.Name(), err)
		}
		cs = append(cs, Component{Name: e.Name()[:i], Version: e.Name()[i+1:], Licenses: files})
	}
	return cs, nil
}

// CSource is third-party C source vendored in the repository and compiled
// into an object that pb embeds (not a Go module, not a dashboard file).
type CSource struct {
	Name, Version string
	Dir           string   // its folder, relative to the repository, with its licence file
	Files         []string // the vendored files in Dir
	From          string   // where the files were taken from
}

// CSources are the vendored C files: libbpf's helper headers, compiled
// into the per-app eBPF object (internal/apps/count_bpf*.o). libbpf is
// under LGPL-2.1 OR BSD-2-Clause; pb takes it under BSD-2-Clause.
var CSources = []CSource{{
	Name: "libbpf", Version: "0.6.1", Dir: "internal/apps/bpf",
	Files: []string{"bpf_helpers.h", "bpf_helper_defs.h"},
	From:  "github.com/cilium/ebpf v0.22.0 examples/headers (libbpf v0.6.1's src/, LGPL-2.1 OR BSD-2-Clause, used under BSD-2-Clause)",
}}

// CSourceComponents reads the licence files of each of srcs under root.
func CSourceComponents(root string, srcs []CSource) ([]Component, error) {
	var cs []Component
	for _, s := range srcs {
		for _, f := range s.Files {
			if _, err := os.Stat(filepath.Join(root, s.Dir, f)); err != nil {
				return nil, fmt.Errorf("vendored %s %s: %w", s.Name, s.Version, err)
			}
		}
		files, err := LicenseFiles(filepath.Join(root, s.Dir))
		if err != nil {
			return nil, fmt.Errorf("vendored %s %s: %w", s.Name, s.Version, err)
		}
		cs = append(cs, Component{Name: s.Name, Version: s.Version, Licenses: files})
	}
	return cs, nil
}

// Header names a component's section in the notices; tests look for it.
func Header(name, version string) string {
	return "== " + name + " " + version + " =="
}

// WriteNotices writes THIRD_PARTY_NOTICES: a list of everything, then each
// component's licence texts in full. goLicense is the Go distribution's
// LICENSE (its runtime and standard library are in every binary); csrc are
// CSources' components, in the same order.
func WriteNotices(w io.Writer, goLicense []byte, modules, vendored, csrc []Component) error {
	var b bytes.Buffer
	b.WriteString(`Third-party software in PacketBuddy (pb)

pb itself is under the MIT licence (LICENSE). Its binary also contains the
software below, each under its own licence, reproduced in full after the
list. This file is generated by "go run ./cmd/pbpkg notices" from the Go
modules compiled into pb for Linux, macOS and Windows, from the
dashboard's vendored files (internal/web/static/vendor) and from the
vendored C files compiled into its eBPF object.

The Go runtime and standard library
`)
	b.WriteString("\nGo modules:\n")
	for _, c := range modules {
		fmt.Fprintf(&b, "  %s %s\n", c.Name, c.Version)
	}
	b.WriteString("\nDashboard files (served by pb, from the npm registry):\n")
	for _, c := range vendored {
		fmt.Fprintf(&b, "  %s %s\n", c.Name, c.Version)
	}
	b.WriteString("\nC files compiled into the per-app eBPF object (internal/apps/bpf):\n")
	for i, c := range csrc {
		fmt.Fprintf(&b, "  %s %s: %s, from %s\n", c.Name, c.Version, strings.Join(CSources[i].Files, ", "), CSources[i].From)
	}
	section := func(c Component) {
		b.WriteString("\n\n" + Header(c.Name, c.Version) + "\n")
		for _, f := range c.Licenses {
			b.WriteString("\n--- " + f.Name + " ---\n\n")
			b.Write(bytes.TrimRight(f.Text, "\n"))
			b.WriteByte('\n')
		}
	}
	section(Component{Name: "Go", Version: "runtime and standard library", Licenses: []File{{Name: "LICENSE", Text: goLicense}}})
	for _, c := range modules {
		section(c)
	}
	for _, c := range vendored {
		section(c)
	}
	for _, c := range csrc {
		section(c)
	}
	_, err := w.Write(b.Bytes())
	return err
}
