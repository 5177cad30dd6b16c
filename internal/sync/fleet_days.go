package sync

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/packetbuddy/pb/internal/usage"
)

// DeviceDays is one device's traffic per local day over a date range, in
// the device's own time zone, over its counted interfaces.
type DeviceDays struct {
	DeviceID string
	Hostname string
	OSType   string
	TimeZone string
	LastSeen time.Time
	// Days has one entry per day with traffic, in date order; days
	// without traffic are left out.
	Days  []usage.DayTotals
	Total usage.Totals
}

// FleetDays is every device's days over From..To (inclusive) and their
// sum.
type FleetDays struct {
	From, To usage.Date
	Devices  []DeviceDays
	Total    usage.Totals
}

// fleetDaysQuery sums each device's buckets per day of its own zone: the
// range is from's local midnight to the midnight after to, in the device's
// zone, an index range scan of the primary key (device, ts, iface) per
// device, as fleetQuery's today and month are. The sum sits inside the
// LATERAL on purpose: joined flat, PostgreSQL scanned all of pb_usage and
// filtered (EXPLAIN in BenchmarkFleet).
const fleetDaysQuery = `
SELECT d.device_id, x.day, x.rx, x.tx
FROM pb_devices d
CROSS JOIN LATERAL (SELECT
	($1::date::timestamp AT TIME ZONE d.time_zone) AS t0,
	(($2::date + 1)::timestamp AT TIME ZONE d.time_zone) AS t1,
	ARRAY(SELECT iface FROM pb_interfaces i WHERE i.device = d.id AND i.counted) AS ifaces) b
CROSS JOIN LATERAL (SELECT (u.ts AT TIME ZONE d.time_zone)::date AS day, sum(u.rx)::bigint AS rx, sum(u.tx)::bigint AS tx
	FROM pb_usage u WHERE u.device = d.id AND u.ts >= b.t0 AND u.ts < b.t1 AND u.iface = ANY (b.ifaces)
	GROUP BY 1) x
ORDER BY d.device_id, x.day`

// QueryDays runs the per-day fleet query on conn. Every device is listed,
// those without traffic in the range too, ordered as Query orders them.
func QueryDays(ctx context.Context, conn *pgx.Conn, from, to usage.Date) (FleetDays, error) {
	fd := FleetDays{From: from, To: to, Devices: []DeviceDays{}}
	if to.Before(from) {
		return fd, errReversed(from, to)
	}
	tx, err := readTx(ctx, conn)
	if err != nil {
		return fd, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) // read only: nothing to commit
	rows, err := tx.Query(ctx, `SELECT device_id, hostname, os_type, time_zone, last_seen FROM pb_devices ORDER BY hostname, device_id`)
	if err != nil {
		return fd, fmt.Errorf("fleet devices: %w", err)
	}
	index := map[string]int{}
	for rows.Next() {
		var d DeviceDays
		if err := rows.Scan(&d.DeviceID, &d.Hostname, &d.OSType, &d.TimeZone, &d.LastSeen); err != nil {
			rows.Close()
			return fd, err
		}
		index[d.DeviceID] = len(fd.Devices)
		fd.Devices = append(fd.Devices, d)
	}
	if err := rows.Err(); err != nil {
		return fd, err
	}
	rows, err = tx.Query(ctx, fleetDaysQuery, from.String(), to.String())
	if err != nil {
		return fd, fmt.Errorf("fleet days query: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var day time.Time
		var v [2]int64
		if err := rows.Scan(&id, &day, &v[0], &v[1]); err != nil {
			return fd, err
		}
		i, ok := index[id]
		if !ok {
			continue // a device registered between the two queries
		}
		d := &fd.Devices[i]
		t := tot(v)
		d.Days = append(d.Days, usage.DayTotals{Date: usage.DateOf(day), Totals: t})
		d.Total = d.Total.Add(t)
		fd.Total = fd.Total.Add(t)
	}
	return fd, rows.Err()
}

func errReversed(from, to usage.Date) error {
	return fmt.Errorf("fleet days: the range starts (%s) after it ends (%s)", from, to)
}
