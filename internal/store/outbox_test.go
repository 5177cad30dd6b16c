package store_test

import (
	"database/sql"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/store"
	"github.com/packetbuddy/pb/internal/usage"
)

// drain reads the outbox in batches of n, acknowledging each batch as the
// syncer does, and returns every bucket read with how often it was read.
func drain(t *testing.T, s *store.Store, n int) map[[2]int64]int {
	t.Helper()
	seen := map[[2]int64]int{}
	for range 1000 {
		ch, err := s.Changes(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		if len(ch) == 0 {
			return seen
		}
		for i, c := range ch {
			if i > 0 && c.Seq <= ch[i-1].Seq {
				t.Fatalf("sequence %d after %d: not one sequence per row", c.Seq, ch[i-1].Seq)
			}
			seen[[2]int64{c.IfaceID, c.Bucket.Unix()}]++
		}
		if err := s.AckChanges(ctx, ch[len(ch)-1].Seq); err != nil {
			t.Fatal(err)
		}
	}
	t.Fatal("outbox never drained")
	return nil
}

// history adds days of 15-minute buckets on two interfaces.
func history(t *testing.T, s *store.Store, from time.Time, days int) int {
	t.Helper()
	n := 0
	for _, iface := range []usage.Interface{{Name: "eth0", Kind: "ethernet", Counted: true}, {Name: "wlan0", Kind: "wifi", Counted: true}} {
		var ds []usage.Delta
		for b := from; b.Before(from.AddDate(0, 0, days)); b = b.Add(usage.CoarseBucket) {
			ds = append(ds, usage.Delta{Bucket: b, Totals: usage.Totals{Rx: uint64(b.Unix() % 1000), Tx: 1}})
		}
		if err := s.AddHistory(ctx, iface, ds); err != nil {
			t.Fatal(err)
		}
		n += len(ds)
	}
	return n
}

// A first sync, a resend of everything and a re-enabled sync each queue
// more buckets than a batch holds; acknowledging batch after batch must
// hand out every one of them exactly once (schema 2 gave a resend one
// sequence number, and the first acknowledgement dropped the rest unsent).
func TestOutboxDrainsEveryBucketInBatches(t *testing.T) {
	t0 := utc(2026, 1, 1, 0, 0)
	s, _ := mustOpen(t, newClock(t0.AddDate(0, 5, 0)))
	total := history(t, s, t0, 70) // 2 x 6,720 buckets
	if total != 13440 {
		t.Fatalf("history has %d buckets", total)
	}
	check := func(when string, want int) {
		t.Helper()
		seen := drain(t, s, 5000)
		if len(seen) != want {
			t.Errorf("%s: %d buckets read, want %d", when, len(seen), want)
		}
		for k, n := range seen {
			if n != 1 {
				t.Errorf("%s: bucket %v read %d times", when, k, n)
			}
		}
		if n, err := s.PendingChanges(ctx); err != nil || n != 0 {
			t.Errorf("%s: pending %d, %v after draining", when, n, err)
		}
	}
	if err := s.StartChangeTracking(ctx); err != nil {
		t.Fatal(err)
	}
	check("first sync", total)

	if err := s.ResendAll(ctx); err != nil {
		t.Fatal(err)
	}
	check("resend all", total)

	// Imported history while sync is on: the triggers stamp each row.
	added := history(t, s, t0.AddDate(0, 3, 0), 30)
	check("import", added)

	if err := s.StopChangeTracking(ctx); err != nil {
		t.Fatal(err)
	}
	added += history(t, s, t0.AddDate(0, 4, 0), 10)
	if err := s.StartChangeTracking(ctx); err != nil {
		t.Fatal(err)
	}
	check("re-enabled", total+added)

	// A bucket written between reading a batch and acknowledging it stays.
	if err := s.ResendAll(ctx); err != nil {
		t.Fatal(err)
	}
	ch, err := s.Changes(ctx, 5000)
	if err != nil || len(ch) != 5000 {
		t.Fatalf("changes = %d, %v", len(ch), err)
	}
	mustFlush(t, s, usage.Batch{Deltas: []usage.Delta{{Iface: "eth0", Bucket: ch[0].Bucket, Totals: usage.Totals{Rx: 5, Tx: 5}}}})
	if err := s.AckChanges(ctx, ch[len(ch)-1].Seq); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.PendingChanges(ctx); n != int64(total+added-5000+1) {
		t.Errorf("pending after acknowledging one batch = %d, want %d", n, total+added-5000+1)
	}

	var n int
	var rx int64
	if err := s.EachBucket(ctx, func(b store.Bucket) error { n++; rx += b.Rx; return nil }); err != nil || n != total+added {
		t.Errorf("EachBucket saw %d buckets, %v; want %d", n, err, total+added)
	}
}

// A device that synced under schemas 2 to 5 may have lost history to
// the shared sequence of a resend: migration 6 queues every bucket once
// more, each with its own sequence, when sync is on.
func TestMigrationRequeuesHistory(t *testing.T) {
	t0 := utc(2026, 1, 1, 0, 0)
	s, path := mustOpen(t, newClock(t0.AddDate(0, 3, 0)))
	total := history(t, s, t0, 60)
	if err := s.StartChangeTracking(ctx); err != nil {
		t.Fatal(err)
	}
	drain(t, s, 5000)
	s.Close()
	// Back to schema 5 as the bug left it: a non-unique sequence index,
	// one pending entry sharing its sequence with nothing acknowledged.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`DROP INDEX sync_outbox_seq`,
		`CREATE INDEX sync_outbox_seq ON sync_outbox (seq)`,
		`INSERT INTO sync_outbox (iface_id, ts, seq) SELECT iface_id, ts, 7 FROM coarse LIMIT 2`,
		`PRAGMA user_version = 5`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	s = mustOpenPath(t, path, store.Options{Now: newClock(t0.AddDate(0, 3, 0)).Now})
	if n, err := s.PendingChanges(ctx); err != nil || n != int64(total) {
		t.Fatalf("pending after migration 6 = %d, %v; want every bucket (%d)", n, err, total)
	}
	if seen := drain(t, s, 5000); len(seen) != total {
		t.Errorf("%d buckets read after the migration, want %d", len(seen), total)
	}
}
