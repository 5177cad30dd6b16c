package apps

import (
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/packetbuddy/pb/internal/usage"
)

func TestParseCgroup(t *testing.T) {
	tests := []struct {
		name, content string
		want          Placement
	}{
		{"root", "0::/\n", Placement{}},
		{"system service", "0::/system.slice/nginx.service\n", Placement{Unit: "nginx.service"}},
		{"user service", "0::/user.slice/user-1000.slice/user@1000.service/app.slice/syncthing.service\n", Placement{Unit: "syncthing.service"}},
		{"user manager itself", "0::/user.slice/user-1000.slice/user@1000.service/init.scope\n", Placement{}},
		{"flatpak", "0::/user.slice/user-1000.slice/user@1000.service/app.slice/app-flatpak-org.mozilla.firefox-51234.scope\n", Placement{Package: "flatpak:org.mozilla.firefox"}},
		{"snap", "0::/user.slice/user-1000.slice/user@1000.service/app.slice/snap.firefox.firefox-7d3f.scope\n", Placement{Package: "snap:firefox"}},
		{"snap service", "0::/system.slice/snap.lxd.daemon.service\n", Placement{Unit: "snap.lxd.daemon.service", Package: "snap:lxd"}},
		{"v1 hybrid uses name=systemd", "12:pids:/system.slice/ssh.service\n1:name=systemd:/system.slice/ssh.service\n0::/\n", Placement{}},
		{"v1 only", "4:memory:/x\n1:name=systemd:/system.slice/cron.service\n", Placement{Unit: "cron.service"}},
		{"garbage", "nonsense\n", Placement{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ParseCgroup(tt.content); got != tt.want {
				t.Errorf("ParseCgroup(%q) = %+v, want %+v", tt.content, got, tt.want)
			}
		})
	}
}

func TestResolverNamesAndRemembersProcesses(t *testing.T) {
	proc := fstest.MapFS{
		"42/exe":    {Data: []byte("/usr/lib/firefox/firefox"), Mode: fs.ModeSymlink},
		"42/comm":   {Data: []byte("firefox\n")},
		"42/cgroup": {Data: []byte("0::/user.slice/user-1000.slice/user@1000.service/app.slice/app-flatpak-org.mozilla.firefox-9.scope\n")},
		"43/exe":    {Data: []byte("/tmp/x (deleted)"), Mode: fs.ModeSymlink},
		"43/comm":   {Data: []byte("x\n")},
	}
	r := NewResolver(proc)
	tests := []struct {
		pid  uint32
		comm string
		want usage.App
	}{
		{42, "Web Content", usage.App{Path: "/usr/lib/firefox/firefox", Name: "firefox", Package: "flatpak:org.mozilla.firefox"}},
		{43, "", usage.App{Path: "/tmp/x", Name: "x"}},
		{44, "curl", usage.App{Name: "curl"}}, // exited: the kernel's name
		{45, "", usage.App{Name: "pid 45"}},   // exited, never named
	}
	for _, tt := range tests {
		if got := r.Resolve(tt.pid, tt.comm); got != tt.want {
			t.Errorf("Resolve(%d) = %+v, want %+v", tt.pid, got, tt.want)
		}
	}
	if !r.Alive(42) || r.Alive(44) {
		t.Errorf("Alive(42), Alive(44) = %v, %v; want true, false", r.Alive(42), r.Alive(44))
	}
	// Gone from /proc, still remembered until forgotten.
	delete(proc, "42/exe")
	delete(proc, "42/comm")
	delete(proc, "42/cgroup")
	if got := r.Resolve(42, ""); got.Path != "/usr/lib/firefox/firefox" {
		t.Errorf("after exit Resolve(42) = %+v, want the remembered firefox", got)
	}
	r.Forget(42)
	if got := r.Resolve(42, "gone"); got != (usage.App{Name: "gone"}) {
		t.Errorf("after Forget Resolve(42) = %+v, want only the kernel's name", got)
	}
}
