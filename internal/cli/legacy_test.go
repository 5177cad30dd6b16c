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

// With [sync] enabled = false, the sync commands say so rather than ask for
// a database URL that is already set.
func TestSyncOffByConfig(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte("[sync]\nenabled = false\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"PB_DATA_DIR": dir, "PB_API_PORT": syncTestPort(t), "PB_DATABASE_URL": "postgres://u:pw@127.0.0.1:1/db"}
	const off = "sync is off: [sync] enabled = false (or PB_SYNC_ENABLED=false) keeps it off; set it to true"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"sync", "now"}, "pb sync: " + off + "\n"},
		{[]string{"devices"}, "pb devices: " + off + " to see the fleet\n"},
	} {
		if code, out, errs := runPB(t, env, tc.args...); code != 1 || out != "" || errs != tc.want {
			t.Errorf("pb %s: exit %d, %q %q; want exit 1, %q", strings.Join(tc.args, " "), code, out, errs, tc.want)
		}
	}
}
