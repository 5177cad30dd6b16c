package apps

import (
	"cmp"
	"os"
	"slices"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/rlimit"
)

// newMapForTest creates a BPF map, failing under CI=true and skipping
// elsewhere when this process may not.
func newMapForTest(t *testing.T, spec *ebpf.MapSpec) *ebpf.Map {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("creating BPF maps needs root; CI must provide it")
		}
		t.Skip("creating BPF maps needs root (runs under CI=true)")
	}
	if err := rlimit.RemoveMemlock(); err != nil {
		t.Fatal(err)
	}
	m, err := ebpf.NewMap(spec)
	if err != nil {
		t.Fatalf("create a %v map: %v", spec.Type, err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// TestBatchReaderReadsTheWholeMap compares the raw batch reader with
// cilium/ebpf's iterator on a map like the counters' (its size, key and
// value), holding more entries than one batch; a one-entry buffer makes
// the kernel refuse every bucket of two or more (ENOSPC) until it grows.
func TestBatchReaderReadsTheWholeMap(t *testing.T) {
	m := newMapForTest(t, &ebpf.MapSpec{Type: ebpf.Hash, KeySize: 8, ValueSize: 32, MaxEntries: 16384})
	for i := range uint32(1000) {
		k := countKey{Tgid: 1000 + i/3, Ifindex: 1 + i%3}
		v := countCounts{RxBytes: uint64(i) << 33, TxBytes: uint64(i) * 7, RxPackets: uint64(i), TxPackets: 1<<64 - 1 - uint64(i)}
		if err := m.Put(&k, &v); err != nil {
			t.Fatal(err)
		}
	}
	var want []Sample
	var k countKey
	var v countCounts
	it := m.Iterate()
	for it.Next(&k, &v) {
		want = append(want, Sample{PID: k.Tgid, Ifindex: k.Ifindex, RxBytes: v.RxBytes, TxBytes: v.TxBytes, RxPackets: v.RxPackets, TxPackets: v.TxPackets})
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	if len(want) != 1000 {
		t.Fatalf("the iterator read %d entries, want 1000", len(want))
	}
	bySample := func(a, b Sample) int { return cmp.Or(cmp.Compare(a.PID, b.PID), cmp.Compare(a.Ifindex, b.Ifindex)) }
	slices.SortFunc(want, bySample)
	for _, size := range []int{256, 1} {
		r := newBatchReader(m.FD())
		r.keys, r.vals = r.keys[:size], r.vals[:size]
		prefix := []Sample{{PID: 1}} // read appends
		for pass := range 2 {        // the second with the buffers warm
			got, err := r.read(prefix)
			if err != nil {
				t.Fatalf("buffers of %d, pass %d: %v", size, pass, err)
			}
			if got[0] != prefix[0] {
				t.Fatalf("buffers of %d: read overwrote what dst held", size)
			}
			got = got[1:]
			slices.SortFunc(got, bySample)
			if d := gocmp.Diff(want, got); d != "" {
				t.Fatalf("buffers of %d, pass %d: batch read differs from the iterator (-want +got):\n%s", size, pass, d)
			}
		}
		if size == 1 && len(r.keys) == 1 {
			t.Error("the one-entry buffers never grew: no bucket of two was met, so ENOSPC went untested")
		}
	}

	// Forget's deletes and the command-name lookup, raw too.
	var e elemCalls
	if err := e.deleteKey(m.FD(), countKey{Tgid: 1000, Ifindex: 1}); err != nil {
		t.Fatal(err)
	}
	if err := e.deleteKey(m.FD(), countKey{Tgid: 1000, Ifindex: 1}); err != nil {
		t.Errorf("deleting a missing entry: %v, want no error", err)
	}
	if got, err := newBatchReader(m.FD()).read(nil); err != nil || len(got) != 999 {
		t.Errorf("after one delete: %d entries (%v), want 999", len(got), err)
	}
}

func TestElemCallsLookUpCommandNames(t *testing.T) {
	m := newMapForTest(t, &ebpf.MapSpec{Type: ebpf.Hash, KeySize: 4, ValueSize: 16, MaxEntries: 16})
	var full countComm
	for i := range full.Name {
		full.Name[i] = int8('a' + i)
	}
	for pid, c := range map[uint32]countComm{7: {Name: [16]int8{'c', 'u', 'r', 'l'}}, 8: full} {
		if err := m.Put(pid, c); err != nil {
			t.Fatal(err)
		}
	}
	var e elemCalls
	for _, tt := range []struct {
		pid  uint32
		want string
	}{{7, "curl"}, {8, "abcdefghijklmnop"}, {9, ""}} {
		if got := e.lookupComm(m.FD(), tt.pid); got != tt.want {
			t.Errorf("comm of %d = %q, want %q", tt.pid, got, tt.want)
		}
	}
	if err := e.deletePID(m.FD(), 7); err != nil {
		t.Fatal(err)
	}
	if got := e.lookupComm(m.FD(), 7); got != "" {
		t.Errorf("comm of 7 after delete = %q, want none", got)
	}
}

// TestBatchReaderFallsBack: a map the kernel cannot read in batches fails
// with an error Read takes as "iterate instead".
func TestBatchReaderFallsBack(t *testing.T) {
	m := newMapForTest(t, &ebpf.MapSpec{Type: ebpf.Queue, ValueSize: 8, MaxEntries: 4})
	_, err := newBatchReader(m.FD()).read(nil)
	if err == nil || !batchUnsupported(err) {
		t.Fatalf("batch read of a queue map: %v, want an error saying batches are unsupported", err)
	}
}
