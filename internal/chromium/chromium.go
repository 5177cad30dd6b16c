// Package chromium finds the headless browser that the dashboard and report
// tests drive, and the folder where those tests leave what a person should
// look at (screenshots, PDFs, timings).
//
// The browser is Debian's chromium (scripts/install-chromium.sh installs it),
// another Chromium or Chrome on PATH, or the program PB_CHROMIUM names.
// Under CI=true a missing browser fails the test, so CI can never pass
// without running the browser tests; elsewhere the test is skipped with a
// message saying how to install one.
//
// It is for _test.go files only: production code must not import it (a
// test in internal/layers checks that). The browser tests themselves live
// beside what they test (internal/web/e2e, internal/report), so this helper
// is a package of its own rather than part of either.
package chromium

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// names are the programs looked for on PATH, in order.
var names = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// Find returns the path of the browser. When there is none it fails tb
// under CI=true and skips it otherwise.
func Find(tb testing.TB) string {
	tb.Helper()
	p, err := lookup(os.Getenv, exec.LookPath)
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		tb.Fatal("chromium is not installed; run scripts/install-chromium.sh (CI must run the browser tests)")
	}
	tb.Skip("chromium is not installed (scripts/install-chromium.sh installs Debian's); skipping the browser test")
	return ""
}

// errNotFound is lookup's answer when no browser is found.
var errNotFound = errors.New("no chromium on PATH and PB_CHROMIUM unset")

// lookup is Find's search, with the environment and PATH passed in so the
// order can be tested without installing browsers.
func lookup(getenv func(string) string, lookPath func(string) (string, error)) (string, error) {
	if p := getenv("PB_CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range names {
		if p, err := lookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errNotFound
}

// ArtifactDir returns the absolute path of $PB_ARTIFACTS, or of artifacts/
// at the root of the module the test runs in, creating it if needed.
func ArtifactDir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("PB_ARTIFACTS")
	if dir == "" {
		root, err := moduleRoot()
		if err != nil {
			tb.Fatal(err)
		}
		dir = filepath.Join(root, "artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		tb.Fatal(err)
	}
	return abs
}

// moduleRoot is the nearest folder at or above the working directory (a
// test's package folder) holding a go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the test's folder")
		}
		dir = parent
	}
}
