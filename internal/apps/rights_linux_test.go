package apps

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/packetbuddy/pb/internal/netlab"
)

// TestOpenAsUnprivilegedUserIsRefused runs Open for real as the nobody user
// (uid and gid 65534, no capabilities): the kernel must refuse, and Open
// must say it is a matter of rights.
func TestOpenAsUnprivilegedUserIsRefused(t *testing.T) {
	if os.Getenv("PB_APPS_OPEN_CHILD") == "1" {
		src, err := Open()
		if err == nil {
			src.Close()
			t.Fatal("Open succeeded without rights")
		}
		var u *Unavailable
		if !errors.As(err, &u) || u.Why != NoRights {
			t.Fatalf("Open without rights: %v (%T); want a NoRights refusal", err, err)
		}
		t.Logf("notice: %v", err)
		return
	}
	netlab.Require(t) // root, to switch to another user
	// The test binary lives in a directory only root may enter: run a copy
	// from one that nobody can.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "pb-apps-rights-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	exe := filepath.Join(dir, "apps.test")
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(exe, b, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run", "^TestOpenAsUnprivilegedUserIsRefused$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "PB_APPS_OPEN_CHILD=1")
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	t.Logf("as nobody:\n%s", out)
	if err != nil || !strings.Contains(string(out), "notice: per-app usage is off: ") {
		t.Fatalf("the unprivileged Open did not end in a NoRights refusal: %v", err)
	}
}
