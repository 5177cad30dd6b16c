package store_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/golden"
	"github.com/packetbuddy/pb/internal/store"
	"github.com/packetbuddy/pb/internal/store/storetest"
	"github.com/packetbuddy/pb/internal/usage"
)

// The benchmark database: 10 years of 3 interfaces, every quarter busy
// (1.05 M coarse rows), generated once per process.
var (
	benchOnce  sync.Once
	benchDir   string
	benchStore *store.Store
	benchErr   error
	benchEnd   = time.Date(2026, 11, 25, 17, 37, 0, 0, time.UTC)
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchStore != nil {
		benchStore.Close()
	}
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

func tenYears(b *testing.B) *store.Store {
	b.Helper()
	benchOnce.Do(func() {
		// PB_BENCH_DB keeps the generated database between runs (it is
		// created when missing); by default it lives in a temporary
		// directory removed at the end.
		path := os.Getenv("PB_BENCH_DB")
		if _, err := os.Stat(path); path == "" || err != nil {
			if path == "" {
				if benchDir, benchErr = os.MkdirTemp("", "pb-store-bench-"); benchErr != nil {
					return
				}
				path = filepath.Join(benchDir, "pb.db")
			}
			t0 := time.Now()
			if benchErr = storetest.Generate(ctx, path, 3, 10, benchEnd, 1); benchErr != nil {
				return
			}
			fmt.Fprintf(os.Stderr, "bench: generated 10 years x 3 interfaces in %v\n", time.Since(t0).Round(time.Millisecond))
		}
		// A kept database may predate a migration: open it once as the
		// daemon would, which brings it to this build's schema.
		if s, err := store.Open(ctx, path, store.Options{Now: func() time.Time { return benchEnd }}); err != nil {
			benchErr = err
			return
		} else if benchErr = s.Close(); benchErr != nil {
			return
		}
		fi, _ := os.Stat(path)
		fmt.Fprintf(os.Stderr, "bench: %s: %d bytes\n", path, fi.Size())
		// The API reads through the daemon's store; a read-only store uses
		// the same read pool.
		benchStore, benchErr = store.Open(ctx, path, store.Options{ReadOnly: true, Now: func() time.Time { return benchEnd }})
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchStore
}

func BenchmarkFlush(b *testing.B) {
	for _, n := range []int{3, 20} {
		b.Run(fmt.Sprintf("ifaces=%d", n), func(b *testing.B) {
			at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			c := newClock(at)
			s, _ := mustOpen(b, c)
			var ifaces []usage.Interface
			var snap usage.Snapshot
			for i := range n {
				ifaces = append(ifaces, storetest.Iface(i))
				snap.Counters = append(snap.Counters, usage.CounterState{Iface: ifaces[i].Name, MAC: ifaces[i].MAC, Rx: 1 << 40, Tx: 1 << 30})
			}
			batch := func(start time.Time) usage.Batch {
				bt := usage.Batch{Interfaces: ifaces, Snapshot: snap}
				for _, in := range ifaces {
					for m := range 30 {
						bt.Deltas = append(bt.Deltas, usage.Delta{Iface: in.Name, MAC: in.MAC,
							Bucket: start.Add(time.Duration(m) * time.Minute), Totals: usage.Totals{Rx: 123456, Tx: 7890}})
					}
				}
				bt.Peaks = []usage.Peak{{Bucket: start, BytesPerSec: 1e6}, {Bucket: start.Add(15 * time.Minute), BytesPerSec: 2e6}}
				bt.Snapshot.BootID, bt.Snapshot.Time = "boot", start.Add(30*time.Minute)
				return bt
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				start := at.Add(time.Duration(i) * 30 * time.Minute)
				bt := batch(start)
				c.Set(start.Add(30 * time.Minute))
				if err := s.Flush(ctx, bt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFlushSteady is the daemon at its defaults: 3 interfaces, a flush
// every 30 s with the minute buckets since the last one, a peak and the
// snapshot. On Linux it reports the bytes the process wrote per flush (WAL
// frames and checkpoints, from /proc/self/io) and what that is per second.
func BenchmarkFlushSteady(b *testing.B) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newClock(at)
	s, _ := mustOpen(b, c)
	var ifaces []usage.Interface
	for i := range 3 {
		ifaces = append(ifaces, storetest.Iface(i))
	}
	now := at
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
	}
	for range 2000 { // a warm database: WAL wrapped, checkpoints running
		flush()
	}
	b.ReportAllocs()
	w0 := procWritten()
	b.ResetTimer()
	for b.Loop() {
		flush()
	}
	b.StopTimer()
	if w0 >= 0 {
		per := float64(procWritten()-w0) / float64(b.N)
		b.ReportMetric(per, "B-written/flush")
		b.ReportMetric(per/30, "B-written/s@30s")
	}
}

// procWritten is the bytes this process passed to write calls so far
// (wchar in /proc/self/io), or -1 where there is no such file.
func procWritten() int64 {
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

func BenchmarkQuery(b *testing.B) {
	s := tenYears(b)
	kolkata := golden.Location("Asia/Kolkata") // +5:30: local days need coarse rows at both ends
	berlin := golden.Location("Europe/Berlin")
	today := usage.DateOf(benchEnd.In(kolkata))
	all := usage.Filter{}
	tests := []struct {
		name string
		fn   func() error
	}{
		{"TotalsToday", func() error {
			_, err := s.Totals(ctx, today.Start(kolkata), benchEnd, all)
			return err
		}},
		{"TotalsAll", func() error {
			_, err := s.Totals(ctx, time.Unix(0, 0), benchEnd, all)
			return err
		}},
		{"DaysMonth", func() error {
			_, err := s.Days(ctx, usage.Date{Year: 2026, Month: 11, Day: 1}, usage.Date{Year: 2026, Month: 11, Day: 30}, kolkata, all)
			return err
		}},
		{"DaysYear", func() error {
			_, err := s.Days(ctx, today.AddDays(-364), today, kolkata, all)
			return err
		}},
		{"DaysYearBerlin", func() error {
			_, err := s.Days(ctx, today.AddDays(-364), today, berlin, all)
			return err
		}},
		{"Months10y", func() error {
			_, err := s.Months(ctx, today.AddDays(-3652), today, kolkata, all)
			return err
		}},
		{"Hours", func() error {
			_, err := s.Hours(ctx, today, kolkata, all)
			return err
		}},
		{"TopDays10", func() error {
			_, err := s.TopDays(ctx, 10, kolkata, all)
			return err
		}},
		{"Lifetime", func() error {
			_, err := s.Lifetime(ctx, all)
			return err
		}},
		{"Interfaces", func() error {
			_, err := s.Interfaces(ctx, today.Start(kolkata), benchEnd)
			return err
		}},
		{"InterfaceLifetimes", func() error {
			_, err := s.InterfaceLifetimes(ctx)
			return err
		}},
		{"Span", func() error {
			_, _, _, err := s.Span(ctx, kolkata)
			return err
		}},
		{"PeakMonth", func() error {
			_, _, err := s.Peak(ctx, benchEnd.AddDate(0, -1, 0), benchEnd)
			return err
		}},
		{"Series24hBy15m", func() error {
			_, err := s.Series(ctx, benchEnd.Add(-24*time.Hour).Truncate(15*time.Minute), benchEnd, 15*time.Minute, all)
			return err
		}},
		{"Series1hBy1m", func() error {
			_, err := s.Series(ctx, benchEnd.Add(-time.Hour), benchEnd, time.Minute, all)
			return err
		}},
		{"Series30dBy1h", func() error {
			_, err := s.Series(ctx, benchEnd.Add(-30*24*time.Hour).Truncate(time.Hour), benchEnd, time.Hour, all)
			return err
		}},
		{"Stats", func() error {
			_, err := s.Stats(ctx)
			return err
		}},
	}
	for _, tc := range tests {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := tc.fn(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkStorageStats measures the numbers behind /api/storage and pb
// status on the 10-year database: Stats on an open store (the API), and
// opening the database read-only, Stats and closing it (pb status, which
// does exactly that). The row counts come from the trigger-kept row_counts
// table and the tiers' ends from their primary keys, so neither grows with
// the history.
func BenchmarkStorageStats(b *testing.B) {
	s := tenYears(b)
	b.Run("Stats", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Stats(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("OpenStatsClose", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r, err := store.Open(ctx, s.Path(), store.Options{ReadOnly: true})
			if err != nil {
				b.Fatal(err)
			}
			st, err := r.Stats(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if st.CoarseRows < 1_000_000 { // 3 interfaces × 10 years × 35,064 quarters
				b.Fatalf("coarse rows %d, want the 10-year database's", st.CoarseRows)
			}
			if err := r.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
