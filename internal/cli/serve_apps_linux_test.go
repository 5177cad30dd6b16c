//go:build linux

package cli

import (
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
	orig := openAppSource
	t.Cleanup(func() { openAppSource = orig })
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			openAppSource = func() (apps.Source, error) { calls++; return nil, tt.err }
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
