package importer

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/packetbuddy/pb/internal/usage"
)

// readPacketBuddy reads the Python version's packetbuddy.db: usage_logs,
// daily_aggregates and monthly_aggregates of this device (the id in the
// device_id file beside the database, else the devices table's first).
func readPacketBuddy(ctx context.Context, db *sql.DB, path string, loc *time.Location, h *History) error {
	const what = "PacketBuddy 1.x"
	if err := requireTables(ctx, db, path, what, "usage_logs", "daily_aggregates"); err != nil {
		return err
	}
	h.DeviceID = oldDeviceID(ctx, db, path)
	h.Ifaces = []string{ImportedIface}
	dev := func(q string) (string, []any) {
		if h.DeviceID == "" {
			return q, nil
		}
		return q + " WHERE device_id = ?", []any{h.DeviceID}
	}
	bad := func(err error) error {
		return fmt.Errorf("%s: reading it failed (%s): nothing imported", path, oneLine(err))
	}

	// usage_logs: per second → per minute.
	q, args := dev("SELECT CAST(timestamp AS TEXT), bytes_sent, bytes_received FROM usage_logs")
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return bad(err)
	}
	minutes := map[time.Time]usage.Totals{}
	for rows.Next() {
		var ts string
		var tx, rx int64
		if err := rows.Scan(&ts, &tx, &rx); err != nil {
			rows.Close()
			return bad(err)
		}
		t, err := parseLocal(ts, loc)
		if err != nil {
			rows.Close()
			return fmt.Errorf("%s: usage_logs: %v: nothing imported", path, err)
		}
		if tx < 0 || rx < 0 {
			continue
		}
		m := t.UTC().Truncate(time.Minute)
		minutes[m] = minutes[m].Add(usage.Totals{Rx: uint64(rx), Tx: uint64(tx)})
	}
	if err := rows.Close(); err != nil {
		return bad(err)
	}
	if err := rows.Err(); err != nil {
		return bad(err)
	}
	for m, t := range minutes {
		from := m.Truncate(usage.CoarseBucket)
		h.pieces = append(h.pieces, piece{iface: ImportedIface, bucket: m, from: from, to: from.Add(usage.CoarseBucket), t: t, level: "second"})
	}

	// daily_aggregates: the remainder of each day at local midnight.
	q, args = dev("SELECT CAST(date AS TEXT), bytes_sent, bytes_received FROM daily_aggregates")
	days, err := readAggregates(ctx, db, q, args, loc, func(d usage.Date) (time.Time, time.Time) {
		return d.Start(loc), d.AddDays(1).Start(loc)
	})
	if err != nil {
		return fmt.Errorf("%s: daily_aggregates: %v: nothing imported", path, oneLine(err))
	}
	addLevel(h, "day", days, atStart)

	// monthly_aggregates, when present: the remainder of each month.
	if requireTables(ctx, db, path, what, "monthly_aggregates") == nil {
		q, args = dev("SELECT CAST(month AS TEXT) || '-01', bytes_sent, bytes_received FROM monthly_aggregates")
		months, err := readAggregates(ctx, db, q, args, loc, func(d usage.Date) (time.Time, time.Time) {
			first := usage.Date{Year: d.Year, Month: d.Month, Day: 1}
			next := usage.DateOf(time.Date(d.Year, d.Month+1, 1, 12, 0, 0, 0, time.UTC))
			return first.Start(loc), next.Start(loc)
		})
		if err != nil {
			return fmt.Errorf("%s: monthly_aggregates: %v: nothing imported", path, oneLine(err))
		}
		addLevel(h, "month", months, atStart)
	}
	return nil
}

// readAggregates reads (date text, sent, received) rows into spans.
func readAggregates(ctx context.Context, db *sql.DB, q string, args []any, loc *time.Location, span func(usage.Date) (time.Time, time.Time)) ([]levelRow, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []levelRow
	for rows.Next() {
		var ds string
		var tx, rx sql.NullInt64
		if err := rows.Scan(&ds, &tx, &rx); err != nil {
			return nil, err
		}
		d, err := usage.ParseDate(strings.TrimSpace(ds)[:min(10, len(strings.TrimSpace(ds)))])
		if err != nil {
			return nil, fmt.Errorf("date %q is not YYYY-MM-DD", ds)
		}
		from, to := span(d)
		out = append(out, levelRow{iface: ImportedIface, from: from, to: to, t: usage.Totals{Rx: uint64(max(rx.Int64, 0)), Tx: uint64(max(tx.Int64, 0))}})
	}
	return out, rows.Err()
}

// oldDeviceID is the Python version's device id: the device_id file beside
// the database, else the first row of devices.
func oldDeviceID(ctx context.Context, db *sql.DB, path string) string {
	if b, err := os.ReadFile(filepath.Join(filepath.Dir(path), "device_id")); err == nil {
		if id := strings.TrimSpace(string(b)); id != "" {
			return id
		}
	}
	var id sql.NullString
	_ = db.QueryRowContext(ctx, "SELECT device_id FROM devices ORDER BY created_at LIMIT 1").Scan(&id)
	return id.String
}
