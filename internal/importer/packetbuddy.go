package importer

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/packetbuddy/pb/internal/usage"
)

// Device is one device of a PacketBuddy 1.x database. 1.x synced several
// machines into one database and its dashboard showed them together, so
// each is imported to an interface of its own: the device of the device_id
// file beside the database (this machine's 1.x installation) to
// "packetbuddy-v1", every other to "packetbuddy-v1@<hostname>".
type Device struct {
	ID       string
	Hostname string // "" when the devices table does not know it
	OS       string
	Iface    string // the interface its traffic is imported to
	Local    bool   // this machine's: see oldDevices and Claim
	listed   bool   // in the devices table (not only named by traffic rows)
}

// readPacketBuddy reads the Python version's packetbuddy.db: usage_logs,
// daily_aggregates (with peak speeds) and monthly_aggregates of every
// device.
func readPacketBuddy(ctx context.Context, db *sql.DB, path string, loc *time.Location, h *History) error {
	const what = "PacketBuddy 1.x"
	if err := requireTables(ctx, db, path, what, "usage_logs", "daily_aggregates"); err != nil {
		return err
	}
	bad := func(table string, err error) error {
		return fmt.Errorf("%s: %s: %s: nothing imported", path, table, oneLine(err))
	}
	devs, err := oldDevices(ctx, db, path)
	if err != nil {
		return bad("devices", err)
	}
	h.Devices = devs
	ifaceOf := map[string]string{}
	for _, d := range devs {
		ifaceOf[d.ID] = d.Iface
		h.Ifaces = append(h.Ifaces, d.Iface)
		if d.Local {
			h.DeviceID = d.ID
		}
	}

	// usage_logs: per second → per minute; a row is one second's traffic,
	// so the highest row of a quarter hour is its peak speed.
	rows, err := db.QueryContext(ctx, "SELECT coalesce(device_id, ''), CAST(timestamp AS TEXT), bytes_sent, bytes_received FROM usage_logs")
	if err != nil {
		return bad("usage_logs", err)
	}
	type key struct {
		iface string
		at    time.Time
	}
	minutes := map[key]usage.Totals{}
	peaks := map[key]uint64{} // per interface and quarter hour
	for rows.Next() {
		var dev, ts string
		var tx, rx int64
		if err := rows.Scan(&dev, &ts, &tx, &rx); err != nil {
			rows.Close()
			return bad("usage_logs", err)
		}
		t, err := parseLocal(ts, loc)
		if err != nil {
			rows.Close()
			return bad("usage_logs", err)
		}
		if tx < 0 || rx < 0 {
			continue
		}
		m := key{ifaceOf[dev], t.UTC().Truncate(time.Minute)}
		minutes[m] = minutes[m].Add(usage.Totals{Rx: uint64(rx), Tx: uint64(tx)})
		q := key{m.iface, t.UTC().Truncate(usage.CoarseBucket)}
		peaks[q] = max(peaks[q], uint64(rx+tx))
	}
	if err := rows.Close(); err != nil {
		return bad("usage_logs", err)
	}
	if err := rows.Err(); err != nil {
		return bad("usage_logs", err)
	}
	for m, t := range minutes {
		from := m.at.Truncate(usage.CoarseBucket)
		h.pieces = append(h.pieces, piece{iface: m.iface, bucket: m.at, from: from, to: from.Add(usage.CoarseBucket), t: t, level: "second"})
	}

	// daily_aggregates: the remainder of each day at local midnight; the
	// day's peak speed where the logs have none as high.
	peak := "0"
	if hasColumn(ctx, db, "daily_aggregates", "peak_speed") {
		peak = "peak_speed"
	}
	days, dayPeaks, err := readAggregates(ctx, db, "SELECT coalesce(device_id, ''), CAST(date AS TEXT), bytes_sent, bytes_received, "+peak+" FROM daily_aggregates",
		ifaceOf, func(d usage.Date) (time.Time, time.Time) { return d.Start(loc), d.AddDays(1).Start(loc) })
	if err != nil {
		return bad("daily_aggregates", err)
	}
	addLevel(h, "day", days, atStart)
	logMax := map[key]uint64{} // per interface and local day start
	for q, bps := range peaks {
		d := key{q.iface, usage.DateOf(q.at.In(loc)).Start(loc)}
		logMax[d] = max(logMax[d], bps)
	}
	for i, r := range days {
		if dayPeaks[i] > logMax[key{r.iface, r.from}] {
			q := key{r.iface, r.from.UTC().Truncate(usage.CoarseBucket)}
			peaks[q] = max(peaks[q], dayPeaks[i])
		}
	}
	for q, bps := range peaks {
		if bps > 0 {
			h.peaks = append(h.peaks, ifacePeak{iface: q.iface, Peak: usage.Peak{Bucket: q.at, BytesPerSec: bps}})
		}
	}
	slices.SortFunc(h.peaks, func(a, b ifacePeak) int { return a.Bucket.Compare(b.Bucket) })

	// monthly_aggregates, when present: what the days of a month do not
	// account for is known only as the month's whole: a period total.
	if requireTables(ctx, db, path, what, "monthly_aggregates") == nil {
		months, _, err := readAggregates(ctx, db, "SELECT coalesce(device_id, ''), CAST(month AS TEXT) || '-01', bytes_sent, bytes_received, 0 FROM monthly_aggregates",
			ifaceOf, func(d usage.Date) (time.Time, time.Time) { return monthSpan(d.Year, d.Month, loc) })
		if err != nil {
			return bad("monthly_aggregates", err)
		}
		addLevel(h, usage.PeriodMonth, months, asPeriod(usage.PeriodMonth))
	}
	return nil
}

