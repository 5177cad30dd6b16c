package cli

import (
	"testing"

	"github.com/packetbuddy/pb/internal/lockfile"
)

// TestLockedError: the refusal names what the lock file tells, and never
// "pid 0" or "kill 0" (which would signal the user's process group) while
// the running daemon has not written its pid yet.
func TestLockedError(t *testing.T) {
	tests := []struct {
		holder lockfile.Holder
		want   string
	}{
		{lockfile.Holder{PID: 4242, Addr: "127.0.0.1:7373"},
			"another pb serve (pid 4242, port 7373) is already counting into /d; stop it first (pb service stop, or kill 4242), or give this one another --data-dir"},
		{lockfile.Holder{PID: 4242},
			"another pb serve (pid 4242) is already counting into /d; stop it first (pb service stop, or kill 4242), or give this one another --data-dir"},
		{lockfile.Holder{Addr: "[::1]:8080"},
			"another pb serve (port 8080) is already counting into /d; stop it first (pb service stop), or give this one another --data-dir"},
		{lockfile.Holder{},
			"another pb serve is already counting into /d; stop it first (pb service stop), or give this one another --data-dir"},
	}
	for _, tt := range tests {
		if got := lockedError("/d", tt.holder).Error(); got != tt.want {
			t.Errorf("holder %+v:\n got %q\nwant %q", tt.holder, got, tt.want)
		}
	}
}
