// Package golden compares test output with golden files in a package's
// testdata/ folder, and rewrites them when the tests run with -update:
//
//	go test ./internal/api -run TestEndpointsGolden -update
//
// It registers the one -update flag every package's tests share, so a
// package that imports it must not define its own. It also loads the fixed
// time zones golden fixtures are pinned to, from the Go binary's own copy
// of the zone database, so output never depends on the machine's zoneinfo.
//
// It is for _test.go files only: production code must not import it (a
// test in internal/layers checks that).
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
	_ "time/tzdata" // fixture zones load on machines without zoneinfo files

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ with the output of this run")

// Updating reports whether the tests run with -update, for tests that write
// golden files of their own kind.
func Updating() bool { return *update }

// Check compares got with testdata/name (name may have folders) and fails
// tb with a diff when they differ. Under -update it writes got there
// instead, creating folders as needed.
func Check(tb testing.TB, name string, got []byte) {
	tb.Helper()
	path := filepath.Join("testdata", filepath.FromSlash(name))
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (go test -update creates it)", err)
	}
	if !bytes.Equal(got, want) {
		tb.Errorf("%s differs from the golden file (go test -update rewrites it) (-want +got):\n%s", path, cmp.Diff(string(want), string(got)))
	}
}

// Location loads an IANA zone that a test's fixture is pinned to. The zone
// database is compiled in, so a known name always loads; an unknown one is
// a mistake in the test, and Location panics so it can be used in package
// variables.
func Location(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic("golden: " + err.Error())
	}
	return loc
}
