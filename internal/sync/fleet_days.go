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

// fleetDaysQuery reads every device's days from..to (dates of its own
// zone) from the pb_days rollup, summed over the counted interfaces: one
// range scan of its key, which leads with the day.
const fleetDaysQuery = `
SELECT d.device_id, x.day, sum(x.rx)::bigint, sum(x.tx)::bigint
FROM pb_days x
JOIN pb_interfaces i ON i.device = x.device AND i.iface = x.iface AND i.counted
JOIN pb_devices d ON d.id = x.device
WHERE x.day >= $1::date AND x.day <= $2::date
GROUP BY d.device_id, x.day
ORDER BY d.device_id, x.day`

// QueryDays runs the per-day fleet query on conn. Every device is listed,
// those without traffic in the range too, ordered as Query orders them.
func QueryDays(ctx context.Context, conn *pgx.Conn, from, to usage.Date) (FleetDays, error) {
	fd := FleetDays{From: from, To: to, Devices: []DeviceDays{}}
	if to.Before(from) {
		return fd, errReversed(from, to)
	}
	if err := prepareRead(ctx, conn); err != nil {
		return fd, err
	}
	rows, err := conn.Query(ctx, `SELECT device_id, hostname, os_type, time_zone, last_seen FROM pb_devices ORDER BY hostname, device_id`)
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
	rows, err = conn.Query(ctx, fleetDaysQuery, from.String(), to.String())
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
