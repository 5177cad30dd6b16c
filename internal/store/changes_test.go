package store_test

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/store/storetest"
	"github.com/packetbuddy/pb/internal/usage"
)

func TestChangeTracking(t *testing.T) {
	t0 := utc(2024, 5, 1, 0, 0)
	s, _ := mustOpen(t, newClock(t0.Add(time.Hour)))
	mustFlush(t, s, usage.Batch{Deltas: []usage.Delta{delta(t0, 1, 2)}})
	if n, err := s.PendingChanges(ctx); err != nil || n != 0 {
		t.Fatalf("pending before tracking = %d, %v; want 0 (no outbox without sync)", n, err)
	}
	if err := s.StartChangeTracking(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.StartChangeTracking(ctx); err != nil { // idempotent
		t.Fatal(err)
	}
	mustFlush(t, s, usage.Batch{Deltas: []usage.Delta{delta(t0.Add(16*time.Minute), 5, 5)}})
	ch, err := s.Changes(ctx, 0)
	if err != nil || len(ch) != 2 {
		t.Fatalf("changes = %+v, %v; want the old bucket and the new one", ch, err)
	}
	if ch[0].Bucket != t0 || ch[0].Rx != 1 || ch[0].Tx != 2 || ch[1].Rx != 5 || ch[1].Seq <= ch[0].Seq {
		t.Errorf("changes = %+v", ch)
	}
	// The first bucket changes again after it was read: the ack of what was
	// read must not drop it.
	mustFlush(t, s, usage.Batch{Deltas: []usage.Delta{delta(t0.Add(time.Minute), 10, 10)}})
	if err := s.AckChanges(ctx, ch[1].Seq); err != nil {
		t.Fatal(err)
	}
	ch2, err := s.Changes(ctx, 10)
	if err != nil || len(ch2) != 1 || ch2[0].Bucket != t0 || ch2[0].Rx != 11 || ch2[0].Tx != 12 {
		t.Fatalf("after ack = %+v, %v; want bucket %v at absolute 11/12", ch2, err, t0)
	}
	if err := s.AckChanges(ctx, ch2[0].Seq); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.PendingChanges(ctx); n != 0 {
		t.Fatalf("pending = %d after full ack", n)
	}
	if _, w, err := s.SyncState(ctx); err != nil || w != ch2[0].Seq {
		t.Errorf("watermark = %d, %v; want %d", w, err, ch2[0].Seq)
	}
	if err := s.ResendAll(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.PendingChanges(ctx); n != 2 {
		t.Errorf("pending after ResendAll = %d, want 2", n)
	}
	if err := s.StopChangeTracking(ctx); err != nil {
		t.Fatal(err)
	}
	mustFlush(t, s, usage.Batch{Deltas: []usage.Delta{delta(t0, 1, 1)}})
	if n, _ := s.PendingChanges(ctx); n != 0 {
		t.Errorf("pending after stop = %d, want 0", n)
	}
	ifs, err := s.SyncInterfaces(ctx)
	if err != nil || len(ifs) != 1 || !ifs[0].Counted {
		t.Errorf("interfaces = %+v, %v", ifs, err)
	}
}

// BenchmarkFlushSteadyTracked is BenchmarkFlushSteady with fleet sync on:
// the triggers stamp the outbox on every flush, and the syncer acknowledges
// every second flush (60 s) what it read. Compare B-written/flush with
// BenchmarkFlushSteady for the cost of sync on the local disk.
func BenchmarkFlushSteadyTracked(b *testing.B) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newClock(at)
	s, _ := mustOpen(b, c)
	if err := s.StartChangeTracking(ctx); err != nil {
		b.Fatal(err)
	}
	var ifaces []usage.Interface
	for i := range 3 {
		ifaces = append(ifaces, storetest.Iface(i))
	}
	now := at
	n := 0
	flush := func() {
		now = now.Add(30 * time.Second)
		bt := usage.Batch{Interfaces: ifaces, Snapshot: usage.Snapshot{BootID: "boot", Time: now}}
		for i, in := range ifaces {
			bt.Snapshot.Counters = append(bt.Snapshot.Counters, usage.CounterState{Iface: in.Name, MAC: in.MAC, Rx: uint64(now.Unix()), Tx: uint64(i)})
			bt.Deltas = append(bt.Deltas, usage.Delta{Iface: in.Name, MAC: in.MAC, Bucket: now.Add(-time.Second).Truncate(time.Minute), Totals: usage.Totals{Rx: 123456, Tx: 7890}})
		}
		bt.Peaks = []usage.Peak{{Bucket: now.Truncate(15 * time.Minute), BytesPerSec: uint64(now.Unix() % 997)}}
		c.Set(now)
		if err := s.Flush(ctx, bt); err != nil {
			b.Fatal(err)
		}
		if n++; n%2 == 0 {
			ch, err := s.Changes(ctx, 5000)
			if err != nil {
				b.Fatal(err)
			}
			if len(ch) > 0 {
				if err := s.AckChanges(ctx, ch[len(ch)-1].Seq); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	for range 2000 {
		flush()
	}
	b.ReportAllocs()
	w0 := procWrittenBytes()
	b.ResetTimer()
	for b.Loop() {
		flush()
	}
	b.StopTimer()
	if w0 >= 0 {
		per := float64(procWrittenBytes()-w0) / float64(b.N)
		b.ReportMetric(per, "B-written/flush")
		b.ReportMetric(per/30, "B-written/s@30s")
	}
}

func procWrittenBytes() int64 {
	buf, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(buf), "\n") {
		if v, ok := strings.CutPrefix(l, "wchar: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return -1
}
