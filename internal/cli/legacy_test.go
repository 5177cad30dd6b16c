package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pb config migrate replaces a 1.x file by the golden pb file, keeps the old
// one as config.toml.1x, and says what it did; a second run changes nothing.
func TestConfigMigrate(t *testing.T) {
	dir := t.TempDir()
	old, err := os.ReadFile(filepath.Join("..", "config", "testdata", "1x", "default.toml"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path, old, 0o600); err != nil {
		t.Fatal(err)
	}
	run := func() (int, string) {
		var out bytes.Buffer
		env := Env{Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }}
		code := Run(context.Background(), []string{"config", "migrate", "--data-dir", dir}, env)
		return code, out.String()
	}
	var show bytes.Buffer
	if code := Run(context.Background(), []string{"config", "show", "--data-dir", dir}, Env{Stdout: &show, Stderr: &show, Getenv: func(string) string { return "" }}); code != 0 ||
		!strings.Contains(show.String(), "# The file is in PacketBuddy 1.x's format (\"pb config migrate\" rewrites it); its 1.x keys:\n#   line 6: api.cors_enabled: ignored:") ||
		!strings.Contains(show.String(), "poll_interval = \"1s\"") {
		t.Errorf("pb config show of the 1.x file:\n%s", show.String())
	}
	code, out := run()
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 7 || lines[6] != "wrote "+path+" in pb's format; the 1.x file is kept as "+path+".1x" ||
		!strings.HasPrefix(lines[0], "config "+path+": line 6: api.cors_enabled = true (PacketBuddy 1.x): ignored:") {
		t.Errorf("output:\n%s", out)
	}
	golden, err := os.ReadFile(filepath.Join("..", "config", "testdata", "1x", "default.migrated.golden"))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != string(golden) {
		t.Errorf("migrated file differs from the golden file:\n%s", got)
	}
	if kept, _ := os.ReadFile(path + ".1x"); string(kept) != string(old) {
		t.Error("the 1.x file was not kept unchanged")
	}
	code, out = run()
	if code != 0 || out != path+" is already in pb's format: nothing to migrate\n" {
		t.Errorf("second run: exit %d, %q", code, out)
	}
}
