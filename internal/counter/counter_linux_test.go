//go:build linux

package counter

import (
	"strconv"
	"strings"
	"testing"
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
