//go:build linux

package counter

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestNewReaderLinux reads this machine's real counters: every Linux
// network namespace has "lo".
func TestNewReaderLinux(t *testing.T) {
	r, err := NewReader()
	if err != nil {
		t.Fatal(err)
	}
	counters, err := r.Read(nil)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range counters {
		if c.Name == "" {
			t.Errorf("a counter without a name: %+v", c)
		}
		if c.Name == "lo" {
			found = true
		}
	}
	if !found {
		t.Fatalf("no lo among %+v", counters)
	}
	info, err := r.Info("lo")
	if err != nil {
		t.Fatal(err)
	}
	if info.Kind != KindLoopback || info.Name != "lo" || info.MAC != "" || info.Bits != nativeBits {
		t.Errorf("Info(lo) = %+v, want a loopback without MAC", info)
	}
	for _, c := range counters {
		if _, err := r.Info(c.Name); err != nil {
			t.Errorf("Info(%q): %v", c.Name, err)
		}
	}
}

// BenchmarkLinuxRead measures one poll of this machine's /proc/net/dev:
// open, read, close and parse, reusing the previous result.
func BenchmarkLinuxRead(b *testing.B) {
	r := newLinuxReader("/proc", "/sys")
	dst, err := r.Read(nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		dst, err = r.Read(dst[:0])
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(dst)), "ifaces")
}

// TestNetlinkMatchesProc: the link dump names the same interfaces as
// /proc/net/dev, each with its ifindex from /sys/class/net.
func TestNetlinkMatchesProc(t *testing.T) {
	r, err := NewReader()
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Read(nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.(*netlinkReader).fallback {
		t.Fatal("netlink unavailable: the reader fell back to /proc/net/dev")
	}
	proc, err := newLinuxReader("/proc", "/sys").Read(nil)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, c := range proc {
		names[c.Name] = true
	}
	for _, c := range got {
		idx := strings.TrimSpace(readSmall("/sys/class/net/" + c.Name + "/ifindex"))
		if !names[c.Name] || idx != strconv.FormatUint(uint64(c.Index), 10) {
			t.Errorf("netlink %+v: in /proc/net/dev %v, ifindex %q", c, names[c.Name], idx)
		}
		delete(names, c.Name)
	}
	if len(names) != 0 {
		t.Errorf("in /proc/net/dev but not in the link dump: %v", names)
	}
}

// BenchmarkNetlinkRead measures one poll with the rtnetlink link dump (the
// reader in use); compare BenchmarkLinuxRead (/proc/net/dev, no ifindex).
func BenchmarkNetlinkRead(b *testing.B) {
	r, _ := NewReader()
	dst, err := r.Read(nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		dst, err = r.Read(dst[:0])
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(dst)), "ifaces")
}

// TestNetlinkFallback: /proc/net/dev (no indexes) for good only when this
// process may not use netlink; a passing failure (too many open files) is
// retried on the next Read, answered from /proc/net/dev only while netlink
// has never worked.
func TestNetlinkFallback(t *testing.T) {
	r0, err := NewReader()
	if err != nil {
		t.Fatal(err)
	}
	r := r0.(*netlinkReader)
	defer r.closeSocket()
	fail := func(errno error) func() (int, error) {
		return func() (int, error) { return -1, fmt.Errorf("open netlink socket: %w", errno) }
	}
	hasIndex := func(cs []Counter) bool {
		for _, c := range cs {
			if c.Index == 0 {
				return false
			}
		}
		return len(cs) > 0
	}
	steps := []struct {
		open      func() (int, error)
		wantErr   string
		wantIndex bool
		fallback  bool
	}{
		{open: fail(unix.EMFILE)},            // never worked: /proc/net/dev this time
		{open: openNetlink, wantIndex: true}, // retried, and it works
		{open: fail(unix.EMFILE), wantErr: "open netlink socket: too many open files"}, // worked before: an error, retried next time
		{open: openNetlink, wantIndex: true},
		{open: fail(unix.EPERM), fallback: true}, // not allowed: /proc/net/dev from now on
		{open: openNetlink, fallback: true},
	}
	for i, s := range steps {
		r.closeSocket()
		r.open = s.open
		cs, err := r.Read(nil)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if gotErr != s.wantErr {
			t.Fatalf("step %d: error %q, want %q", i, gotErr, s.wantErr)
		}
		if err == nil && hasIndex(cs) != s.wantIndex {
			t.Fatalf("step %d: rows %+v, want indexes: %v", i, cs, s.wantIndex)
		}
		if r.fallback != s.fallback {
			t.Fatalf("step %d: fallback %v, want %v", i, r.fallback, s.fallback)
		}
	}
}

// TestProcReaderFixture reads the fake /proc in testdata through the
// proc_path constructor: the counters are the fixture's, not this
// machine's, so netlink (this process's namespace) is not in the way.
// Interfaces /sys does not describe are an ErrNoInterface from Info, which
// the monitor answers by describing them by name.
func TestProcReaderFixture(t *testing.T) {
	r, err := NewProcReader("testdata/proc")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := r.(*linuxReader); !ok {
		t.Fatalf("NewProcReader = %T, want the /proc/net/dev reader", r)
	}
	got, err := r.Read(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []Counter{
		{Name: "lo", RxBytes: 46021, TxBytes: 46021},
		{Name: "eth0", RxBytes: 153242067, TxBytes: 4345106},
		{Name: "wlan0", RxBytes: 9876543210, TxBytes: 1234567890},
		{Name: "docker0", RxBytes: 0, TxBytes: 2048},
		{Name: "veth1a2b3c4", RxBytes: 20480, TxBytes: 40960},
		{Name: "wg0", RxBytes: 524288, TxBytes: 262144},
		{Name: "eth1", RxBytes: 4294967296, TxBytes: 17179869184},
	}
	if len(got) != len(want) {
		t.Fatalf("Read = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("Read[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}

	// The same file with an empty /sys: counters unchanged, Info says
	// the interface is not described.
	bare, err := newProcReader("testdata/proc", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	got2, err := bare.Read(nil)
	if err != nil || len(got2) != len(want) || got2[1] != want[1] {
		t.Errorf("Read without /sys = %+v, %v", got2, err)
	}
	if _, err := bare.Info("eth0"); !errors.Is(err, ErrNoInterface) {
		t.Errorf("Info without /sys: %v, want ErrNoInterface", err)
	}

	if _, err := NewProcReader(t.TempDir()); err == nil || !strings.Contains(err.Error(), "monitoring.proc_path") {
		t.Errorf("NewProcReader(dir without net/dev) error = %v", err)
	}
}
