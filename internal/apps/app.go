package apps

import (
	"path"
	"strings"
)

// Placement is where a process runs, from /proc/PID/cgroup.
type Placement struct {
	Unit    string
	Package string
}

// ParseCgroup reads the systemd service, flatpak app or snap a process runs
// in from the contents of its /proc/PID/cgroup: the unified (v2) line, or
// on a v1 system the name=systemd one.
func ParseCgroup(content string) Placement {
	var p string
	for line := range strings.Lines(content) {
		line = strings.TrimRight(line, "\n")
		_, rest, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		ctrl, cg, ok := strings.Cut(rest, ":")
		if !ok {
			continue
		}
		if ctrl == "" {
			p = cg
			break
		}
		if ctrl == "name=systemd" {
			p = cg
		}
	}
	var out Placement
	for _, el := range strings.Split(p, "/") {
		switch {
		case strings.HasPrefix(el, "snap.") && (strings.HasSuffix(el, ".scope") || strings.HasSuffix(el, ".service")):
			// snap.<name>.<app>-<id>.scope, snap.<name>.<app>.service
			if name, _, ok := strings.Cut(el[len("snap."):], "."); ok && name != "" {
				out.Package = "snap:" + name
			}
		case strings.HasPrefix(el, "app-flatpak-") && strings.HasSuffix(el, ".scope"):
			// app-flatpak-<app id>-<number>.scope
			id := strings.TrimSuffix(el[len("app-flatpak-"):], ".scope")
			if i := strings.LastIndexByte(id, '-'); i > 0 {
				id = id[:i]
			}
			out.Package = "flatpak:" + id
		}
		if strings.HasSuffix(el, ".service") && !strings.HasPrefix(el, "user@") {
			out.Unit = el
		}
	}
	return out
}

// nameOf is the command name to show for an executable path when the
// kernel's name is missing.
func nameOf(exe string) string {
	if exe == "" {
		return ""
	}
	return path.Base(exe)
}
