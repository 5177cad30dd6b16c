package store_test

import (
	"database/sql"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/usage"
)

// countAll counts the tables the slow way, to check the maintained counts.
func countAll(t *testing.T, path string) usage.RowCounts {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var c usage.RowCounts
	if err := db.QueryRow(`SELECT (SELECT count(*) FROM fine), (SELECT count(*) FROM coarse), (SELECT count(*) FROM daily),
		(SELECT count(*) FROM periods), (SELECT count(*) FROM peaks), (SELECT count(*) FROM events),
		(SELECT count(*) FROM interfaces)`).Scan(&c.Fine, &c.Coarse, &c.Daily, &c.Periods, &c.Peaks, &c.Events, &c.Interfaces); err != nil {
		t.Fatal(err)
	}
	return c
}

// The maintained counts (and Stats, which reads them) equal the tables'
// after flushes of new and existing buckets and peaks, imports, period
// totals and a prune; a dry-run prune counts
// exactly what the prune then deletes, and deletes nothing.
func TestCountsAndDryRunPrune(t *testing.T) {
	start := utc(2024, 3, 1, 0, 0)
	c := newClock(start)
	s, path := mustOpen(t, c)
	check := func(when string) {
		t.Helper()
		got, err := s.MaintainedCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := countAll(t, path)
		if got != want {
			t.Errorf("%s: counts %+v, want %+v", when, got, want)
		}
		st, err := s.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.FineRows != want.Fine || st.CoarseRows != want.Coarse || st.PeakRows != want.Peaks ||
			st.EventRows != want.Events || int64(st.Interfaces) != want.Interfaces {
			t.Errorf("%s: stats %+v, want %+v", when, st, want)
		}
	}
	check("empty")
	// 20 days of two interfaces, each flushed twice (the second flush
	// updates the same buckets), events included.
	for day := 0; day < 20; day++ {
		at := start.Add(time.Duration(day) * 24 * time.Hour)
		for range 2 {
			var b usage.Batch
			b.Interfaces = []usage.Interface{eth0, {Name: "wlan0", Kind: "wifi"}}
			for m := 0; m < 24*60; m += 13 {
				b.Deltas = append(b.Deltas, delta(at.Add(time.Duration(m)*time.Minute), 10, 1),
					usage.Delta{Iface: "wlan0", Bucket: at.Add(time.Duration(m) * time.Minute), Totals: tot(5, 5)})
			}
			b.Events = []usage.Event{{Time: at, Kind: usage.EventSpike, Iface: "eth0", Message: "test"}}
			for q := 0; q < 24*4; q += 5 { // the second flush updates the same peaks
				b.Peaks = append(b.Peaks, usage.Peak{Bucket: at.Add(time.Duration(q) * 15 * time.Minute), BytesPerSec: uint64(100 + q)})
			}
			c.Set(at.Add(24 * time.Hour))
			mustFlush(t, s, b)
		}
	}
	check("after flushes")
	if err := s.AddHistory(ctx, usage.Interface{Name: "old", Kind: "imported", Counted: true},
		[]usage.Delta{delta(utc(2023, 6, 1, 0, 0), 1, 1), delta(utc(2023, 6, 2, 0, 0), 1, 1)}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddPeriods(ctx, usage.Interface{Name: "old"}, []usage.Period{
		{Kind: usage.PeriodMonth, Start: utc(2023, 1, 1, 0, 0), End: utc(2023, 2, 1, 0, 0), Totals: tot(9, 9)},
		{Kind: usage.PeriodYear, Start: utc(2022, 1, 1, 0, 0), End: utc(2023, 1, 1, 0, 0), Totals: tot(9, 9)},
	}); err != nil {
		t.Fatal(err)
	}
	check("after an import")

	before := countAll(t, path)
	dry, err := s.PruneWith(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if after := countAll(t, path); after != before {
		t.Fatalf("a dry run changed the tables: %+v → %+v", before, after)
	}
	if dry.FineRows == 0 {
		t.Fatal("the dry run finds nothing to prune; the fixture has 20 days against a 7-day retention")
	}
	real, err := s.PruneWith(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if real != dry {
		t.Errorf("prune deleted %+v, the dry run said %+v", real, dry)
	}
	if after := countAll(t, path); after.Fine != before.Fine-real.FineRows || after.Coarse != before.Coarse {
		t.Errorf("after the prune %+v, before %+v, deleted %+v", after, before, real)
	}
	check("after a prune")
}
