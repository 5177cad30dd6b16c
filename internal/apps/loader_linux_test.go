package apps

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"
)

func TestFindCgroup2(t *testing.T) {
	tests := []struct{ name, mountinfo, want string }{
		{"hybrid", "35 25 0:30 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n36 25 0:31 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n", "/sys/fs/cgroup/unified"},
		{"unified", "30 23 0:26 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 rw,nsdelegate\n", "/sys/fs/cgroup"},
		{"v1 only", "35 25 0:30 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n", ""},
		{"only a subtree (container)", "40 30 0:26 /docker/abc /sys/fs/cgroup ro - cgroup2 cgroup2 rw\n", ""},
		{"escaped space", `41 30 0:26 / /mnt/my\040cg rw - cgroup2 none rw` + "\n", "/mnt/my cg"},
		{"optional fields", "30 23 0:26 / /sys/fs/cgroup rw shared:4 master:1 - cgroup2 cgroup2 rw\n", "/sys/fs/cgroup"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := findCgroup2([]byte(tt.mountinfo)); got != tt.want {
				t.Errorf("findCgroup2 = %q, want %q", got, tt.want)
			}
		})
	}
}

// fakeLoader succeeds at every step without touching the kernel, and
// records what was mounted and attached.
type fakeLoader struct {
	mounted, unmounted, attachedTo string
}

func (f *fakeLoader) loader(t *testing.T) loader {
	btf := filepath.Join(t.TempDir(), "vmlinux")
	if err := os.WriteFile(btf, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return loader{
		btfPath: btf,
		mountinfo: func() ([]byte, error) {
			return []byte("36 25 0:31 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n"), nil
		},
		mount:   func(dir string) error { f.mounted = dir; return nil },
		unmount: func(dir string) error { f.unmounted = dir; return nil },
		netns:   func() (uint64, error) { return 4096, nil },
		memlock: func() error { return nil },
		load:    func(uint64) (*countObjects, error) { return &countObjects{}, nil },
		attach: func(cg string, _ *countObjects) ([]link.Link, error) {
			f.attachedTo = cg
			return nil, nil
		},
	}
}

// TestOpenRefusedSaysWhy forces each way the kernel can refuse per-app
// counting and checks that Open returns one sentence that says why and
// what to do, and releases what it took.
func TestOpenRefusedSaysWhy(t *testing.T) {
	eperm := fmt.Errorf("wrapped: %w", unix.EPERM)
	tests := []struct {
		name    string
		breakIt func(l *loader)
		why     Why
		says    string
	}{
		{"no BTF", func(l *loader) { l.btfPath = "/nonexistent/vmlinux" }, NoBTF, "CONFIG_DEBUG_INFO_BTF"},
		{"no cgroup v2, mount refused", func(l *loader) {
			l.mountinfo = func() ([]byte, error) {
				return []byte("35 25 0:30 / /sys/fs/cgroup/memory rw - cgroup cgroup rw\n"), nil
			}
			l.mount = func(string) error { return eperm }
		}, NoCgroup2, "no right to mount"},
		{"no cgroup v2 in the kernel", func(l *loader) {
			l.mountinfo = func() ([]byte, error) { return nil, nil }
			l.mount = func(string) error { return unix.ENODEV }
		}, NoCgroup2, "mount -t cgroup2"},
		{"no rights to lock memory", func(l *loader) { l.memlock = func() error { return eperm } }, NoRights, "CAP_BPF"},
		{"no rights to load", func(l *loader) { l.load = func(uint64) (*countObjects, error) { return nil, eperm } }, NoRights, "run it as root"},
		{"no rights to attach", func(l *loader) {
			l.attach = func(string, *countObjects) ([]link.Link, error) { return nil, fmt.Errorf("attach: %w", unix.EACCES) }
		}, NoRights, "CAP_NET_ADMIN"},
		{"verifier says no", func(l *loader) {
			l.load = func(uint64) (*countObjects, error) { return nil, errors.New("invalid argument") }
		}, Other, "kernel refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f fakeLoader
			l := f.loader(t)
			tt.breakIt(&l)
			src, err := l.open()
			if err == nil {
				src.Close()
				t.Fatal("Open succeeded")
			}
			var u *Unavailable
			if !errors.As(err, &u) {
				t.Fatalf("error %v (%T) is not *Unavailable", err, err)
			}
			if u.Why != tt.why {
				t.Errorf("Why = %s, want %s", u.Why, tt.why)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "per-app usage is off: ") || !strings.Contains(msg, tt.says) || strings.Contains(msg, "\n") {
				t.Errorf("notice %q: want one line starting \"per-app usage is off: \" and saying %q", msg, tt.says)
			}
			if f.mounted != f.unmounted {
				t.Errorf("mounted %q but unmounted %q", f.mounted, f.unmounted)
			}
			if f.mounted != "" {
				if _, err := os.Stat(f.mounted); !os.IsNotExist(err) {
					t.Errorf("mount point %s left behind", f.mounted)
				}
			}
		})
	}
}

func TestOpenMountsCgroup2WhenNoneIsMounted(t *testing.T) {
	var f fakeLoader
	l := f.loader(t)
	l.mountinfo = func() ([]byte, error) {
		return []byte("35 25 0:30 / /sys/fs/cgroup/memory rw - cgroup cgroup rw\n"), nil
	}
	src, err := l.open()
	if err != nil {
		t.Fatal(err)
	}
	src.(*ebpfSource).links = nil
	if f.mounted == "" || f.attachedTo != f.mounted || f.unmounted != f.mounted {
		t.Errorf("mounted %q, attached to %q, unmounted %q: want one private mount, attached to, then unmounted", f.mounted, f.attachedTo, f.unmounted)
	}
	if _, err := os.Stat(f.mounted); !os.IsNotExist(err) {
		t.Errorf("mount point %s left behind", f.mounted)
	}
}
