package chromium

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestLookup(t *testing.T) {
	t.Parallel()
	onPath := func(names ...string) func(string) (string, error) {
		return func(n string) (string, error) {
			for _, m := range names {
				if m == n {
					return "/usr/bin/" + n, nil
				}
			}
			return "", errors.New("not found")
		}
	}
	tests := []struct {
		name, env string
		path      []string
		want      string
		err       error
	}{
		{"PB_CHROMIUM wins", "/opt/chrome/chrome", []string{"chromium"}, "/opt/chrome/chrome", nil},
		{"Debian's first", "", []string{"google-chrome", "chromium"}, "/usr/bin/chromium", nil},
		{"Chrome when no Chromium", "", []string{"google-chrome-stable"}, "/usr/bin/google-chrome-stable", nil},
		{"none", "", nil, "", errNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string {
				if k == "PB_CHROMIUM" {
					return tt.env
				}
				return ""
			}
			got, err := lookup(getenv, onPath(tt.path...))
			if got != tt.want || !errors.Is(err, tt.err) {
				t.Errorf("lookup = %q, %v; want %q, %v", got, err, tt.want, tt.err)
			}
		})
	}
}

// Not parallel: it sets PB_ARTIFACTS.
func TestArtifactDir(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PB_ARTIFACTS", "")
	root := filepath.Join(wd, "..", "..") // internal/chromium → the module root
	if got, want := ArtifactDir(t), filepath.Join(filepath.Clean(root), "artifacts"); got != want {
		t.Errorf("ArtifactDir = %s, want %s", got, want)
	}
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("PB_ARTIFACTS", filepath.Join("shots", "run1"))
	got := ArtifactDir(t)
	if want := filepath.Join(dir, "shots", "run1"); got != want {
		t.Errorf("ArtifactDir = %s, want %s (absolute)", got, want)
	}
	if fi, err := os.Stat(got); err != nil || !fi.IsDir() {
		t.Errorf("ArtifactDir did not create %s: %v", got, err)
	}
}
