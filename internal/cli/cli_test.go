package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/packetbuddy/pb/internal/config"
)

// runPB runs pb in-process with an empty environment plus env.
func runPB(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Run(context.Background(), args, Env{Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }})
	return code, out.String(), errb.String()
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"no command", nil, 2, "Usage:"},
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"unknown flag", []string{"serve", "--nope"}, 2, "flag provided but not defined: -nope"},
		{"stray argument", []string{"serve", "--data-dir", dir, "extra"}, 2, `unexpected argument "extra"`},
		{"bad log level", []string{"serve", "--data-dir", dir, "--log-level", "loud"}, 2, `--log-level "loud"`},
		{"fleet without sync", []string{"serve", "--data-dir", dir, "--fleet"}, 2, "--fleet needs fleet sync: set [sync] database_url in the config file (pb config path), or PB_DATABASE_URL"},
		{"config without subcommand", []string{"config", "--data-dir", dir}, 2, "missing subcommand"},
		{"config unknown subcommand", []string{"config", "edit", "--data-dir", dir}, 2, `unknown subcommand "edit"`},
		{"explicit config missing", []string{"config", "show", "--config", filepath.Join(dir, "nope.toml")}, 1, "file not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runPB(t, nil, tc.args...)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tc.wantCode, stderr)
			}
			if !strings.Contains(stderr, tc.wantErr) {
				t.Fatalf("stderr %q does not contain %q", stderr, tc.wantErr)
			}
			if strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "panic") {
				t.Fatalf("stack trace on stderr: %s", stderr)
			}
		})
	}
}

// Every command's help is printed once, to stdout, and nothing to stderr.
func TestHelpPrintedOnce(t *testing.T) {
	for _, c := range commands() {
		for _, flag := range []string{"--help", "-h"} {
			code, stdout, stderr := runPB(t, nil, c.name, flag)
			if code != 0 || stderr != "" {
				t.Errorf("pb %s %s: exit %d, stderr %q", c.name, flag, code, stderr)
			}
			if n := strings.Count(stdout, "Usage: pb "+c.name); n != 1 {
				t.Errorf("pb %s %s printed its usage %d times:\n%s", c.name, flag, n, stdout)
			}
		}
	}
}

func TestHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}, {"serve", "--help"}, {"config", "-h"}, {"version", "--help"}} {
		code, stdout, stderr := runPB(t, nil, args...)
		if code != 0 || !strings.Contains(stdout, "Usage") {
			t.Errorf("pb %v: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
}

func TestConfigInitShowPath(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"PB_DATA_DIR": dir}
	want := filepath.Join(dir, "config.toml")

	code, stdout, stderr := runPB(t, env, "config", "path")
	if code != 0 || strings.TrimSpace(stdout) != want {
		t.Fatalf("config path: exit %d, %q %q", code, stdout, stderr)
	}
	if code, _, stderr = runPB(t, env, "config", "init"); code != 0 {
		t.Fatalf("config init: exit %d: %s", code, stderr)
	}
	fi, err := os.Stat(want)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("config file mode %v, want 0600", fi.Mode().Perm())
	}
	if code, _, stderr = runPB(t, env, "config", "init"); code != 1 || !strings.Contains(stderr, "--force") {
		t.Fatalf("second init: exit %d, stderr %q; want a refusal that mentions --force", code, stderr)
	}
	if code, _, stderr = runPB(t, env, "config", "init", "--force"); code != 0 {
		t.Fatalf("init --force: exit %d: %s", code, stderr)
	}

	env["PB_DATABASE_URL"] = "postgres://me:hunter2secret@db.example/pb"
	env["PB_ALERTS_WEBHOOK_URL"] = "https://user:pw@hooks.example.com:8443/services/T0/B0/hooksecret?token=qsecret"
	env["PB_ALERTS_WEBHOOK_TOKEN"] = "tk_bearersecret"
	code, stdout, stderr = runPB(t, env, "config", "show")
	if code != 0 {
		t.Fatalf("config show: exit %d: %s", code, stderr)
	}
	for _, secret := range []string{"hunter2secret", "hooksecret", "qsecret", "tk_bearersecret", "user:pw"} {
		if strings.Contains(stdout, secret) {
			t.Fatalf("config show printed the secret %q:\n%s", secret, stdout)
		}
	}
	if !strings.Contains(stdout, `webhook_url = "https://hooks.example.com:8443/****"`) {
		t.Errorf("config show should still say where alerts go:\n%s", stdout)
	}
	delete(env, "PB_ALERTS_WEBHOOK_URL")
	delete(env, "PB_ALERTS_WEBHOOK_TOKEN")
	if !strings.Contains(stdout, "poll_interval") || !strings.Contains(stdout, "# from "+want) {
		t.Fatalf("config show output lacks settings or source:\n%s", stdout)
	}
}

func TestBadConfigFileStopsServe(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, config.FileName), []byte("[monitoring]\npoll_interval = \"fast\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runPB(t, nil, "serve", "--data-dir", dir)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr %q", code, stderr)
	}
	if !strings.Contains(stderr, "line 2") || !strings.Contains(stderr, "poll_interval") {
		t.Fatalf("error does not name the line and key: %q", stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, dbFile)); err == nil {
		t.Fatal("a database was created despite the bad config")
	}
}

func TestVersion(t *testing.T) {
	code, stdout, _ := runPB(t, nil, "version")
	if code != 0 || !strings.HasPrefix(stdout, "pb ") {
		t.Fatalf("version: exit %d, %q", code, stdout)
	}
}
