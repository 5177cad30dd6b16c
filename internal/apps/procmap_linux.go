package apps

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// procMap finds which process holds a socket, by its inode, from the
// /proc/PID/fd links ("socket:[INODE]") of a /proc file system.
//
// Walking every process's descriptors is the expensive part of the
// fallback, so it is done only for sockets not seen before, and first
// among the processes already known to hold sockets (the programs that
// open new connections are mostly the ones that opened the last ones);
// only what is still unknown then costs a walk of the rest of /proc, and
// only of the processes of the sockets' owners. An inode no process was
// found to hold is not looked for again.
type procMap struct {
	root  string
	owner map[uint32]uint32   // socket inode → pid
	holds map[uint32]struct{} // pids seen holding a socket
	comm  map[uint32]string   // pid → command name, read when found
	tried map[uint32]struct{} // inodes looked for in vain
	// Walks counts full walks of /proc, for tests and benchmarks.
	Walks int
}

func newProcMap(root string) *procMap {
	return &procMap{root: root, owner: map[uint32]uint32{}, holds: map[uint32]struct{}{}, comm: map[uint32]string{}, tried: map[uint32]struct{}{}}
}

// lookup returns the pid holding the socket with inode ino, if known.
func (m *procMap) lookup(ino uint32) (uint32, bool) {
	pid, ok := m.owner[ino]
	return pid, ok
}

// find looks for the holders of the inodes in want (inode → uid of the
// socket's owner) that are not known yet: among the known holders, and
// then, if walk allows, in the rest of /proc. It reports whether it
// walked /proc.
func (m *procMap) find(want map[uint32]uint32, walk bool) bool {
	missing := func() int {
		n := 0
		for ino := range want {
			if _, ok := m.owner[ino]; !ok {
				if _, tried := m.tried[ino]; !tried {
					n++
				}
			}
		}
		return n
	}
	if missing() == 0 {
		return false
	}
	done := map[uint32]struct{}{}
	for pid := range m.holds {
		done[pid] = struct{}{}
		if !m.scan(pid, want) {
			delete(m.holds, pid)
		}
	}
	if missing() == 0 || !walk {
		return false
	}
	uids := map[uint32]bool{}
	for ino, uid := range want {
		if _, ok := m.owner[ino]; !ok {
			uids[uid] = true
		}
	}
	m.Walks++
	if d, err := os.Open(m.root); err == nil {
		names, _ := d.Readdirnames(-1)
		d.Close()
		for _, name := range names {
			p, err := strconv.ParseUint(name, 10, 32)
			if err != nil {
				continue
			}
			pid := uint32(p)
			if _, ok := done[pid]; ok {
				continue
			}
			var st syscall.Stat_t
			if syscall.Stat(filepath.Join(m.root, name), &st) != nil || !uids[st.Uid] {
				continue
			}
			m.scan(pid, want)
		}
	}
	for ino := range want {
		if _, ok := m.owner[ino]; !ok {
			m.tried[ino] = struct{}{}
		}
	}
	return true
}

// given reports whether no process was found holding ino in a full walk
// of /proc: it is not looked for again.
func (m *procMap) given(ino uint32) bool {
	_, ok := m.tried[ino]
	return ok
}

// scan records which of the sockets in want pid holds; it reports false
// if pid is gone.
func (m *procMap) scan(pid uint32, want map[uint32]uint32) bool {
	dir := filepath.Join(m.root, strconv.FormatUint(uint64(pid), 10))
	d, err := os.Open(filepath.Join(dir, "fd"))
	if err != nil {
		return false
	}
	defer d.Close()
	names, _ := d.Readdirnames(-1)
	dfd := int(d.Fd())
	found := false
	for _, fd := range names {
		// A descriptor's stat is its file's: for a socket, S_IFSOCK and
		// the socket's inode, without building the link's text.
		var st unix.Stat_t
		var ino uint64
		if unix.Fstatat(dfd, fd, &st, 0) == nil && st.Mode&unix.S_IFMT == unix.S_IFSOCK {
			ino = st.Ino
		} else if link, err := os.Readlink(filepath.Join(dir, "fd", fd)); err == nil && strings.HasPrefix(link, "socket:[") && strings.HasSuffix(link, "]") {
			// a copy of /proc (tests) has the links only
			ino, _ = strconv.ParseUint(link[len("socket:["):len(link)-1], 10, 32)
		}
		if ino == 0 || ino > 1<<32-1 {
			continue
		}
		if _, ok := want[uint32(ino)]; !ok {
			continue
		}
		found = true
		if _, ok := m.owner[uint32(ino)]; !ok {
			m.owner[uint32(ino)] = pid
		}
	}
	if found {
		m.holds[pid] = struct{}{}
		if _, ok := m.comm[pid]; !ok {
			if b, err := os.ReadFile(filepath.Join(dir, "comm")); err == nil {
				m.comm[pid] = strings.TrimSpace(string(b))
			}
		}
	}
	return true
}

// drop forgets inodes no longer in any dump.
func (m *procMap) drop(ino uint32) {
	delete(m.owner, ino)
	delete(m.tried, ino)
}

// forget forgets an exited process.
func (m *procMap) forget(pid uint32) {
	delete(m.holds, pid)
	delete(m.comm, pid)
}
