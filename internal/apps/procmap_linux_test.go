package apps

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// fakeProc makes a /proc with the given processes, each holding sockets
// (inodes) and one descriptor that is not a socket.
func fakeProc(t *testing.T, procs map[uint32][]uint32) string {
	t.Helper()
	root := t.TempDir()
	for pid, socks := range procs {
		addProc(t, root, pid, socks)
	}
	return root
}

func addProc(t *testing.T, root string, pid uint32, socks []uint32) {
	t.Helper()
	dir := filepath.Join(root, fmt.Sprint(pid))
	if err := os.MkdirAll(filepath.Join(dir, "fd"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "comm"), []byte(fmt.Sprintf("prog%d\n", pid)), 0o644)
	os.Symlink("/dev/null", filepath.Join(dir, "fd", "0"))
	for i, ino := range socks {
		if err := os.Symlink(fmt.Sprintf("socket:[%d]", ino), filepath.Join(dir, "fd", fmt.Sprint(i+3))); err != nil {
			t.Fatal(err)
		}
	}
}

// TestProcMapWalksOnlyForNewSockets: a socket's process is found by one
// walk of /proc; known sockets cost nothing; a new socket of a process
// already known is found among the known processes without a walk; an
// inode no process holds costs one walk, then none.
func TestProcMapWalksOnlyForNewSockets(t *testing.T) {
	uid := uint32(os.Geteuid())
	root := fakeProc(t, map[uint32][]uint32{100: {1001, 1002}, 200: {2001}, 300: nil})
	m := newProcMap(root)
	want := func(inos ...uint32) map[uint32]uint32 {
		w := map[uint32]uint32{}
		for _, i := range inos {
			w[i] = uid
		}
		return w
	}
	check := func(step string, walks int, owners map[uint32]uint32) {
		t.Helper()
		if m.Walks != walks {
			t.Errorf("%s: %d walks of /proc, want %d", step, m.Walks, walks)
		}
		for ino, pid := range owners {
			if got, ok := m.lookup(ino); got != pid || ok != (pid != 0) {
				t.Errorf("%s: socket %d held by %d (%v), want %d", step, ino, got, ok, pid)
			}
		}
	}
	m.find(want(1001, 2001), true)
	check("first sockets", 1, map[uint32]uint32{1001: 100, 2001: 200, 1002: 0})
	if m.comm[100] != "prog100" || m.comm[200] != "prog200" {
		t.Errorf("command names %v", m.comm)
	}
	m.find(want(1001, 2001), true)
	check("the same sockets again", 1, nil)
	m.find(want(1001, 1002), true)
	check("another socket of a known process", 1, map[uint32]uint32{1002: 100})
	// Without leave to walk /proc, only the known holders are looked at:
	// a new process's socket stays unknown, and is not given up on.
	addProc(t, root, 600, []uint32{6001})
	// process 100 opens one more
	if err := os.Symlink("socket:[1004]", filepath.Join(root, "100", "fd", "10")); err != nil {
		t.Fatal(err)
	}
	if m.find(want(6001, 1004), false) {
		t.Error("find walked /proc without leave")
	}
	check("no walk", 1, map[uint32]uint32{1004: 100, 6001: 0})
	if m.given(6001) {
		t.Error("a socket was given up on without a walk")
	}
	if !m.find(want(6001), true) {
		t.Error("find did not walk /proc for a socket of an unknown process")
	}
	check("the walk", 2, map[uint32]uint32{6001: 600})
	m.find(want(9999), true)
	check("a socket no process holds", 3, map[uint32]uint32{9999: 0})
	m.find(want(9999), true)
	check("the same again", 3, nil)
	addProc(t, root, 400, []uint32{4001})
	m.find(want(4001), true)
	check("a new process", 4, map[uint32]uint32{4001: 400})
	// A socket of another user is looked for only among that user's
	// processes: none here.
	m.find(map[uint32]uint32{5001: uid + 1}, true)
	check("another user's socket", 5, map[uint32]uint32{5001: 0})
	m.drop(1001)
	check("dropped", 5, map[uint32]uint32{1001: 0})
	os.RemoveAll(filepath.Join(root, "200"))
	m.find(want(1003), true)
	if _, ok := m.holds[200]; ok {
		t.Error("an exited process is still looked at first")
	}
}
