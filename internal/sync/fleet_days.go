package sync

import (
	"context"
	"fmt"
	"maps"
	"slices"
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
// zone) from the pb_days rollup, for the counted interfaces: one range
// scan of its key, which leads with the day. The rows (a device-day per
// interface) are summed in QueryDays: grouping 24,000 device-days in
// PostgreSQL and sorting them cost more than reading them.
const fleetDaysQuery = `
SELECT x.device, x.day, x.rx, x.tx
FROM pb_days x
JOIN pb_interfaces i ON i.device = x.device AND i.iface = x.iface AND i.counted
WHERE x.day >= $1::date AND x.day <= $2::date`

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
	rows, err := tx.Query(ctx, `SELECT id, device_id, hostname, os_type, time_zone, last_seen FROM pb_devices ORDER BY hostname, device_id`)
	if err != nil {
		return fd, fmt.Errorf("fleet devices: %w", err)
	}
	index := map[int32]int{}
	for rows.Next() {
		var d DeviceDays
		var id int32
		if err := rows.Scan(&id, &d.DeviceID, &d.Hostname, &d.OSType, &d.TimeZone, &d.LastSeen); err != nil {
			rows.Close()
			return fd, err
		}
		index[id] = len(fd.Devices)
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
	// Each device's days by date, summed over its interfaces.
	days := make([]map[usage.Date]usage.Totals, len(fd.Devices))
	for rows.Next() {
		var id int32
		var day time.Time
		var v [2]int64
		if err := rows.Scan(&id, &day, &v[0], &v[1]); err != nil {
			return fd, err
		}
		i, ok := index[id]
		if !ok {
			continue // a device registered between the two queries
		}
		if days[i] == nil {
			days[i] = map[usage.Date]usage.Totals{}
		}
		date := usage.DateOf(day)
		days[i][date] = days[i][date].Add(tot(v))
	}
	if err := rows.Err(); err != nil {
		return fd, err
	}
	for i, m := range days {
		d := &fd.Devices[i]
		for _, date := range slices.SortedFunc(maps.Keys(m), usage.Date.Compare) {
			d.Days = append(d.Days, usage.DayTotals{Date: date, Totals: m[date]})
			d.Total = d.Total.Add(m[date])
		}
		fd.Total = fd.Total.Add(d.Total)
	}
	return fd, nil
}

func errReversed(from, to usage.Date) error {
	return fmt.Errorf("fleet days: the range starts (%s) after it ends (%s)", from, to)
}
