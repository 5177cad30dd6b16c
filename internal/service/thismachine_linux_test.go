//go:build linux

package service

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestThisMachine runs install → status → uninstall against whatever
// systemd this machine has. With a reachable user manager it is a real
// round trip (the unit lives in $XDG_RUNTIME_DIR and is enabled with
// --runtime, so nothing is written to the real home); without one (a
// container, no login session) the commands must refuse with a clear
// ErrNoServiceManager while --dry-run and status still work.
func TestThisMachine(t *testing.T) {
	ctx := context.Background()
	runner := ExecRunner{Timeout: 20 * time.Second}
	_, detectErr := runner.Run(ctx, "systemctl", "--user", "show-environment")
	if detectErr != nil {
		t.Logf("case: no systemd user manager here (%v)", detectErr)
		testNoUserManager(t, runner)
		return
	}
	t.Log("case: a systemd user manager is reachable: real round trip")
	testRealUserManager(t, runner)
}

func testNoUserManager(t *testing.T, runner Runner) {
	ctx := context.Background()
	home := t.TempDir()
	o := Options{GOOS: "linux", Binary: "/usr/local/bin/pb", DataDir: filepath.Join(home, ".packetbuddy"), Home: home, User: "nobody", Runner: runner}
	m := newTestManager(t, o)

	var dry strings.Builder
	if err := m.Do(ctx, Install, true, &dry); err != nil {
		t.Fatalf("dry run: %v", err)
	}
	if !strings.Contains(dry.String(), "ExecStart=/usr/local/bin/pb serve --data-dir "+o.DataDir) ||
		!strings.Contains(dry.String(), "run   systemctl --user enable packetbuddy.service") {
		t.Errorf("dry run does not show the unit and the commands:\n%s", dry.String())
	}
	for _, a := range []Action{Install, Start, Uninstall} {
		err := m.Do(ctx, a, false, io.Discard)
		if !errors.Is(err, ErrNoServiceManager) {
			t.Fatalf("%s: got %v, want ErrNoServiceManager", a, err)
		}
		if !strings.Contains(err.Error(), "systemctl --user") || !strings.Contains(err.Error(), "--dry-run") {
			t.Errorf("%s: the error does not say what is missing and what to do: %v", a, err)
		}
	}
	if entries, _ := os.ReadDir(home); len(entries) != 0 {
		t.Errorf("files written although nothing could be installed: %v", entries)
	}
	st, err := m.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Installed || st.Known || st.Problem == "" || st.Logs == "" {
		t.Errorf("status = %+v", st)
	}
}

func testRealUserManager(t *testing.T, runner Runner) {
	ctx := context.Background()
	// Never touch a real PacketBuddy install of the person running the tests.
	out, _ := runner.Run(ctx, "systemctl", "--user", "show", UnitName, "--property=LoadState")
	if !strings.Contains(string(out), "LoadState=not-found") {
		t.Skipf("a %s is already loaded for this user (%s); not touching it", UnitName, strings.TrimSpace(string(out)))
	}
	rt := os.Getenv("XDG_RUNTIME_DIR")
	if rt == "" {
		t.Fatal("systemctl --user works but XDG_RUNTIME_DIR is unset")
	}
	// Not under /tmp: the unit's PrivateTmp= would hide it from the service.
	dir, err := os.MkdirTemp(rt, "pb-service-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	bin := filepath.Join(dir, "pb")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\nexec sleep 600\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	o := Options{GOOS: "linux", Binary: bin, DataDir: filepath.Join(dir, "data"), Home: t.TempDir(), Runner: runner,
		userUnitDir: filepath.Join(rt, "systemd", "user"), runtimeEnable: true}
	m := newTestManager(t, o)
	t.Cleanup(func() { _ = m.Do(context.Background(), Uninstall, false, io.Discard) })

	if err := m.Do(ctx, Install, false, io.Discard); err != nil {
		t.Fatalf("install: %v", err)
	}
	var st Status
	deadline := time.Now().Add(15 * time.Second)
	for {
		if st, err = m.Status(ctx); err != nil {
			t.Fatal(err)
		}
		if st.Running || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !st.Installed || !st.Known || !st.Running || st.PID == 0 || st.Since.IsZero() {
		t.Fatalf("after install: %+v", st)
	}
	if err := m.Do(ctx, Uninstall, false, io.Discard); err != nil {
		t.Fatalf("uninstall: %v", err)
	}
	if st, err = m.Status(ctx); err != nil || st.Installed || st.Running {
		t.Fatalf("after uninstall: %+v %v", st, err)
	}
}