// monthSpan is the local calendar month [start, end).
func monthSpan(year int, month time.Month, loc *time.Location) (time.Time, time.Time) {
	first := usage.Date{Year: year, Month: month, Day: 1}
	next := usage.DateOf(time.Date(year, month+1, 1, 12, 0, 0, 0, time.UTC))
	return first.Start(loc), next.Start(loc)
}

// readAggregates reads (device, date text, sent, received, peak) rows into
// spans, with each row's peak speed.
func readAggregates(ctx context.Context, db *sql.DB, q string, ifaceOf map[string]string, span func(usage.Date) (time.Time, time.Time)) ([]levelRow, []uint64, error) {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var out []levelRow
	var peaks []uint64
	for rows.Next() {
		var dev, ds string
		var tx, rx, pk sql.NullInt64
		if err := rows.Scan(&dev, &ds, &tx, &rx, &pk); err != nil {
			return nil, nil, err
		}
		ds = strings.TrimSpace(ds)
		d, err := usage.ParseDate(ds[:min(10, len(ds))])
		if err != nil {
			return nil, nil, fmt.Errorf("date %q is not YYYY-MM-DD", ds)
		}
		from, to := span(d)
		out = append(out, levelRow{iface: ifaceOf[dev], from: from, to: to, t: usage.Totals{Rx: uint64(max(rx.Int64, 0)), Tx: uint64(max(tx.Int64, 0))}})
		peaks = append(peaks, uint64(max(pk.Int64, 0)))
	}
	return out, peaks, rows.Err()
}

// hasColumn reports whether table has the column (old 1.x versions had no
// peak_speed).
func hasColumn(ctx context.Context, db *sql.DB, table, column string) bool {
	var n int
	err := db.QueryRowContext(ctx, "SELECT count(*) FROM pragma_table_info(?) WHERE name = ?", table, column).Scan(&n)
	return err == nil && n > 0
}

// oldDevices lists the devices of a 1.x database: the devices table, plus
// any device id that only the traffic tables name. The local one is the id
// in the device_id file beside the database, or the only device there is.
func oldDevices(ctx context.Context, db *sql.DB, path string) ([]Device, error) {
	local := ""
	if b, err := os.ReadFile(filepath.Join(filepath.Dir(path), "device_id")); err == nil {
		local = strings.TrimSpace(string(b))
	}
	var devs []Device
	seen := map[string]bool{}
	if hasTable(ctx, db, "devices") {
		rows, err := db.QueryContext(ctx, "SELECT coalesce(device_id, ''), coalesce(os_type, ''), coalesce(hostname, '') FROM devices ORDER BY created_at, device_id")
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var d Device
			d.listed = true
			if err := rows.Scan(&d.ID, &d.OS, &d.Hostname); err != nil {
				rows.Close()
				return nil, err
			}
			if !seen[d.ID] {
				seen[d.ID] = true
				devs = append(devs, d)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	q := "SELECT device_id FROM usage_logs UNION SELECT device_id FROM daily_aggregates"
	if hasTable(ctx, db, "monthly_aggregates") {
		q += " UNION SELECT device_id FROM monthly_aggregates"
	}
	rows, err := db.QueryContext(ctx, "SELECT DISTINCT coalesce(device_id, '') FROM ("+q+") ORDER BY 1")
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		if !seen[id] {
			seen[id] = true
			devs = append(devs, Device{ID: id})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(devs) == 1 && (local == "" || local == devs[0].ID) {
		devs[0].Local = true
	}
	names := map[string]bool{}
	for i := range devs {
		d := &devs[i]
		if local != "" && d.ID == local {
			d.Local = true
		}
		if d.Local {
			d.Iface = ImportedIface
			continue
		}
		// The host name, else the id's start, else "device"; a name
		// already given gets "-2", "-3"….
		name := sanitizeName(d.Hostname)
		if name == "" || names[name] {
			name = sanitizeName(d.ID)
			if len(name) > 12 {
				name = name[:12]
			}
		}
		if name == "" {
			name = "device"
		}
		for i, base := 2, name; names[name]; i++ {
			name = base + "-" + strconv.Itoa(i)
		}
		names[name] = true
		d.Iface = ImportedIface + "@" + name
	}
	return devs, nil
}

// sanitizeName keeps an interface name printable and free of the separators
// that -i lists and globs use.
func sanitizeName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return -1
	}, s)
}

