package sync

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/packetbuddy/pb/internal/pgtest"
	"github.com/packetbuddy/pb/internal/store"
	"github.com/packetbuddy/pb/internal/usage"
)

// memStore is a simulated device: a year of coarse buckets generated on
// the fly, so the benchmark measures the upload path (COPY into the temp
// table + one upsert per batch), not SQLite.
type memStore struct {
	start time.Time
	step  time.Duration
	n     int // buckets per interface
	acked int64
}

func (m *memStore) Changes(_ context.Context, limit int) ([]store.Change, error) {
	var out []store.Change
	for i := m.acked; i < int64(m.n) && len(out) < limit; i++ {
		out = append(out, store.Change{Seq: i + 1, IfaceID: 1, Bucket: m.start.Add(time.Duration(i) * m.step),
			Rx: 1_000_000 + i%9973, Tx: 100_000 + i%101})
	}
	return out, nil
}
func (m *memStore) AckChanges(_ context.Context, seq int64) error { m.acked = seq; return nil }
func (m *memStore) PendingChanges(context.Context) (int64, error) { return int64(m.n) - m.acked, nil }
func (m *memStore) StartChangeTracking(context.Context) error     { return nil }
func (m *memStore) SetSyncStatus(context.Context, string) error   { return nil }
func (m *memStore) SyncInterfaces(context.Context) ([]store.SyncInterface, error) {
	return []store.SyncInterface{{ID: 1, Name: "eth0", Kind: "ethernet", Counted: true}}, nil
}

func logf(format string, args ...any) { fmt.Fprintf(os.Stdout, format+"\n", args...) }

func envInt(k string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(k)); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkFleet syncs PB_BENCH_DEVICES simulated devices (default 100) x
// PB_BENCH_MONTHS months (default 12) of buckets every PB_BENCH_STEP
// (default 15m) into a fresh schema, in batches of PB_BENCH_BATCH (default:
// the syncer's), and reports the upload's rows/s and the largest heap seen
// (memory stays flat however long the history: a batch at a time), the
// remote size, the time of the migration from schema 1 (the back-fill of
// the day totals), the fleet queries' times cold and warm, and their
// EXPLAIN. Run with -benchtime 1x. The schema is dropped at the end, unless
// PB_BENCH_SCHEMA names it: then it is kept, and a later run with the same
// name skips the upload and the migration and only reads (to measure the
// queries again without uploading tens of millions of rows again; drop the
// schema by hand after).
func BenchmarkFleet(b *testing.B) {
	devices := envInt("PB_BENCH_DEVICES", 100)
	months := envInt("PB_BENCH_MONTHS", 12)
	batch := envInt("PB_BENCH_BATCH", 0)
	step, err := time.ParseDuration(os.Getenv("PB_BENCH_STEP"))
	if err != nil {
		step = 15 * time.Minute
	}
	end := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	start := end.AddDate(0, -months, 0)
	perDevice := int(end.Sub(start) / step)
	for range b.N {
		url, keep := benchSchema(b, os.Getenv("PB_BENCH_SCHEMA"))
		b.ResetTimer()
		if !keep {
			upload(b, url, devices, start, step, perDevice, batch)
		}
		b.StopTimer()
		c, err := pgx.Connect(ctx, url)
		if err != nil {
			b.Fatal(err)
		}
		var rows int64
		if err := c.QueryRow(ctx, `SELECT count(*) FROM pb_usage`).Scan(&rows); err != nil {
			b.Fatal(err)
		}
		if !keep {
			// The migration from schema 1: back to it, then migrate, timed.
			if _, err := c.Exec(ctx, `DROP TABLE pb_days; ALTER TABLE pb_lifetime RENAME TO pb_totals; DELETE FROM pb_schema_version WHERE version = 2`); err != nil {
				b.Fatal(err)
			}
			m0 := time.Now()
			if _, err := migrate(ctx, c, time.Minute, time.Hour); err != nil {
				b.Fatal(err)
			}
			var dayRows int64
			if err := c.QueryRow(ctx, `SELECT count(*) FROM pb_days`).Scan(&dayRows); err != nil {
				b.Fatal(err)
			}
			logf("migration from schema 1 (back-fills %d day rows from %d buckets): %v", dayRows, rows, time.Since(m0).Round(time.Millisecond))
		}
		for _, t := range []string{"pb_usage", "pb_days", "pb_lifetime", "pb_devices", "pb_interfaces"} {
			if _, err := c.Exec(ctx, "VACUUM ANALYZE "+t); err != nil {
				b.Fatal(err)
			}
		}
		var size, heap, days int64
		if err := c.QueryRow(ctx, `SELECT pg_total_relation_size('pb_usage'), pg_relation_size('pb_usage'), pg_total_relation_size('pb_days')`).Scan(&size, &heap, &days); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(size+days)/(1<<20), "MB-remote")
		logf("remote: %d buckets; pb_usage %d MB total (%d MB heap, %d MB primary key), %.1f B/row; pb_days %d MB",
			rows, size>>20, heap>>20, (size-heap)>>20, float64(size)/float64(rows), days>>20)
		now := end.Add(-10 * time.Hour)
		today := usage.DateOf(now)
		mon0 := usage.Date{Year: today.Year, Month: today.Month, Day: 1}
		var fu FleetUsage
		logf("fleet query (today, month, lifetime of every device): %s; lifetime %d bytes", timed(b, func() (err error) {
			fu, err = Query(ctx, c, now)
			return err
		}), fu.Lifetime.Total())
		// The fleet page's month: every device's days in its own zone.
		var fd FleetDays
		logf("fleet days query (this month by day, every device): %s; %d devices, total %d bytes", timed(b, func() (err error) {
			fd, err = QueryDays(ctx, c, mon0, today)
			return err
		}), len(fd.Devices), fd.Total.Total())
		fl, err := NewFleet(url) // as the daemon reads: a connection per read
		if err != nil {
			b.Fatal(err)
		}
		q0 := time.Now()
		if _, err := fl.Days(ctx, now, mon0, today); err != nil {
			b.Fatal(err)
		}
		logf("fleet days with a new connection: %v", time.Since(q0).Round(100*time.Microsecond))
		lo, hi := monthBounds(now)
		for _, q := range []struct{ name, sql string }{
			{"one device's month", `SELECT sum(rx), sum(tx) FROM pb_days WHERE day >= '2026-11-01' AND day < '2026-12-01' AND device = 7 AND iface = ANY ('{1}')`},
			{"all devices' today, month and lifetime", strings.NewReplacer("$1::timestamptz", "'"+now.Format(time.RFC3339)+"'::timestamptz",
				"$2::date", "'"+lo+"'::date", "$3::date", "'"+hi+"'::date").Replace(fleetQuery)},
			{"all devices' days of the month", strings.NewReplacer("$1::date", "'"+mon0.String()+"'::date",
				"$2::date", "'"+today.String()+"'::date").Replace(fleetDaysQuery)},
		} {
			rows, err := c.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+q.sql)
			if err != nil {
				b.Fatal(err)
			}
			var plan []string
			for rows.Next() {
				var l string
				rows.Scan(&l)
				plan = append(plan, l)
			}
			rows.Close()
			logf("EXPLAIN %s:\n%s", q.name, strings.Join(plan, "\n"))
		}
		c.Close(ctx)
	}
}

