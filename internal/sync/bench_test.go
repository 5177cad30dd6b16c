package sync

import (
	"context"
	"fmt"
	"os"
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
// one year of buckets every PB_BENCH_STEP (default 15m) into a fresh schema
// and reports rows/s, the remote size, and the fleet query's time. Run with
// -benchtime 1x. The schema is dropped at the end.
func BenchmarkFleet(b *testing.B) {
	devices := envInt("PB_BENCH_DEVICES", 100)
	step, err := time.ParseDuration(os.Getenv("PB_BENCH_STEP"))
	if err != nil {
		step = 15 * time.Minute
	}
	zones := []string{"UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney", "America/Los_Angeles"}
	end := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	start := end.AddDate(-1, 0, 0)
	perDevice := int(end.Sub(start) / step)
	for range b.N {
		url, _ := testSchema(b)
		b.ResetTimer()
		t0 := time.Now()
		var rows int64
		for d := range devices {
			sy := New(&memStore{start: start, step: step, n: perDevice}, Options{URL: url,
				Device: Device{ID: fmt.Sprintf("dev-%05d", d), Hostname: fmt.Sprintf("host%d", d), OSType: "Linux", TimeZone: zones[d%len(zones)]}})
			r, err := sy.SyncNow(ctx)
			if err != nil {
				b.Fatal(err)
			}
			rows += r.Rows
		}
		el := time.Since(t0)
		b.StopTimer()
		b.ReportMetric(float64(rows)/el.Seconds(), "rows/s")
		c, err := pgx.Connect(ctx, url)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Exec(ctx, "VACUUM ANALYZE pb_usage"); err != nil {
			b.Fatal(err)
		}
		var size, heap int64
		if err := c.QueryRow(ctx, `SELECT pg_total_relation_size('pb_usage'), pg_relation_size('pb_usage')`).Scan(&size, &heap); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(size)/(1<<20), "MB-remote")
		logf("synced %d devices x %d buckets (%s step) = %d rows in %v: %.0f rows/s; pb_usage %d MB total (%d MB heap, %d MB primary key), %.1f B/row",
			devices, perDevice, step, rows, el.Round(time.Millisecond), float64(rows)/el.Seconds(), size>>20, heap>>20, (size-heap)>>20, float64(size)/float64(rows))
		now := end.Add(-10 * time.Hour)
		for range 2 { // the second run is warm
			q0 := time.Now()
			fu, err := Query(ctx, c, now)
			if err != nil {
				b.Fatal(err)
			}
			logf("fleet query (today, month, lifetime of %d devices): %v; lifetime %d bytes", len(fu.Devices), time.Since(q0).Round(time.Millisecond), fu.Lifetime.Total())
		}
		// The fleet page's month: every device's days in its own zone.
		for range 2 {
			fl, err := NewFleet(url) // a new reader: no cached answer
			if err != nil {
				b.Fatal(err)
			}
			today := usage.DateOf(now)
			q0 := time.Now()
			fd, err := fl.Days(ctx, now, usage.Date{Year: today.Year, Month: today.Month, Day: 1}, today)
			if err != nil {
				b.Fatal(err)
			}
			logf("fleet days query (this month by day, %d devices): %v; total %d bytes", len(fd.Devices), time.Since(q0).Round(time.Millisecond), fd.Total.Total())
		}
		for _, q := range []struct{ name, sql string }{
			{"one device's month", `SELECT sum(rx), sum(tx) FROM pb_usage WHERE device = 7 AND ts >= '2026-10-01T00:00:00+02' AND ts < '2026-11-01T00:00:00+01' AND iface = ANY ('{1}')`},
			{"all devices' today", strings.ReplaceAll(fleetQuery, "$1::timestamptz", "'"+now.Format(time.RFC3339)+"'::timestamptz")},
			{"all devices' days of the month", strings.NewReplacer("$1::date", "'"+now.Format("2006-01")+"-01'::date",
				"$2::date", "'"+now.Format(time.DateOnly)+"'::date").Replace(fleetDaysQuery)},
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
			if len(plan) > 40 {
				plan = append(plan[:20], append([]string{"..."}, plan[len(plan)-8:]...)...)
			}
			logf("EXPLAIN %s:\n%s", q.name, strings.Join(plan, "\n"))
		}
		c.Close(ctx)
	}
}