func hasTable(ctx context.Context, db *sql.DB, name string) bool {
	var n int
	err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", name).Scan(&n)
	return err == nil && n > 0
}

// Hints are what the store and this machine say about which 1.x device is
// this machine's, when the database does not (no device_id file beside it,
// as in a backup copy, and more than one device).
type Hints struct {
	Hostname string            // this machine's host name
	DeviceID string            // the store's device id (--keep-device-id carries the 1.x one over)
	Imported map[string]string // store.ImportedDevices: interface → 1.x device id
	// Legacy: the store has ImportedIface with no device recorded (an
	// import by pb before 2.1, which took the device_id file's device or
	// the devices table's first).
	Legacy bool
}

// Claim applies hints: each device recorded by an earlier import keeps the
// interface it was imported to, and when no device is this machine's yet,
// the first of these is: the device recorded as ImportedIface, the one with
// the store's device id, the only one with this machine's host name, or
// (after an import by an older pb) the devices table's first. Call it
// before Select.
func (h *History) Claim(hi Hints) {
	if h.Source != PacketBuddy || len(h.Devices) == 0 {
		return
	}
	rename := map[string]string{} // old interface → new
	if slices.IndexFunc(h.Devices, func(d Device) bool { return d.Local }) < 0 {
		local := -1
		byID := func(id string) int {
			if id == "" {
				return -1
			}
			return slices.IndexFunc(h.Devices, func(d Device) bool { return d.ID == id })
		}
		if i := byID(hi.Imported[ImportedIface]); i >= 0 {
			local = i
		} else if i := byID(hi.DeviceID); i >= 0 {
			local = i
		} else if hi.Hostname != "" {
			n := 0
			for i, d := range h.Devices {
				if strings.EqualFold(d.Hostname, hi.Hostname) {
					local, n = i, n+1
				}
			}
			if n != 1 {
				local = -1
			}
		}
		if local < 0 && hi.Legacy && h.Devices[0].listed {
			local = 0
		}
		if local >= 0 {
			d := &h.Devices[local]
			d.Local = true
			rename[d.Iface] = ImportedIface
			h.DeviceID = d.ID
		}
	}
	// Earlier imports' names, where no other device of this database has
	// the name.
	taken := map[string]bool{}
	for _, d := range h.Devices {
		if n, ok := rename[d.Iface]; ok {
			taken[n] = true
		} else {
			taken[d.Iface] = true
		}
	}
	for _, iface := range slices.Sorted(maps.Keys(hi.Imported)) {
		id := hi.Imported[iface]
		for _, d := range h.Devices {
			if d.ID != id || d.Local || d.Iface == iface || taken[iface] || iface == ImportedIface {
				continue
			}
			if _, done := rename[d.Iface]; done {
				continue
			}
			taken[iface] = true
			rename[d.Iface] = iface
		}
	}
	if len(rename) == 0 {
		return
	}
	to := func(s string) string {
		if n, ok := rename[s]; ok {
			return n
		}
		return s
	}
	for i := range h.Devices {
		h.Devices[i].Iface = to(h.Devices[i].Iface)
	}
	for i := range h.Ifaces {
		h.Ifaces[i] = to(h.Ifaces[i])
	}
	for i := range h.pieces {
		h.pieces[i].iface = to(h.pieces[i].iface)
	}
	for i := range h.peaks {
		h.peaks[i].iface = to(h.peaks[i].iface)
	}
}
