package sync

import (
	"context"
	"errors"
	"fmt"
	gosync "sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/packetbuddy/pb/internal/usage"
)

// DeviceUsage is one device's traffic in the fleet, over its counted
// interfaces, with "today" and "this month" in the device's own time zone.
type DeviceUsage struct {
	DeviceID string       `json:"device_id"`
	Hostname string       `json:"hostname"`
	OSType   string       `json:"os_type"`
	TimeZone string       `json:"time_zone"`
	LastSeen time.Time    `json:"last_seen"`
	Today    usage.Totals `json:"today"`
	Month    usage.Totals `json:"month"`
	Lifetime usage.Totals `json:"lifetime"`
}

// FleetUsage is every device and their sums.
type FleetUsage struct {
	At       time.Time     `json:"at"`
	Devices  []DeviceUsage `json:"devices"`
	Today    usage.Totals  `json:"today"`
	Month    usage.Totals  `json:"month"`
	Lifetime usage.Totals  `json:"lifetime"`
	// RemoteBytes is the size of pb's tables in the sync database (with
	// indexes), for /api/storage.
	RemoteBytes int64 `json:"remote_bytes"`
}

// Fleet reads the fleet from the sync database. It connects per query (and
// caches the answer for CacheFor), so an idle daemon holds no connection.
type Fleet struct {
	url      string
	CacheFor time.Duration // default 30 s

	mu    gosync.Mutex
	usage memo[struct{}, FleetUsage]
	days  memo[[2]usage.Date, FleetDays]
}

// memo is one cached answer for one key, and the last failure, answered
// again for the cache time so a dead server costs one timeout, not one per
// request.
type memo[K comparable, V any] struct {
	key   K
	val   V
	at    time.Time
	err   error
	errAt time.Time
}

// get answers from the memo while fresh (now within ttl after it was
// filled), else calls load and remembers its answer or its failure
// (redacted by describe).
func (m *memo[K, V]) get(now time.Time, ttl time.Duration, key K, url string, load func() (V, error)) (V, error) {
	fresh := func(t time.Time) bool { return !t.IsZero() && now.Sub(t) >= 0 && now.Sub(t) < ttl }
	if fresh(m.at) && m.key == key {
		return m.val, nil
	}
	if fresh(m.errAt) {
		var zero V
		return zero, m.err
	}
	v, err := load()
	if err != nil {
		derr := describe(err, url)
		// A request the client gave up on says nothing about the server:
		// remembering it would refuse everyone for the cache time.
		if !errors.Is(err, context.Canceled) {
			m.err, m.errAt = derr, now
		}
		var zero V
		return zero, derr
	}
	m.key, m.val, m.at, m.errAt = key, v, now, time.Time{}
	return v, nil
}

// NewFleet returns a Fleet for the database URL (PrepareURL is applied).
func NewFleet(rawURL string) (*Fleet, error) {
	u, err := PrepareURL(rawURL)
	if err != nil {
		return nil, err
	}
	return &Fleet{url: u, CacheFor: 30 * time.Second}, nil
}

// fleetQuery computes each device's today, month and lifetime from the
// rollups, never the buckets: per device its local date at $1 in its zone;
// the month's days from pb_days, whose key leads with the day, so the days
// of every device's month are one index range ($2..$3 bounds it: the months
// of every zone at $1, see monthBounds); the lifetime from pb_lifetime;
// both over the counted interfaces. The cost is O(devices x days of the
// month), whatever the length of the history. b is MATERIALIZED so each
// device's zone is applied once: inlined, PostgreSQL converted the zone
// for every day row joined (150 ms of time-zone lookups for 1,000
// devices).
const fleetQuery = `
WITH b AS MATERIALIZED (
	SELECT id, today, mon0, (mon0 + interval '1 month')::date AS mon1 FROM (
		SELECT id, ($1::timestamptz AT TIME ZONE time_zone)::date AS today,
			date_trunc('month', $1::timestamptz AT TIME ZONE time_zone)::date AS mon0
		FROM pb_devices) z
), m AS (
	SELECT x.device,
		sum(x.rx) FILTER (WHERE x.day = b.today) AS trx, sum(x.tx) FILTER (WHERE x.day = b.today) AS ttx,
		sum(x.rx) AS mrx, sum(x.tx) AS mtx
	FROM pb_days x
	JOIN b ON b.id = x.device AND x.day >= b.mon0 AND x.day < b.mon1
	JOIN pb_interfaces i ON i.device = x.device AND i.iface = x.iface AND i.counted
	WHERE x.day >= $2::date AND x.day <= $3::date
	GROUP BY x.device
), l AS (
	SELECT l.device, sum(l.rx) AS rx, sum(l.tx) AS tx
	FROM pb_lifetime l JOIN pb_interfaces i ON i.device = l.device AND i.iface = l.iface AND i.counted
	GROUP BY l.device
)
SELECT d.device_id, d.hostname, d.os_type, d.time_zone, d.last_seen,
	coalesce(m.trx, 0)::bigint, coalesce(m.ttx, 0)::bigint, coalesce(m.mrx, 0)::bigint, coalesce(m.mtx, 0)::bigint,
	coalesce(l.rx, 0)::bigint, coalesce(l.tx, 0)::bigint
FROM pb_devices d LEFT JOIN m ON m.device = d.id LEFT JOIN l ON l.device = d.id
ORDER BY d.hostname, d.device_id`

