package apps

import (
	"io/fs"
	"strconv"
	"strings"

	"github.com/packetbuddy/pb/internal/usage"
)

// Resolver names processes from a /proc file system, remembering each one
// so an application that exits keeps the name it was first seen under.
type Resolver struct {
	proc  fs.FS // the root of /proc
	cache map[uint32]usage.App
}

// NewResolver resolves processes in proc (os.DirFS("/proc") on Linux).
func NewResolver(proc fs.FS) *Resolver {
	return &Resolver{proc: proc, cache: map[uint32]usage.App{}}
}

// Resolve returns the application of pid. comm is the kernel's name for
// it, used when the process has gone before it could be looked at.
func (r *Resolver) Resolve(pid uint32, comm string) usage.App {
	if a, ok := r.cache[pid]; ok {
		return a
	}
	dir := strconv.FormatUint(uint64(pid), 10)
	var a usage.App
	if exe, err := readlink(r.proc, dir+"/exe"); err == nil {
		a.Path = strings.TrimSuffix(exe, " (deleted)")
	}
	if b, err := fs.ReadFile(r.proc, dir+"/comm"); err == nil {
		a.Name = strings.TrimSpace(string(b))
	}
	if b, err := fs.ReadFile(r.proc, dir+"/cgroup"); err == nil {
		p := ParseCgroup(string(b))
		a.Unit, a.Package = p.Unit, p.Package
	}
	if a.Name == "" {
		a.Name = comm
	}
	if a.Name == "" {
		a.Name = nameOf(a.Path)
	}
	if a.Path == "" && a.Name == "" {
		a.Name = "pid " + dir
	}
	r.cache[pid] = a
	return a
}

// Cached returns the application of pid if it has been resolved, without
// looking at anything.
func (r *Resolver) Cached(pid uint32) (usage.App, bool) {
	a, ok := r.cache[pid]
	return a, ok
}

// Alive reports whether pid still runs.
func (r *Resolver) Alive(pid uint32) bool {
	_, err := fs.Stat(r.proc, strconv.FormatUint(uint64(pid), 10))
	return err == nil
}

// Forget drops what is remembered of pid, after it exited and its last
// traffic was booked.
func (r *Resolver) Forget(pid uint32) { delete(r.cache, pid) }

// readlink reads a symbolic link in fsys (fs.ReadLinkFS, Go 1.25+).
func readlink(fsys fs.FS, name string) (string, error) {
	return fs.ReadLink(fsys, name)
}
