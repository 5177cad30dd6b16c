package importer

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/packetbuddy/pb/internal/usage"
)

// readVnStat reads a vnStat 2.x database: per interface, fiveminute, then
// hour, day, month and year rows for what the finer ones do not cover.
func readVnStat(ctx context.Context, db *sql.DB, path string, loc *time.Location, h *History) error {
	const what = "vnStat 2.x"
	if err := requireTables(ctx, db, path, what, "interface", "fiveminute", "hour", "day", "month", "year"); err != nil {
		return err
	}
	bad := func(table string, err error) error {
		return fmt.Errorf("%s: %s: %s: nothing imported", path, table, oneLine(err))
	}
	rows, err := db.QueryContext(ctx, "SELECT id, name FROM interface ORDER BY name")
	if err != nil {
		return bad("interface", err)
	}
	names := map[int64]string{}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			rows.Close()
			return bad("interface", err)
		}
		names[id] = name
		h.Ifaces = append(h.Ifaces, name)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return bad("interface", err)
	}
	read := func(table string, span func(t time.Time) (time.Time, time.Time)) ([]levelRow, error) {
		rows, err := db.QueryContext(ctx, "SELECT interface, CAST(date AS TEXT), rx, tx FROM "+table)
		if err != nil {
			return nil, bad(table, err)
		}
		defer rows.Close()
		var out []levelRow
		for rows.Next() {
			var id, rx, tx int64
			var ds string
			if err := rows.Scan(&id, &ds, &rx, &tx); err != nil {
				return nil, bad(table, err)
			}
			name, ok := names[id]
			if !ok {
				continue // a row of a removed interface
			}
			t, err := parseLocal(ds, loc)
			if err != nil {
				return nil, bad(table, err)
			}
			from, to := span(t)
			out = append(out, levelRow{iface: name, from: from, to: to, t: usage.Totals{Rx: uint64(max(rx, 0)), Tx: uint64(max(tx, 0))}})
		}
		if err := rows.Err(); err != nil {
			return nil, bad(table, err)
		}
		return out, nil
	}
	fives, err := read("fiveminute", func(t time.Time) (time.Time, time.Time) { return t, t.Add(5 * time.Minute) })
	if err != nil {
		return err
	}
	for _, r := range fives {
		from := r.from.UTC().Truncate(usage.CoarseBucket)
		h.pieces = append(h.pieces, piece{iface: r.iface, bucket: r.from.UTC().Truncate(time.Minute), from: from, to: from.Add(usage.CoarseBucket), t: r.t, level: "fiveminute"})
	}
	hours, err := read("hour", func(t time.Time) (time.Time, time.Time) { return t, t.Add(time.Hour) })
	if err != nil {
		return err
	}
	addLevel(h, "hour", hours, spreadQuarters)
	dayOf := func(t time.Time) (time.Time, time.Time) {
		d := usage.DateOf(t)
		return d.Start(loc), d.AddDays(1).Start(loc)
	}
	days, err := read("day", dayOf)
	if err != nil {
		return err
	}
	addLevel(h, "day", days, atStart)
	// What the days of a month (and the months of a year) do not account
	// for is known only as the month's (year's) whole: a period total.
	months, err := read("month", func(t time.Time) (time.Time, time.Time) { return monthSpan(t.Year(), t.Month(), loc) })
	if err != nil {
		return err
	}
	addLevel(h, usage.PeriodMonth, months, asPeriod(usage.PeriodMonth))
	years, err := read("year", func(t time.Time) (time.Time, time.Time) {
		return usage.Date{Year: t.Year(), Month: time.January, Day: 1}.Start(loc), usage.Date{Year: t.Year() + 1, Month: time.January, Day: 1}.Start(loc)
	})
	if err != nil {
		return err
	}
	addLevel(h, usage.PeriodYear, years, asPeriod(usage.PeriodYear))
	return nil
}

// spreadQuarters spreads an hour's remainder evenly over its four quarter
// hours (the rest of the division in the first).
func spreadQuarters(r levelRow, t usage.Totals) []piece {
	var out []piece
	q := usage.Totals{Rx: t.Rx / 4, Tx: t.Tx / 4}
	for i := range 4 {
		part := q
		if i == 0 {
			part = usage.Totals{Rx: t.Rx - 3*q.Rx, Tx: t.Tx - 3*q.Tx}
		}
		if part == (usage.Totals{}) {
			continue
		}
		at := r.from.Add(time.Duration(i) * usage.CoarseBucket)
		out = append(out, piece{iface: r.iface, bucket: at.UTC().Truncate(time.Minute), from: at, to: at.Add(usage.CoarseBucket), t: part})
	}
	return out
}