// monthBounds is the first day of the earliest month and the last day of
// the latest month that any zone (UTC-12 to UTC+14) is in at now.
func monthBounds(now time.Time) (lo, hi string) {
	a, b := now.UTC().Add(-12*time.Hour), now.UTC().Add(14*time.Hour)
	first := time.Date(a.Year(), a.Month(), 1, 0, 0, 0, 0, time.UTC)
	last := time.Date(b.Year(), b.Month()+1, 0, 0, 0, 0, 0, time.UTC)
	return first.Format(time.DateOnly), last.Format(time.DateOnly)
}

// Usage returns the fleet at now (cached for CacheFor).
func (f *Fleet) Usage(ctx context.Context, now time.Time) (FleetUsage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.usage.get(now, f.CacheFor, struct{}{}, f.url, func() (FleetUsage, error) {
		var fu FleetUsage
		err := f.withConn(ctx, func(conn *pgx.Conn) (err error) {
			fu, err = Query(ctx, conn, now)
			return err
		})
		return fu, err
	})
}

// Days returns every device's traffic per day from..to inclusive, each
// device's days in its own zone (cached for CacheFor per range; now is the
// clock of the cache).
func (f *Fleet) Days(ctx context.Context, now time.Time, from, to usage.Date) (FleetDays, error) {
	if to.Before(from) {
		return FleetDays{}, errReversed(from, to) // the caller's mistake: not remembered as the server's failure
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.days.get(now, f.CacheFor, [2]usage.Date{from, to}, f.url, func() (FleetDays, error) {
		var fd FleetDays
		err := f.withConn(ctx, func(conn *pgx.Conn) (err error) {
			fd, err = QueryDays(ctx, conn, from, to)
			return err
		})
		return fd, err
	})
}

// withConn runs fn on a new connection, closed after: an idle daemon holds
// none.
func (f *Fleet) withConn(ctx context.Context, fn func(*pgx.Conn) error) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := connect(ctx, f.url, execMode)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return fn(conn)
}

// ErrNoSchema means the sync database has no pb tables yet (no device
// synced).
var ErrNoSchema = errors.New("no device has synced to this database yet")

// readTx begins the read-only transaction a fleet read runs in, after
// checking the remote schema can be read by this build. Its settings are
// SET LOCAL: through a pooler in transaction mode a session setting would
// stay behind on a server connection other clients get, and need not be
// there for the next statement.
func readTx(ctx context.Context, conn *pgx.Conn) (pgx.Tx, error) {
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, err
	}
	v, err := remoteVersion(ctx, tx)
	if err == nil && v == 0 {
		err = ErrNoSchema
	}
	if err == nil && v > SchemaVersion {
		err = newerErr(v)
	}
	if err == nil && v < SchemaVersion {
		err = fmt.Errorf("the sync database has schema %d and this pb reads schema %d: it is upgraded by the next sync of a device running this pb (pb sync now)", v, SchemaVersion)
	}
	if err == nil {
		// The planner's row estimates of a small, rarely analysed pb_devices
		// push the cost over jit_above_cost; compiling then took 267 ms of a
		// 309 ms query (EXPLAIN ANALYZE, 6 devices x 1 year), running it 40 ms.
		_, err = tx.Exec(ctx, `SET LOCAL jit = off`)
	}
	if err != nil {
		tx.Rollback(context.WithoutCancel(ctx))
		return nil, err
	}
	return tx, nil
}

// Query runs the fleet query on conn.
func Query(ctx context.Context, conn *pgx.Conn, now time.Time) (FleetUsage, error) {
	fu := FleetUsage{At: now, Devices: []DeviceUsage{}}
	tx, err := readTx(ctx, conn)
	if err != nil {
		return fu, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) // read only: nothing to commit
	if err := tx.QueryRow(ctx, `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c
		WHERE c.relkind = 'r' AND c.relname IN ('pb_schema_version', 'pb_devices', 'pb_interfaces', 'pb_usage', 'pb_lifetime', 'pb_days')
		AND pg_table_is_visible(c.oid)`).Scan(&fu.RemoteBytes); err != nil {
		return fu, err
	}
	lo, hi := monthBounds(now)
	rows, err := tx.Query(ctx, fleetQuery, now, lo, hi)
	if err != nil {
		return fu, fmt.Errorf("fleet query: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d DeviceUsage
		var t, m, l [2]int64
		if err := rows.Scan(&d.DeviceID, &d.Hostname, &d.OSType, &d.TimeZone, &d.LastSeen,
			&t[0], &t[1], &m[0], &m[1], &l[0], &l[1]); err != nil {
			return fu, err
		}
		d.Today, d.Month, d.Lifetime = tot(t), tot(m), tot(l)
		fu.Today, fu.Month, fu.Lifetime = fu.Today.Add(d.Today), fu.Month.Add(d.Month), fu.Lifetime.Add(d.Lifetime)
		fu.Devices = append(fu.Devices, d)
	}
	return fu, rows.Err()
}

func tot(v [2]int64) usage.Totals { return usage.Totals{Rx: uint64(v[0]), Tx: uint64(v[1])} }
