//go:build linux

package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/packetbuddy/pb/internal/apps"
	"golang.org/x/sys/unix"
)

// TestServeRunsOnWhenPerAppRefused forces each way per-app counting can be
// refused and checks that pb serve says so once, in one line with what to
// do, and otherwise starts, serves and stops as usual.
func TestServeRunsOnWhenPerAppRefused(t *testing.T) {
	tests := []struct {
		name string
		err  error
		says string
	}{
		{"no rights", &apps.Unavailable{Why: apps.NoRights, Hint: "pb serve lacks the rights to load eBPF programs; run it as root or grant CAP_BPF and CAP_NET_ADMIN", Err: fmt.Errorf("load: %w", unix.EPERM)}, "run it as root"},
		{"no BTF", &apps.Unavailable{Why: apps.NoBTF, Hint: "the kernel has no BTF type information"}, "no BTF"},
		{"no cgroup v2", &apps.Unavailable{Why: apps.NoCgroup2, Hint: "no cgroup v2 hierarchy is mounted and mounting one failed"}, "cgroup v2"},
		{"other OS", apps.ErrUnsupported, "not available on this OS"},
	}
	orig, origDiag := openAppSource, openSockDiag
	t.Cleanup(func() { openAppSource, openSockDiag = orig, origDiag })
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			openAppSource = func() (apps.Source, error) { calls++; return nil, tt.err }
			// The fallback is refused too ("auto" tries it after eBPF).
			openSockDiag = func() (apps.Source, error) {
				return nil, &apps.Unavailable{Why: apps.Other, Hint: "socket diagnostics over netlink are not available", Err: unix.EPROTONOSUPPORT}
			}
			base, logs, stop := startServeLogs(t, t.TempDir(), map[string]string{"PB_APPS_ENABLED": "true"})
			checkAPI(t, base)
			resp, err := http.Get(base + "/api/today")
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("GET /api/today with per-app refused: %v %v", resp, err)
			}
			resp.Body.Close()
			stop()
			if calls != 1 {
				t.Errorf("per-app counting was tried %d times, want once", calls)
			}
			var notices []string
			for line := range strings.Lines(logs.String()) {
				if strings.Contains(line, "per-app usage is off") {
					notices = append(notices, line)
				}
			}
			if len(notices) != 1 || !strings.Contains(notices[0], tt.says) || !strings.Contains(notices[0], "level=WARN") {
				t.Errorf("want one warning saying %q, got %q\nlogs:\n%s", tt.says, notices, logs.String())
			}
		})
	}
}

// TestServeWithoutPerAppDoesNotTry: off by default, nothing is loaded.
func TestServeWithoutPerAppDoesNotTry(t *testing.T) {
	orig := openAppSource
	t.Cleanup(func() { openAppSource = orig })
	openAppSource = func() (apps.Source, error) {
		t.Error("per-app counting opened though [apps] enabled is false")
		return nil, apps.ErrUnsupported
	}
	base, logs, stop := startServeLogs(t, t.TempDir(), nil)
	checkAPI(t, base)
	stop()
	if strings.Contains(logs.String(), "per-app") {
		t.Errorf("logs mention per-app though it is off:\n%s", logs.String())
	}
}

// nopSource is a per-app source that counts nothing.
type nopSource struct{ closed *bool }

func (nopSource) Read(dst []apps.Sample) ([]apps.Sample, error) { return dst, nil }
func (nopSource) Comm(uint32) string                            { return "" }
func (nopSource) Forget([]uint32) error                         { return nil }
func (s nopSource) Close() error                                { *s.closed = true; return nil }

// TestServeFallsBackToTCPOnly: with [apps] method "auto" (the default), an
// eBPF refusal switches to the TCP-only fallback with one warning that
// says why and what is not counted, and /api/apps says "sock_diag"; with
// method "ebpf" the fallback is not tried; with "sock_diag" eBPF is not.
func TestServeFallsBackToTCPOnly(t *testing.T) {
	orig, origDiag := openAppSource, openSockDiag
	t.Cleanup(func() { openAppSource, openSockDiag = orig, origDiag })
	refused := &apps.Unavailable{Why: apps.NoRights, Hint: "pb serve lacks the rights to load eBPF programs; run it as root or grant CAP_BPF and CAP_NET_ADMIN", Err: unix.EPERM}
	tests := []struct {
		method           string
		ebpfTried, diag  bool
		wantMethod, says string
		level            string
	}{
		{"auto", true, true, "sock_diag", "per-app usage is limited to TCP: pb serve lacks the rights to load eBPF programs", "level=WARN"},
		{"ebpf", true, false, "off", "per-app usage is off: pb serve lacks the rights", "level=WARN"},
		{"sock_diag", false, true, "sock_diag", "per-app usage counts TCP only", "level=INFO"},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			var ebpfTried, diagTried, closed bool
			openAppSource = func() (apps.Source, error) { ebpfTried = true; return nil, refused }
			openSockDiag = func() (apps.Source, error) { diagTried = true; return nopSource{&closed}, nil }
			base, logs, stop := startServeLogs(t, t.TempDir(), map[string]string{"PB_APPS_ENABLED": "true", "PB_APPS_METHOD": tt.method})
			resp, err := http.Get(base + "/api/apps")
			if err != nil {
				t.Fatal(err)
			}
			var got struct{ Method string }
			err = json.NewDecoder(resp.Body).Decode(&got)
			resp.Body.Close()
			stop()
			if err != nil || got.Method != tt.wantMethod {
				t.Errorf("/api/apps method = %q (%v), want %q", got.Method, err, tt.wantMethod)
			}
			if ebpfTried != tt.ebpfTried || diagTried != tt.diag {
				t.Errorf("eBPF tried %v, fallback tried %v; want %v, %v", ebpfTried, diagTried, tt.ebpfTried, tt.diag)
			}
			if diagTried && !closed {
				t.Error("the fallback was not closed at stop")
			}
			var notices []string
			for line := range strings.Lines(logs.String()) {
				if strings.Contains(line, "per-app usage is limited") || strings.Contains(line, "per-app usage is off") || strings.Contains(line, "counts TCP only") {
					notices = append(notices, line)
				}
			}
			if len(notices) != 1 || !strings.Contains(notices[0], tt.says) || !strings.Contains(notices[0], tt.level) {
				t.Errorf("want one notice saying %q at %s, got %q", tt.says, tt.level, notices)
			}
			if tt.wantMethod == "sock_diag" && !strings.Contains(notices[0], "UDP (QUIC included) and all other traffic") {
				t.Errorf("notice %q does not say what the fallback leaves unattributed", notices[0])
			}
		})
	}
}
