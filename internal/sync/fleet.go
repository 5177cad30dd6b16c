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

	mu     gosync.Mutex
	cached FleetUsage
	at     time.Time
	err    error // the last failure, answered again for CacheFor so a dead server costs one timeout, not one per request
	errAt  time.Time
}

// NewFleet returns a Fleet for the database URL (PrepareURL is applied).
func NewFleet(rawURL string) (*Fleet, error) {
	u, err := PrepareURL(rawURL)
	if err != nil {
		return nil, err
	}
	return &Fleet{url: u, CacheFor: 30 * time.Second}, nil
}

// fleetQuery computes each device's today, month and lifetime: per device
// the start of its local day and month in its zone, then index range scans
// of the primary key (device, ts, iface) over its counted interfaces; the
// lifetime from the per-interface rollup pb_totals.
const fleetQuery = `
SELECT d.device_id, d.hostname, d.os_type, d.time_zone, d.last_seen,
	t.rx, t.tx, m.rx, m.tx, l.rx, l.tx
FROM pb_devices d
CROSS JOIN LATERAL (SELECT
	(date_trunc('day', $1::timestamptz AT TIME ZONE d.time_zone) AT TIME ZONE d.time_zone) AS day0,
	((date_trunc('day', $1::timestamptz AT TIME ZONE d.time_zone) + interval '1 day') AT TIME ZONE d.time_zone) AS day1,
	(date_trunc('month', $1::timestamptz AT TIME ZONE d.time_zone) AT TIME ZONE d.time_zone) AS mon0,
	((date_trunc('month', $1::timestamptz AT TIME ZONE d.time_zone) + interval '1 month') AT TIME ZONE d.time_zone) AS mon1,
	ARRAY(SELECT iface FROM pb_interfaces i WHERE i.device = d.id AND i.counted) AS ifaces) b
CROSS JOIN LATERAL (SELECT coalesce(sum(rx), 0)::bigint AS rx, coalesce(sum(tx), 0)::bigint AS tx FROM pb_usage u
	WHERE u.device = d.id AND u.ts >= b.day0 AND u.ts < b.day1 AND u.iface = ANY (b.ifaces)) t
CROSS JOIN LATERAL (SELECT coalesce(sum(rx), 0)::bigint AS rx, coalesce(sum(tx), 0)::bigint AS tx FROM pb_usage u
	WHERE u.device = d.id AND u.ts >= b.mon0 AND u.ts < b.mon1 AND u.iface = ANY (b.ifaces)) m
CROSS JOIN LATERAL (SELECT coalesce(sum(rx), 0)::bigint AS rx, coalesce(sum(tx), 0)::bigint AS tx FROM pb_totals l
	WHERE l.device = d.id AND l.iface = ANY (b.ifaces)) l
ORDER BY d.hostname, d.device_id`

// Usage returns the fleet at now (cached for CacheFor).
func (f *Fleet) Usage(ctx context.Context, now time.Time) (FleetUsage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fresh := func(t time.Time) bool { return !t.IsZero() && now.Sub(t) >= 0 && now.Sub(t) < f.CacheFor }
	if fresh(f.at) {
		return f.cached, nil
	}
	if fresh(f.errAt) {
		return FleetUsage{}, f.err
	}
	fu, err := f.query(ctx, now)
	if err != nil {
		f.err, f.errAt = describe(err, f.url), now
		return FleetUsage{}, f.err
	}
	f.cached, f.at, f.errAt = fu, now, time.Time{}
	return fu, nil
}

func (f *Fleet) query(ctx context.Context, now time.Time) (FleetUsage, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, f.url)
	if err != nil {
		return FleetUsage{}, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return Query(ctx, conn, now)
}

// ErrNoSchema means the sync database has no pb tables yet (no device
// synced).
var ErrNoSchema = errors.New("no device has synced to this database yet")

// Query runs the fleet query on conn.
func Query(ctx context.Context, conn *pgx.Conn, now time.Time) (FleetUsage, error) {
	fu := FleetUsage{At: now, Devices: []DeviceUsage{}}
	v, err := remoteVersion(ctx, conn)
	if err != nil {
		return fu, err
	}
	if v == 0 {
		return fu, ErrNoSchema
	}
	if v > SchemaVersion {
		return fu, newerErr(v)
	}
	// The planner's row estimates of a small, rarely analysed pb_devices
	// push the cost over jit_above_cost; compiling then took 267 ms of a
	// 309 ms query (EXPLAIN ANALYZE, 6 devices x 1 year), running it 40 ms.
	if _, err := conn.Exec(ctx, `SET jit = off`); err != nil {
		return fu, err
	}
	if err := conn.QueryRow(ctx, `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c
		WHERE c.relkind = 'r' AND c.relname IN ('pb_schema_version', 'pb_devices', 'pb_interfaces', 'pb_usage', 'pb_totals')
		AND pg_table_is_visible(c.oid)`).Scan(&fu.RemoteBytes); err != nil {
		return fu, err
	}
	rows, err := conn.Query(ctx, fleetQuery, now)
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
