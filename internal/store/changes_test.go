package store_test

import (
	"testing"
	"time"

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
