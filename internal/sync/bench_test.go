package sync

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

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
// remote size, the fleet queries' times cold and warm, and their EXPLAIN.
// Run with -benchtime 1x. The schema is dropped at the end.
func BenchmarkFleet(b *testing.B) {
	devices := envInt("PB_BENCH_DEVICES", 100)
	months := envInt("PB_BENCH_MONTHS", 12)
	batch := envInt("PB_BENCH_BATCH", 0)
	step, err := time.ParseDuration(os.Getenv("PB_BENCH_STEP"))
	if err != nil {
		step = 15 * time.Minute
	}
	zones := []string{"UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney", "America/Los_Angeles"}
	end := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	start := end.AddDate(0, -months, 0)
	perDevice := int(end.Sub(start) / step)
	for range b.N {
		url, _ := testSchema(b)
		b.ResetTimer()
		t0 := time.Now()
		var rows int64
		var maxHeap uint64
		var ms runtime.MemStats
		for d := range devices {
			sy := New(&memStore{start: start, step: step, n: perDevice}, Options{URL: url, BatchSize: batch,
				Device: Device{ID: fmt.Sprintf("dev-%05d", d), Hostname: fmt.Sprintf("host%d", d), OSType: "Linux", TimeZone: zones[d%len(zones)]}})
			r, err := sy.SyncNow(ctx)
			if err != nil {
				b.Fatal(err)
			}
			rows += r.Rows
			if d%10 == 0 {
				runtime.ReadMemStats(&ms)
				maxHeap = max(maxHeap, ms.HeapInuse)
			}
		}
		el := time.Since(t0)
		b.StopTimer()
		b.ReportMetric(float64(rows)/el.Seconds(), "rows/s")
		b.ReportMetric(float64(maxHeap)/(1<<20), "MB-max-heap")
		c, err := pgx.Connect(ctx, url)
		if err != nil {
			b.Fatal(err)
		}
		for _, t := range []string{"pb_usage", "pb_days", "pb_lifetime"} {
			if _, err := c.Exec(ctx, "VACUUM ANALYZE "+t); err != nil {
				b.Fatal(err)
			}
		}
		var size, heap, days int64
		if err := c.QueryRow(ctx, `SELECT pg_total_relation_size('pb_usage'), pg_relation_size('pb_usage'), pg_total_relation_size('pb_days')`).Scan(&size, &heap, &days); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(size+days)/(1<<20), "MB-remote")
		logf("synced %d devices x %d buckets (%s step) = %d rows in %v: %.0f rows/s, largest heap %.1f MB; pb_usage %d MB total (%d MB heap, %d MB primary key), %.1f B/row; pb_days %d MB",
			devices, perDevice, step, rows, el.Round(time.Millisecond), float64(rows)/el.Seconds(), float64(maxHeap)/(1<<20),
			size>>20, heap>>20, (size-heap)>>20, float64(size)/float64(rows), days>>20)
		now := end.Add(-10 * time.Hour)
		today := usage.DateOf(now)
		mon0 := usage.Date{Year: today.Year, Month: today.Month, Day: 1}
		for _, run := range []string{"cold", "warm"} {
			q0 := time.Now()
			fu, err := Query(ctx, c, now)
			if err != nil {
				b.Fatal(err)
			}
			logf("fleet query (today, month, lifetime of %d devices), %s: %v; lifetime %d bytes", len(fu.Devices), run, time.Since(q0).Round(100*time.Microsecond), fu.Lifetime.Total())
		}
		// The fleet page's month: every device's days in its own zone.
		for _, run := range []string{"cold", "warm"} {
			q0 := time.Now()
			fd, err := QueryDays(ctx, c, mon0, today)
			if err != nil {
				b.Fatal(err)
			}
			logf("fleet days query (this month by day, %d devices), %s: %v; total %d bytes", len(fd.Devices), run, time.Since(q0).Round(100*time.Microsecond), fd.Total.Total())
		}
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
		c.Close(ctx)
	}
}
