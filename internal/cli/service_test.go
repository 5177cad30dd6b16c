package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/golden"
	"github.com/packetbuddy/pb/internal/service"
)

// fakeManagerTools answers systemctl/launchctl/schtasks calls.
type fakeManagerTools struct {
	mu      sync.Mutex
	calls   []string
	answers map[string]string // command line prefix → output
	fail    map[string]error  // command line prefix → error
}

func (f *fakeManagerTools) Run(_ context.Context, name string, args ...string) ([]byte, error) {
	line := strings.Join(append([]string{name}, args...), " ")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, line)
	for p, err := range f.fail {
		if strings.HasPrefix(line, p) {
			return nil, err
		}
	}
	for p, out := range f.answers {
		if strings.HasPrefix(line, p) {
			return []byte(out), nil
		}
	}
	return nil, nil
}

// withServiceHooks points the service command at binary and runner for
// one test.
func withServiceHooks(t *testing.T, binary string, runner service.Runner) {
	t.Helper()
	savedExe, savedRunner := serviceExecutable, serviceRunner
	serviceExecutable = func() (string, error) { return binary, nil }
	serviceRunner = func() service.Runner { return runner }
	t.Cleanup(func() { serviceExecutable, serviceRunner = savedExe, savedRunner })
}

// runDirect runs one command function as Run would, returning its streams
// and error.
func runDirect(t *testing.T, fn func(context.Context, []string, Env) error, env map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	err = fn(context.Background(), args, Env{Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] },
		Now: func() time.Time { return time.Date(2026, 11, 25, 21, 0, 0, 0, time.UTC) }})
	return out.String(), errb.String(), err
}

func isUsage(err error) bool {
	var ue *usageError
	return errors.As(err, &ue)
}

func TestServiceUsage(t *testing.T) {
	home := t.TempDir()
	withServiceHooks(t, "/usr/local/bin/pb", &fakeManagerTools{})
	env := map[string]string{"HOME": home, "PB_DATA_DIR": filepath.Join(home, "data")}
	tests := []struct {
		args []string
		want string
	}{
		{nil, "name an action"},
		{[]string{"reinstall"}, `unknown action "reinstall"`},
		{[]string{"install", "extra"}, `unexpected argument "extra"`},
		{[]string{"install", "--purge"}, "--purge goes with uninstall"},
		{[]string{"start", "--json"}, "--json goes with status"},
		{[]string{"install", "--bogus"}, "flag provided but not defined"},
	}
	for _, tc := range tests {
		_, _, err := runDirect(t, runService, env, tc.args...)
		if !isUsage(err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("pb service %v: got %v, want a usage error with %q", tc.args, err, tc.want)
		}
	}
	if runtime.GOOS == "linux" {
		_, _, err := runDirect(t, runService, env, "install", "--system", "--dry-run")
		if !isUsage(err) || !strings.Contains(err.Error(), "/var/lib/packetbuddy") {
			t.Errorf("--system with PB_DATA_DIR: got %v", err)
		}
	}
	if _, _, err := runDirect(t, runService, env, "--help"); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("--help: %v", err)
	}
}

// TestServiceDryRun: --dry-run prints exactly the definition and the
// commands, runs nothing and writes nothing; flags work before and after
// the action.
func TestServiceDryRun(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the golden output is the Linux unit")
	}
	home := t.TempDir()
	tools := &fakeManagerTools{}
	withServiceHooks(t, "/usr/local/bin/pb", tools)
	env := map[string]string{"HOME": home, "USER": "ann", "PB_DATA_DIR": filepath.Join(home, "My Data")}
	for _, args := range [][]string{{"install", "--dry-run"}, {"--dry-run", "install"}} {
		stdout, _, err := runDirect(t, runService, env, args...)
		if err != nil {
			t.Fatal(err)
		}
		got := strings.ReplaceAll(stdout, home, "$HOME")
		golden.Check(t, "service-install-dry-run.golden", []byte(got))
	}
	stdout, _, err := runDirect(t, runService, map[string]string{"HOME": home, "USER": "ann"}, "install", "--system", "--dry-run")
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "service-install-system-dry-run.golden", []byte(strings.ReplaceAll(stdout, home, "$HOME")))
	if len(tools.calls) != 0 {
		t.Errorf("a dry run ran %q", tools.calls)
	}
	if entries, _ := os.ReadDir(home); len(entries) != 0 {
		t.Errorf("a dry run wrote %v", entries)
	}
}

