package release

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// repoRoot is the repository, two folders up from this package.
const repoRoot = "../.."

func goLicense(t *testing.T) []byte {
	t.Helper()
	root, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(root)), "LICENSE"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestNoticesCoverTheBuild checks that the committed THIRD_PARTY_NOTICES has
// a section, with a licence text, for every module "go list -deps" puts in
// ./cmd/pb on each OS and for every vendored dashboard folder, and that it
// is exactly what "go run ./cmd/pbpkg notices" writes today.
func TestNoticesCoverTheBuild(t *testing.T) {
	committed, err := os.ReadFile(filepath.Join(repoRoot, "THIRD_PARTY_NOTICES"))
	if err != nil {
		t.Fatalf("THIRD_PARTY_NOTICES: %v (write it with: go run ./cmd/pbpkg notices -o THIRD_PARTY_NOTICES)", err)
	}
	mods, err := BuildModules(context.Background(), "go", repoRoot, "./cmd/pb", NoticeOSes)
	if err != nil {
		t.Fatal(err)
	}
	// The build list has the modules go.mod names for the binary; a few
	// are known to be there on every OS, so an empty list cannot pass.
	for _, want := range []string{"modernc.org/sqlite", "github.com/jackc/pgx/v5", "golang.org/x/sys", "github.com/BurntSushi/toml"} {
		if !containsModule(mods, want) {
			t.Errorf("go list -deps ./cmd/pb does not list %s", want)
		}
	}
	vendored, err := VendoredComponents(filepath.Join(repoRoot, "internal", "web", "static", "vendor"))
	if err != nil {
		t.Fatal(err)
	}
	if len(vendored) == 0 {
		t.Fatal("no vendored dashboard folder found")
	}
	text := string(committed)
	for _, m := range mods {
		h := Header(m.Path, m.Version)
		i := strings.Index(text, h+"\n\n--- ")
		if i < 0 {
			t.Errorf("THIRD_PARTY_NOTICES has no licence section %q for a module in pb", h)
		}
	}
	for _, c := range vendored {
		if !strings.Contains(text, Header(c.Name, c.Version)+"\n\n--- LICENSE") {
			t.Errorf("THIRD_PARTY_NOTICES has no licence section for the vendored %s %s", c.Name, c.Version)
		}
	}

	// The eBPF object compiles libbpf's headers in: their licence must be
	// there, and every header in its folder must be one listed.
	cc, err := CSourceComponents(repoRoot, CSources)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, Header("libbpf", "0.6.1")+"\n\n--- LICENSE.BSD-2-Clause ---\n\nValid-License-Identifier: BSD-2-Clause") {
		t.Error("THIRD_PARTY_NOTICES has no BSD-2-Clause section for libbpf's headers")
	}
	headers, _ := filepath.Glob(filepath.Join(repoRoot, CSources[0].Dir, "*.h"))
	for _, h := range headers {
		if !slices.Contains(CSources[0].Files, filepath.Base(h)) {
			t.Errorf("%s is not listed in CSources: whose is it, under which licence?", h)
		}
	}
	if len(headers) != len(CSources[0].Files) {
		t.Errorf("%d headers in %s, %d listed", len(headers), CSources[0].Dir, len(CSources[0].Files))
	}

	mc, err := ModuleComponents(mods)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := WriteNotices(&want, goLicense(t), mc, vendored, cc); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(committed, want.Bytes()) {
		t.Error("THIRD_PARTY_NOTICES is out of date; rewrite it with: go run ./cmd/pbpkg notices -o THIRD_PARTY_NOTICES")
	}
}

func containsModule(mods []Module, path string) bool {
	for _, m := range mods {
		if m.Path == path {
			return true
		}
	}
	return false
}

func TestLicenseFiles(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{
		"LICENSE":         "MIT",
		"PATENTS":         "grant",
		"LICENSE-GO":      "BSD",
		"COPYING.txt":     "GPL?",
		"licensing.go":    "package x",
		"NOTICES.md":      "kept",
		"README.md":       "no",
		"LICENSEE/x":      "",
		"unlicense":       "public domain",
		"license_test.go": "not a licence",
	} {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	files, err := LicenseFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
	}
	got := strings.Join(names, " ")
	want := "COPYING.txt LICENSE LICENSE-GO NOTICES.md PATENTS unlicense"
	if got != want {
		t.Errorf("licence files %q, want %q", got, want)
	}
	if _, err := LicenseFiles(t.TempDir()); err == nil {
		t.Error("a folder without a licence was accepted")
	}
}