// timed runs fn once cold and then 9 times warm, and describes the times:
// the machine is shared, so the warm median and the fastest say more than
// one run.
func timed(b *testing.B, fn func() error) string {
	var warm []time.Duration
	var cold time.Duration
	for i := range 10 {
		t0 := time.Now()
		if err := fn(); err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			cold = time.Since(t0)
		} else {
			warm = append(warm, time.Since(t0))
		}
	}
	slices.Sort(warm)
	r := func(d time.Duration) time.Duration { return d.Round(100 * time.Microsecond) }
	return fmt.Sprintf("cold %v, warm median %v (fastest %v, slowest %v)", r(cold), r(warm[len(warm)/2]), r(warm[0]), r(warm[len(warm)-1]))
}

// upload syncs devices simulated devices, each perDevice buckets every
// step from start, parallel of them at a time (PB_BENCH_PARALLEL, default
// 1: one device's first sync after the other), and reports rows/s and the
// largest heap seen.
func upload(b *testing.B, url string, devices int, start time.Time, step time.Duration, perDevice, batch int) {
	zones := []string{"UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney", "America/Los_Angeles"}
	parallel := envInt("PB_BENCH_PARALLEL", 1)
	t0 := time.Now()
	var rows atomic.Int64
	var maxHeap atomic.Uint64
	next := make(chan int)
	errs := make(chan error, parallel)
	var wg gosync.WaitGroup
	for range parallel {
		wg.Go(func() {
			var ms runtime.MemStats
			for d := range next {
				sy := New(&memStore{start: start, step: step, n: perDevice}, Options{URL: url, BatchSize: batch,
					Device: Device{ID: fmt.Sprintf("dev-%05d", d), Hostname: fmt.Sprintf("host%d", d), OSType: "Linux", TimeZone: zones[d%len(zones)]}})
				r, err := sy.SyncNow(ctx)
				if err != nil {
					errs <- err
					for range next {
					}
					return
				}
				rows.Add(r.Rows)
				if d%10 == 0 {
					runtime.ReadMemStats(&ms)
					for m := maxHeap.Load(); ms.HeapInuse > m && !maxHeap.CompareAndSwap(m, ms.HeapInuse); m = maxHeap.Load() {
					}
				}
			}
		})
	}
	for d := range devices {
		next <- d
	}
	close(next)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	el := time.Since(t0)
	b.ReportMetric(float64(rows.Load())/el.Seconds(), "rows/s")
	b.ReportMetric(float64(maxHeap.Load())/(1<<20), "MB-max-heap")
	logf("synced %d devices x %d buckets (%s step, %d at a time) = %d rows in %v: %.0f rows/s, largest heap %.1f MB",
		devices, perDevice, step, parallel, rows.Load(), el.Round(time.Millisecond), float64(rows.Load())/el.Seconds(), float64(maxHeap.Load())/(1<<20))
}

// benchSchema is a fresh schema dropped at cleanup, or, when name is set,
// that schema, kept: keep reports that it existed already (with the
// synced fleet in it).
func benchSchema(b *testing.B, name string) (url string, keep bool) {
	if name == "" {
		url, _ := testSchema(b)
		return url, false
	}
	admin := adminConn(b)
	var exists bool
	if err := admin.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, name).Scan(&exists); err != nil {
		b.Fatal(err)
	}
	if !exists {
		if _, err := admin.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{name}.Sanitize()); err != nil {
			b.Fatal(err)
		}
	}
	logf("schema %s (kept; drop it by hand)", name)
	return pgtest.WithParam(baseURL(), "search_path="+name), exists
}