// TestServiceNoSecret: the database URL in the config file or the
// environment never reaches the unit or the commands.
func TestServiceNoSecret(t *testing.T) {
	const secret = "postgres://fleet:Tr0ub4dor@ep-x.neon.tech/pb"
	home := t.TempDir()
	data := filepath.Join(home, ".packetbuddy")
	os.MkdirAll(data, 0o700)
	cfg := filepath.Join(data, "config.toml")
	if err := os.WriteFile(cfg, []byte("[sync]\ndatabase_url = \""+secret+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	withServiceHooks(t, "/usr/local/bin/pb", &fakeManagerTools{})
	env := map[string]string{"HOME": home, "USER": "ann", "PB_DATA_DIR": data, "PB_CONFIG": cfg, "PB_DATABASE_URL": secret, "DATABASE_URL": secret}
	stdout, stderr, err := runDirect(t, runService, env, "install", "--dry-run")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "--config "+cfg) {
		t.Errorf("the config path is not passed on:\n%s", stdout)
	}
	for _, leak := range []string{"Tr0ub4dor", "neon.tech"} {
		if strings.Contains(stdout+stderr, leak) {
			t.Errorf("%q leaked:\n%s", leak, stdout)
		}
	}
}

// TestServiceLifecycle runs install, status, uninstall through the command
// with fake manager tools, in a temporary home.
func TestServiceLifecycle(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("drives systemctl")
	}
	home := t.TempDir()
	data := filepath.Join(home, ".packetbuddy")
	tools := &fakeManagerTools{answers: map[string]string{
		"systemctl --user show packetbuddy.service": "LoadState=loaded\nActiveState=active\nSubState=running\nMainPID=77\nActiveEnterTimestamp=Wed 2026-11-25 20:00:00 UTC\n",
	}}
	withServiceHooks(t, "/usr/local/bin/pb", tools)
	env := map[string]string{"HOME": home, "USER": "ann", "PB_DATA_DIR": data}

	if _, _, err := runDirect(t, runService, env, "start"); !errors.Is(err, service.ErrNotInstalled) {
		t.Fatalf("start before install: %v", err)
	}
	stdout, _, err := runDirect(t, runService, env, "install")
	if err != nil {
		t.Fatal(err)
	}
	unit := filepath.Join(home, ".config", "systemd", "user", "packetbuddy.service")
	if !strings.Contains(stdout, "wrote "+unit) || !strings.Contains(stdout, "ran systemctl --user restart packetbuddy.service") {
		t.Errorf("install output:\n%s", stdout)
	}
	stdout, _, err = runDirect(t, runService, env, "status")
	if err != nil {
		t.Fatal(err)
	}
	want := "service:   systemd user unit packetbuddy.service\n" +
		"installed: yes (" + unit + ")\n" +
		"running:   yes, pid 77, since " + time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC).Local().Format("2006-01-02 15:04:05 MST") + " (1h0m0s ago)\n" +
		"logs:      journalctl --user -u packetbuddy.service\n"
	if stdout != want {
		t.Errorf("status:\n%s\nwant:\n%s", stdout, want)
	}
	stdout, _, err = runDirect(t, runService, env, "status", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var js map[string]any
	if err := json.Unmarshal([]byte(stdout), &js); err != nil || js["running"] != true || js["pid"] != float64(77) {
		t.Errorf("status --json: %s (%v)", stdout, err)
	}
	if _, _, err := runDirect(t, runService, env, "uninstall"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(unit); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("unit left after uninstall")
	}
	if _, err := os.Stat(data); err != nil {
		t.Errorf("uninstall removed the data: %v", err)
	}
	if _, _, err := runDirect(t, runService, env, "uninstall", "--purge"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(data); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("--purge left the data")
	}
}

// TestServiceOnThisMachine uses the real service manager tools. Where
// "systemctl --user" cannot reach a user manager (containers, no login
// session), install must fail with a clear message while --dry-run and
// status still work; where it can, status must answer (the real install
// round trip is in internal/service, which keeps it out of the real home).
func TestServiceOnThisMachine(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Linux only")
	}
	home := t.TempDir()
	withServiceHooks(t, "/usr/local/bin/pb", service.ExecRunner{Timeout: 20 * time.Second})
	env := map[string]string{"HOME": home, "USER": "ann", "PB_DATA_DIR": filepath.Join(home, ".packetbuddy")}
	_, detect := service.ExecRunner{Timeout: 20 * time.Second}.Run(context.Background(), "systemctl", "--user", "show-environment")

	if _, _, err := runDirect(t, runService, env, "install", "--dry-run"); err != nil {
		t.Fatalf("dry run: %v", err)
	}
	stdout, _, err := runDirect(t, runService, env, "status")
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	if detect != nil {
		t.Logf("case: no systemd user manager (%v)", detect)
		_, _, err := runDirect(t, runService, env, "install")
		if !errors.Is(err, service.ErrNoServiceManager) || !strings.Contains(err.Error(), "systemctl --user") {
			t.Fatalf("install without a user manager: %v", err)
		}
		if !strings.Contains(stdout, "running:   unknown: ") || !strings.Contains(stdout, "installed: no") {
			t.Errorf("status:\n%s", stdout)
		}
		if entries, _ := os.ReadDir(home); len(entries) != 0 {
			t.Errorf("files written: %v", entries)
		}
		return
	}
	t.Log("case: a systemd user manager is reachable")
	if strings.Contains(stdout, "running:   unknown") {
		t.Errorf("status did not reach the user manager:\n%s", stdout)
	}
}

func TestServiceRefusesGoRunBinary(t *testing.T) {
	home := t.TempDir()
	withServiceHooks(t, "/tmp/go-build123/b001/exe/pb", &fakeManagerTools{})
	env := map[string]string{"HOME": home, "PB_DATA_DIR": filepath.Join(home, "d")}
	if _, _, err := runDirect(t, runService, env, "install"); err == nil || !strings.Contains(err.Error(), "go run") {
		t.Fatalf("got %v", err)
	}
}
