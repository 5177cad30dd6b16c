package layers

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/packetbuddy/pb/"

// graph is `go list -deps` of some packages: each package's direct imports.
type graph map[string][]string

// watchSources stats every Go file and the module files, so that go test's
// cache, which sees only what the test itself opens, reruns this test when
// any of them changes instead of replaying a stale pass.
func watchSources(t *testing.T) {
	t.Helper()
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); p != root && (strings.HasPrefix(n, ".") || n == "testdata" || n == "artifacts") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(p, ".go") || d.Name() == "go.mod" || d.Name() == "go.sum" {
			_, err = os.Stat(p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// load lists roots and everything they import for goos, as the release
// build (CGO_ENABLED=0) sees them.
func load(t *testing.T, goos string, roots ...string) graph {
	t.Helper()
	watchSources(t)
	// go test puts the go command that runs it first on PATH; a missing one
	// is a broken setup, never a reason to skip.
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list dependencies: %v", err)
	}
	args := append([]string{"list", "-deps", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}"}, roots...)
	cmd := exec.Command(gobin, args...)
	cmd.Env = append(cmd.Environ(), "GOOS="+goos, "GOARCH=amd64", "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("go list for %s: %v\n%s", goos, err, msg)
	}
	g := graph{}
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		if len(f) > 0 {
			g[f[0]] = f[1:]
		}
	}
	for _, r := range roots {
		if strings.HasSuffix(r, "/...") {
			continue
		}
		if _, ok := g[r]; !ok {
			t.Fatalf("go list did not list %s for %s", r, goos)
		}
	}
	return g
}

// path returns a chain of imports from root to target, or nil when root
// does not reach target.
func (g graph) path(root, target string) []string {
	prev := map[string]string{root: ""}
	queue := []string{root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if p == target {
			var chain []string
			for ; p != ""; p = prev[p] {
				chain = append(chain, p)
			}
			slices.Reverse(chain)
			return chain
		}
		for _, q := range g[p] {
			if _, seen := prev[q]; !seen {
				prev[q] = p
				queue = append(queue, q)
			}
		}
	}
	return nil
}

// importers returns the packages reachable from root that import target
// directly.
func (g graph) importers(root, target string) []string {
	var out []string
	for p, imps := range g {
		if slices.Contains(imps, target) && g.path(root, p) != nil {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

var targets = []string{"linux", "darwin", "windows"}

// TestDataPackagesDoNoOtherIO: the packages that hold data and SQL depend
// on no HTTP client and run no programs, and the SQL adapters name no
// database driver: the wiring layer registers it (internal/sqlite), so the
// SQLite driver's C library translation, whose system() and popen() use
// os/exec, stays outside them.
func TestDataPackagesDoNoOtherIO(t *testing.T) {
	t.Parallel()
	pkgs := []string{"internal/plan", "internal/usage", "internal/store", "internal/sync"}
	roots := make([]string, len(pkgs))
	for i, p := range pkgs {
		roots[i] = module + p
	}
	for _, goos := range targets {
		t.Run(goos, func(t *testing.T) {
			t.Parallel()
			g := load(t, goos, roots...)
			for _, p := range pkgs {
				root := module + p
				for _, target := range []string{"net/http", "os/exec"} {
					if chain := g.path(root, target); chain != nil {
						t.Errorf("%s reaches %s: %s", p, target, strings.Join(chain, " → "))
					}
				}
				// The driver's entry points: modernc.org packages that a
				// package of another origin imports.
				for dep := range g {
					if !strings.HasPrefix(dep, "modernc.org/") {
						continue
					}
					for _, via := range g.importers(root, dep) {
						if !strings.HasPrefix(via, "modernc.org/") {
							t.Errorf("%s reaches %s: %s → %s", p, dep, strings.Join(g.path(root, via), " → "), dep)
						}
					}
				}
			}
		})
	}
}

// TestOnlyTheDriverPackageImportsTheDriver: of all our packages, only
// internal/sqlite imports modernc.org/sqlite (or anything else of
// modernc.org); the rest open the database by the driver's name.
func TestOnlyTheDriverPackageImportsTheDriver(t *testing.T) {
	t.Parallel()
	const driverPkg = module + "internal/sqlite"
	for _, goos := range targets {
		t.Run(goos, func(t *testing.T) {
			t.Parallel()
			g := load(t, goos, module+"...")
			if _, ok := g[driverPkg]; !ok {
				t.Fatalf("go list did not list %s", driverPkg)
			}
			if !slices.Contains(g[driverPkg], "modernc.org/sqlite") {
				t.Errorf("%s does not import modernc.org/sqlite: %v", driverPkg, g[driverPkg])
			}
			for p, imps := range g {
				if !strings.HasPrefix(p, module) || p == driverPkg {
					continue
				}
				for _, imp := range imps {
					if strings.HasPrefix(imp, "modernc.org/") {
						t.Errorf("%s imports %s; import %s for the driver instead", p, imp, driverPkg)
					}
				}
			}
		})
	}
}

// TestHelpersOnlyInTests: the test-helper packages are not part of pb.
func TestHelpersOnlyInTests(t *testing.T) {
	t.Parallel()
	helpers := []string{"internal/golden", "internal/chromium", "internal/logbuf", "internal/pgtest", "internal/netlab"}
	for _, goos := range targets {
		t.Run(goos, func(t *testing.T) {
			t.Parallel()
			g := load(t, goos, module+"cmd/pb")
			for _, h := range helpers {
				if chain := g.path(module+"cmd/pb", module+h); chain != nil {
					t.Errorf("pb imports the test helper %s: %s", h, strings.Join(chain, " → "))
				}
			}
		})
	}
}
