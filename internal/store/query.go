package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/packetbuddy/pb/internal/usage"
)

// Point is one step of a Series (usage.Point).
type Point = usage.Point

// maxPoints bounds Series and Days so a bad request cannot take the memory.
const maxPoints = 200_000

// Totals returns the traffic of the interfaces f selects in [from, to).
//
// Precision rule: a bucket counts whole when its start lies in [from, to).
// Whole quarters of an hour come from the 15-minute tier. A partial quarter at
// either end (from or to not on a 15-minute edge) comes from the 1-minute tier
// where that tier is complete, so "today until now" is exact to the minute;
// where the fine tier was pruned (see usage.StoreStats.FineHorizon), the 15-minute
// bucket that starts inside [from, to) counts whole and the one that starts
// before from does not count.
func (s *Store) Totals(ctx context.Context, from, to time.Time, f usage.Filter) (usage.Totals, error) {
	var total usage.Totals
	err := s.read(ctx, func(tx *sql.Tx) error {
		sel, err := filterIDs(ctx, tx, f)
		if err != nil {
			return err
		}
		m, err := rangeTotals(ctx, tx, sel, from, to, false)
		for _, t := range m {
			total = total.Add(t)
		}
		return err
	})
	if err != nil {
		return usage.Totals{}, fmt.Errorf("store: totals: %w", err)
	}
	return total, nil
}

// Days returns one entry per local day from from to to inclusive, in order,
// zero days included, in loc. PeakBytesPerSec is the day's highest counted
// speed (peaks are recorded for the counted total, whatever f selects).
func (s *Store) Days(ctx context.Context, from, to usage.Date, loc *time.Location, f usage.Filter) ([]usage.DayTotals, error) {
	out, err := s.days(ctx, from, to, loc, f, true)
	if err != nil {
		return nil, fmt.Errorf("store: days %s..%s: %w", from, to, err)
	}
	return out, nil
}

// DayTotals is Days without the peak speeds (PeakBytesPerSec is 0), a third
// cheaper, for readers that only add traffic up (data plans).
func (s *Store) DayTotals(ctx context.Context, from, to usage.Date, loc *time.Location, f usage.Filter) ([]usage.DayTotals, error) {
	out, err := s.days(ctx, from, to, loc, f, false)
	if err != nil {
		return nil, fmt.Errorf("store: day totals %s..%s: %w", from, to, err)
	}
	return out, nil
}

func (s *Store) days(ctx context.Context, from, to usage.Date, loc *time.Location, f usage.Filter, withPeaks bool) ([]usage.DayTotals, error) {
	if loc == nil {
		return nil, errors.New("no time zone")
	}
	if from.After(to) {
		return nil, errors.New("from is after to")
	}
	if n := from.DaysUntil(to) + 1; n > maxPoints {
		return nil, fmt.Errorf("%d days is too many", n)
	}
	spans := dayRanges(from, to, loc)
	var p plan
	for i := 0; i < len(spans); i += 3 {
		p.add(spans[i], spans[i+1], spans[i+2])
	}
	var sums map[[2]int64]usage.Totals
	var peaks map[int64]uint64
	err := s.read(ctx, func(tx *sql.Tx) error {
		sel, err := filterIDs(ctx, tx, f)
		if err != nil {
			return err
		}
		if sums, err = p.run(ctx, tx, sel, false); err != nil {
			return err
		}
		if withPeaks {
			peaks, err = peaksIn(ctx, tx, spans)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]usage.DayTotals, 0, len(spans)/3)
	for i, d := int64(0), from; !d.After(to); i, d = i+1, d.AddDays(1) {
		out = append(out, usage.DayTotals{Date: d, Totals: sums[[2]int64{i, 0}], PeakBytesPerSec: peaks[i]})
	}
	return out, nil
}

// Months returns one entry per local calendar month from the month of from
// to the month of to inclusive, in order, zero months included, in loc.
func (s *Store) Months(ctx context.Context, from, to usage.Date, loc *time.Location, f usage.Filter) ([]usage.MonthTotals, error) {
	out, err := s.months(ctx, from, to, loc, f)
	if err != nil {
		return nil, fmt.Errorf("store: months %s..%s: %w", from, to, err)
	}
	return out, nil
}

func (s *Store) months(ctx context.Context, from, to usage.Date, loc *time.Location, f usage.Filter) ([]usage.MonthTotals, error) {
	if loc == nil {
		return nil, errors.New("no time zone")
	}
	first := usage.Date{Year: from.Year, Month: from.Month, Day: 1}
	last := usage.Date{Year: to.Year, Month: to.Month, Day: 1}
	if first.After(last) {
		return nil, errors.New("from is after to")
	}
	var out []usage.MonthTotals
	var p plan
	var bounds []int64 // month i is [bounds[i], bounds[i+1])
	start := first.Start(loc)
	bounds = append(bounds, unixCeil(start))
	for m := first; !m.After(last); m = nextMonth(m) {
		if len(out) == maxPoints {
			return nil, errors.New("too many months")
		}
		end := nextMonth(m).Start(loc)
		p.add(int64(len(out)), unixCeil(start), unixCeil(end))
		out = append(out, usage.MonthTotals{Year: m.Year, Month: m.Month})
		bounds = append(bounds, unixCeil(end))
		start = end
	}
	err := s.read(ctx, func(tx *sql.Tx) error {
		sel, err := filterIDs(ctx, tx, f)
		if err != nil {
			return err
		}
		sums, err := p.run(ctx, tx, sel, false)
		if err != nil {
			return err
		}
		for i := range out {
			out[i].Totals = sums[[2]int64{int64(i), 0}]
		}
		// Month totals known only as a whole belong to their month (a
		// year's does not: it is in no month).
		periods, err := periodsIn(ctx, tx, sel, bounds[0], bounds[len(bounds)-1])
		for _, pr := range periods {
			if pr.Kind != usage.PeriodMonth {
				continue
			}
			i, _ := slices.BinarySearch(bounds, pr.Start.Unix()+1)
			if i--; i >= 0 && i < len(out) && pr.End.Unix() <= bounds[i+1] {
				out[i].Totals = out[i].Totals.Add(pr.Totals)
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func nextMonth(d usage.Date) usage.Date {
	if d.Month == time.December {
		return usage.Date{Year: d.Year + 1, Month: time.January, Day: 1}
	}
	return usage.Date{Year: d.Year, Month: d.Month + 1, Day: 1}
}

// Hours returns the local clock hours of day in loc, in order, zero hours
// included: 24 rows, 23 on the day DST starts and 25 on the day it ends (the
// repeated hour twice, told apart by the offset of Start). A row is a local
// clock hour at one UTC offset, so a 30-minute shift (Australia/Lord_Howe)
// gives 24 rows with one of 30 minutes on the day DST starts and 25 rows with
// one of 30 minutes on the day it ends, and a change in the middle of an hour
// (Pacific/Chatham, at 02:45) splits that hour: 24 and 26 rows.
func (s *Store) Hours(ctx context.Context, day usage.Date, loc *time.Location, f usage.Filter) ([]usage.HourTotals, error) {
	out, err := s.hours(ctx, day, loc, f)
	if err != nil {
		return nil, fmt.Errorf("store: hours of %s: %w", day, err)
	}
	return out, nil
}

func (s *Store) hours(ctx context.Context, day usage.Date, loc *time.Location, f usage.Filter) ([]usage.HourTotals, error) {
	if loc == nil {
		return nil, errors.New("no time zone")
	}
	start, end := day.Start(loc), day.AddDays(1).Start(loc)
	var out []usage.HourTotals
	type hourKey struct{ hour, offset int }
	var last hourKey
	for t := start; t.Before(end); t = t.Add(usage.CoarseBucket) {
		lt := t.In(loc)
		_, off := lt.Zone()
		if k := (hourKey{lt.Hour(), off}); len(out) == 0 || k != last {
			out = append(out, usage.HourTotals{Start: lt})
			last = k
		}
	}
	var p plan
	for i := range out {
		e := end
		if i+1 < len(out) {
			e = out[i+1].Start
		}
		p.add(int64(i), unixCeil(out[i].Start), unixCeil(e))
	}
	err := s.read(ctx, func(tx *sql.Tx) error {
		sel, err := filterIDs(ctx, tx, f)
		if err != nil {
			return err
		}
		sums, err := p.run(ctx, tx, sel, false)
		for i := range out {
			out[i].Totals = sums[[2]int64{int64(i), 0}]
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// TopDays returns the n local days in loc with the most traffic (rx+tx) of
// the interfaces f selects, biggest first, ties by date (earlier first). Days
// without traffic are never listed, so fewer than n may come back. The first
// call sums every day of the history; the totals of days that ended two days
// ago are then kept in memory (see settleAfter), so later calls sum only the
// recent days.
func (s *Store) TopDays(ctx context.Context, n int, loc *time.Location, f usage.Filter) ([]usage.DayTotals, error) {
	out, err := s.topDays(ctx, n, loc, f)
	if err != nil {
		return nil, fmt.Errorf("store: top days: %w", err)
	}
	return out, nil
}

func (s *Store) topDays(ctx context.Context, n int, loc *time.Location, f usage.Filter) ([]usage.DayTotals, error) {
	if loc == nil {
		return nil, errors.New("no time zone")
	}
	if n <= 0 {
		return nil, nil
	}
	var out []usage.DayTotals
	err := s.read(ctx, func(tx *sql.Tx) error {
		sel, err := filterIDs(ctx, tx, f)
		if err != nil {
			return err
		}
		lo, hi, ok, err := tsRange(ctx, tx, sel)
		if err != nil || !ok {
			return err
		}
		first := usage.DateOf(time.Unix(lo, 0).In(loc))
		last := usage.DateOf(time.Unix(hi, 0).In(loc))
		days, err := s.allDays(ctx, tx, sel, first, last, loc)
		if err != nil {
			return err
		}
		for i, t := range days {
			if t.Total() > 0 {
				out = append(out, usage.DayTotals{Date: first.AddDays(i), Totals: t})
			}
		}
		slices.SortFunc(out, func(a, b usage.DayTotals) int {
			return cmp.Or(cmp.Compare(b.Total(), a.Total()), a.Date.Compare(b.Date))
		})
		if len(out) > n {
			out = out[:n]
		}
		var top []int64
		for i, d := range out {
			top = append(top, int64(i), unixCeil(d.Date.Start(loc)), unixCeil(d.Date.AddDays(1).Start(loc)))
		}
		peaks, err := peaksIn(ctx, tx, top)
		for i := range out {
			out[i].PeakBytesPerSec = peaks[int64(i)]
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Lifetime returns everything ever counted on the interfaces f selects. It
// comes from the lifetime table, which retention never reduces.
func (s *Store) Lifetime(ctx context.Context, f usage.Filter) (usage.Totals, error) {
	var t usage.Totals
	err := s.read(ctx, func(tx *sql.Tx) error {
		sel, err := filterIDs(ctx, tx, f)
		if err != nil {
			return err
		}
		return scanTotals(tx.QueryRowContext(ctx, `SELECT coalesce(sum(rx), 0), coalesce(sum(tx), 0)
			FROM lifetime WHERE `+sel.cond()), &t)
	})
	if err != nil {
		return usage.Totals{}, fmt.Errorf("store: lifetime: %w", err)
	}
	return t, nil
}

// Interfaces returns every interface (counted or not, idle ones included)
// with its traffic in [from, to) under the precision rule of Totals, ordered
// by name, then MAC.
func (s *Store) Interfaces(ctx context.Context, from, to time.Time) ([]usage.InterfaceTotals, error) {
	var out []usage.InterfaceTotals
	err := s.read(ctx, func(tx *sql.Tx) error {
		var ids []int64
		var err error
		out, ids, err = listInterfaces(ctx, tx, "")
		if err != nil {
			return err
		}
		m, err := rangeTotals(ctx, tx, ifaces{ids: ids, all: true}, from, to, true)
		for i, id := range ids {
			out[i].Totals = m[[2]int64{0, id}]
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: interfaces: %w", err)
	}
	return out, nil
}

// InterfaceLifetimes returns every interface with its lifetime traffic,
// ordered by name, then MAC.
func (s *Store) InterfaceLifetimes(ctx context.Context) ([]usage.InterfaceTotals, error) {
	var out []usage.InterfaceTotals
	err := s.read(ctx, func(tx *sql.Tx) error {
		var err error
		out, _, err = listInterfaces(ctx, tx, "lifetime")
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: interface lifetimes: %w", err)
	}
	return out, nil
}

func listInterfaces(ctx context.Context, tx *sql.Tx, withLifetime string) ([]usage.InterfaceTotals, []int64, error) {
	q := `SELECT i.id, i.name, i.mac, i.kind, i.counted, i.first_seen, i.last_seen, 0, 0 FROM interfaces i ORDER BY i.name, i.mac, i.id`
	if withLifetime != "" {
		q = `SELECT i.id, i.name, i.mac, i.kind, i.counted, i.first_seen, i.last_seen, coalesce(l.rx, 0), coalesce(l.tx, 0)
			FROM interfaces i LEFT JOIN lifetime l ON l.iface_id = i.id ORDER BY i.name, i.mac, i.id`
	}
	rows, err := tx.QueryContext(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var out []usage.InterfaceTotals
	var ids []int64
	for rows.Next() {
		var (
			it          usage.InterfaceTotals
			id, fs, ls  int64
			rx, txBytes int64
		)
		if err := rows.Scan(&id, &it.Name, &it.MAC, &it.Kind, &it.Counted, &fs, &ls, &rx, &txBytes); err != nil {
			return nil, nil, err
		}
		it.FirstSeen, it.LastSeen = time.Unix(fs, 0).UTC(), time.Unix(ls, 0).UTC()
		it.Totals = usage.Totals{Rx: uint64(rx), Tx: uint64(txBytes)}
		out = append(out, it)
		ids = append(ids, id)
	}
	return out, ids, rows.Err()
}

// Peak returns the highest counted speed (bytes per second) recorded in a
// 15-minute bucket that starts in [from, to), and the start of that bucket
// (the earliest, on a tie). bps is 0 and at is zero when there is none.
func (s *Store) Peak(ctx context.Context, from, to time.Time) (bps uint64, at time.Time, err error) {
	err = s.read(ctx, func(tx *sql.Tx) error {
		var ts, v int64
		err := tx.QueryRowContext(ctx, `SELECT ts, bps FROM peaks WHERE ts >= ? AND ts < ?
			ORDER BY bps DESC, ts LIMIT 1`, unixCeil(from), unixCeil(to)).Scan(&ts, &v)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		bps, at = uint64(v), time.Unix(ts, 0).UTC()
		return err
	})
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("store: peak: %w", err)
	}
	return bps, at, nil
}

// Span returns the first and last local day in loc holding a recorded bucket
// of a counted interface; ok is false when there is none.
func (s *Store) Span(ctx context.Context, loc *time.Location) (first, last usage.Date, ok bool, err error) {
	if loc == nil {
		return first, last, false, errors.New("store: span: no time zone")
	}
	err = s.read(ctx, func(tx *sql.Tx) error {
		sel, err := filterIDs(ctx, tx, usage.Filter{})
		if err != nil {
			return err
		}
		lo, hi, found, err := tsRange(ctx, tx, sel)
		if err != nil || !found {
			return err
		}
		first, last, ok = usage.DateOf(time.Unix(lo, 0).In(loc)), usage.DateOf(time.Unix(hi, 0).In(loc)), true
		return nil
	})
	if err != nil {
		return usage.Date{}, usage.Date{}, false, fmt.Errorf("store: span: %w", err)
	}
	return first, last, ok, nil
}

// Events returns the events in [from, to), newest first, at most limit of
// them (all when limit <= 0). Event times are stored to the second.
func (s *Store) Events(ctx context.Context, from, to time.Time, limit int) ([]usage.Event, error) {
	if limit <= 0 {
		limit = -1
	}
	var out []usage.Event
	err := s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT ts, kind, iface, rx, tx, message FROM events
			WHERE ts >= ? AND ts < ? ORDER BY ts DESC, id DESC LIMIT ?`, unixCeil(from), unixCeil(to), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e usage.Event
			var ts, rx, txBytes int64
			if err := rows.Scan(&ts, &e.Kind, &e.Iface, &rx, &txBytes, &e.Message); err != nil {
				return err
			}
			e.Time = time.Unix(ts, 0).UTC()
			e.Totals = usage.Totals{Rx: uint64(rx), Tx: uint64(txBytes)}
			out = append(out, e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: events: %w", err)
	}
	return out, nil
}

// Series returns the traffic of the interfaces f selects in steps of step
// from from until to, one Point per step, zero ones included; the last point
// may be cut short by to. A bucket goes to the point its start falls in.
// A step that is a multiple of 15 minutes reads the coarse tier (all
// history); any other multiple of a minute reads the fine tier, which only
// holds recent days (see usage.StoreStats.FineHorizon), so older points are zero. Align
// from to the step's tier (a minute or 15 minutes) for whole buckets.
func (s *Store) Series(ctx context.Context, from, to time.Time, step time.Duration, f usage.Filter) ([]Point, error) {
	out, err := s.series(ctx, from, to, step, f)
	if err != nil {
		return nil, fmt.Errorf("store: series: %w", err)
	}
	return out, nil
}

func (s *Store) series(ctx context.Context, from, to time.Time, step time.Duration, f usage.Filter) ([]Point, error) {
	if step <= 0 || step%usage.FineBucket != 0 {
		return nil, fmt.Errorf("step %v is not a whole number of minutes", step)
	}
	if !from.Before(to) {
		return nil, nil
	}
	n := (to.Sub(from) + step - 1) / step
	if n > maxPoints {
		return nil, fmt.Errorf("%d points is too many", n)
	}
	out := make([]Point, n)
	for i := range out {
		out[i].Start = from.Add(time.Duration(i) * step)
	}
	f0, t0, stepSec := unixCeil(from), unixCeil(to), int64(step/time.Second)
	table := "fine"
	if step%usage.CoarseBucket == 0 {
		table = "coarse"
	}
	err := s.read(ctx, func(tx *sql.Tx) error {
		sel, err := filterIDs(ctx, tx, f)
		if err != nil || len(sel.ids) == 0 {
			return err
		}
		if step >= time.Hour && table == "coarse" { // few points, many buckets each: use the rollups
			var p plan
			for i := range out {
				lo := f0 + int64(i)*stepSec
				p.add(int64(i), lo, min(lo+stepSec, t0))
			}
			sums, err := p.run(ctx, tx, sel, false)
			for i := range out {
				out[i].Totals = sums[[2]int64{int64(i), 0}]
			}
			return err
		}
		// Grouped by ts, the table's key order, SQLite needs no sort; the
		// buckets go to their steps here.
		rows, err := tx.QueryContext(ctx, `SELECT ts, sum(rx), sum(tx) FROM `+table+`
			WHERE ts >= ? AND ts < ? AND `+sel.cond()+` GROUP BY ts`,
			f0, t0)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var ts int64
			var t usage.Totals
			if err := scanTotals(rows, &ts, &t); err != nil {
				return err
			}
			if k := (ts - f0) / stepSec; k >= 0 && k < int64(len(out)) {
				out[k].Totals = out[k].Totals.Add(t)
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Stats returns the size and contents of the database. It reads the
// trigger-kept row counts and each tier's first and last key, so its cost
// does not grow with the history.
func (s *Store) Stats(ctx context.Context) (usage.StoreStats, error) {
	st := usage.StoreStats{Path: s.path}
	for _, p := range []string{s.path, s.path + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			st.SizeBytes += fi.Size()
		}
	}
	err := s.read(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT user_version FROM pragma_user_version`).Scan(&st.SchemaVersion); err != nil {
			return err
		}
		c, err := maintainedCounts(ctx, tx)
		if err != nil {
			return err
		}
		st.Interfaces, st.FineRows, st.CoarseRows, st.PeakRows, st.EventRows = int(c.Interfaces), c.Fine, c.Coarse, c.Peaks, c.Events
		for _, t := range []struct {
			table    string
			old, new *time.Time
		}{{"fine", &st.OldestFine, &st.NewestFine}, {"coarse", &st.OldestCoarse, &st.NewestCoarse}} {
			var lo, hi sql.NullInt64
			if err := tx.QueryRowContext(ctx, `SELECT (SELECT min(ts) FROM `+t.table+`),
				(SELECT max(ts) FROM `+t.table+`)`).Scan(&lo, &hi); err != nil {
				return err
			}
			if lo.Valid {
				*t.old, *t.new = time.Unix(lo.Int64, 0).UTC(), time.Unix(hi.Int64, 0).UTC()
			}
		}
		h, err := fineHorizon(ctx, tx)
		if err != nil {
			return err
		}
		if h > 0 {
			st.FineHorizon = time.Unix(h, 0).UTC()
		}
		v, ok, err := getState(ctx, tx, keyCreatedAt)
		if err == nil && ok {
			if c, perr := strconv.ParseInt(v, 10, 64); perr == nil {
				st.CreatedAt = time.Unix(c, 0).UTC()
			}
		}
		return err
	})
	if err != nil {
		return usage.StoreStats{}, fmt.Errorf("store: stats: %w", err)
	}
	return st, nil
}

// read runs fn in a read transaction: every statement of a query sees the
// same snapshot even while the daemon flushes.
func (s *Store) read(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.readTx(ctx)
	if err != nil {
		return sqliteErr(err)
	}
	defer rollback(tx)
	return sqliteErr(fn(tx))
}

// ifaces is a selection of interfaces: their ids and whether
// that is every interface (then no condition is needed at all).
type ifaces struct {
	ids []int64
	all bool
}

// cond is the SQL condition on iface_id that selects s. The ids are integers
// from the database, so inlining them is safe. Scans of the traffic tables
// run in (ts, iface_id) order and test it on every row: a bit mask is
// cheaper to test than an IN list (~12% of a scan), which is kept for ids
// beyond 62.
func (s ifaces) cond() string {
	if s.all {
		return "1"
	}
	if len(s.ids) == 0 {
		return "0"
	}
	var mask int64
	for _, id := range s.ids {
		if id < 0 || id >= 63 {
			return "iface_id IN (" + idList(s.ids) + ")"
		}
		mask |= 1 << id
	}
	return "(" + strconv.FormatInt(mask, 10) + " >> iface_id) & 1"
}

// filterIDs returns the interfaces f selects.
func filterIDs(ctx context.Context, q execQuerier, f usage.Filter) (ifaces, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, name, counted FROM interfaces ORDER BY id`)
	if err != nil {
		return ifaces{}, err
	}
	defer rows.Close()
	sel := ifaces{all: true}
	for rows.Next() {
		var id int64
		var name string
		var counted bool
		if err := rows.Scan(&id, &name, &counted); err != nil {
			return ifaces{}, err
		}
		var in bool
		switch {
		case f.All:
			in = true
		case len(f.Ifaces) > 0:
			in = slices.Contains(f.Ifaces, name)
		default:
			in = counted
		}
		if in {
			sel.ids = append(sel.ids, id)
		} else {
			sel.all = false
		}
	}
	if len(sel.ids) == 0 {
		sel.all = false
	}
	return sel, rows.Err()
}

// idList formats ids as a comma-separated list.
func idList(ids []int64) string {
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	return b.String()
}

type scanner interface{ Scan(dest ...any) error }

// scanTotals scans optional leading columns into keys, then rx and tx.
func scanTotals(r scanner, dst ...any) error {
	t := dst[len(dst)-1].(*usage.Totals)
	var rx, tx int64
	args := append(append([]any(nil), dst[:len(dst)-1]...), &rx, &tx)
	if err := r.Scan(args...); err != nil {
		return err
	}
	*t = usage.Totals{Rx: uint64(rx), Tx: uint64(tx)}
	return nil
}

// fineHorizon reads the instant before which the fine tier may be missing
// rows (0 when it never lost any).
func fineHorizon(ctx context.Context, q execQuerier) (int64, error) {
	v, ok, err := getState(ctx, q, keyFineHorizon)
	if err != nil || !ok {
		return 0, err
	}
	h, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bad %s %q", keyFineHorizon, v)
	}
	return h, nil
}

// rangeTotals sums [from, to) under the precision rule documented on
// Totals, under key 0 and (byIface) per interface.
func rangeTotals(ctx context.Context, tx *sql.Tx, sel ifaces, from, to time.Time, byIface bool) (map[[2]int64]usage.Totals, error) {
	f, t := unixCeil(from), unixCeil(to)
	if f >= t || len(sel.ids) == 0 {
		return map[[2]int64]usage.Totals{}, nil
	}
	var p plan
	var partial [][2]int64 // pieces inside one 15-minute bucket
	if a, b := ceilTo(f, coarseSec), floorTo(t, coarseSec); a > b {
		partial = append(partial, [2]int64{f, t})
	} else {
		p.add(0, a, b)
		partial = append(partial, [2]int64{f, a}, [2]int64{b, t})
	}
	if partial[0][0] < partial[0][1] || len(partial) > 1 && partial[1][0] < partial[1][1] {
		h, err := fineHorizon(ctx, tx)
		if err != nil {
			return nil, err
		}
		horizon := ceilTo(h, coarseSec)
		for _, pc := range partial {
			if pc[0] >= horizon {
				p.addFine(0, pc[0], pc[1])
			} else {
				p.add(0, pc[0], pc[1])
			}
		}
	}
	return p.run(ctx, tx, sel, byIface)
}

// plan is a set of range sums to run in one statement. Each range [lo, hi)
// of unix seconds is the sum of the coarse buckets that start inside it, read
// from the coarsest tables that fit: coarse rows at its ragged ends, hourly
// rows up to the first UTC midnight, daily rows in between. The rollups are
// sums of whole coarse buckets, so this is exact for any range.
type plan struct {
	spans [len(tiers)][]int64 // key, lo, hi triples per table of tiers
}

// add sums [lo, hi) of the coarse tier under key.
func (p *plan) add(key, lo, hi int64) {
	if lo >= hi {
		return
	}
	a, b := ceilTo(lo, hourSec), floorTo(hi, hourSec)
	if a >= b {
		p.put(1, key, lo, hi)
		return
	}
	p.put(1, key, lo, a)
	p.put(1, key, b, hi)
	c, d := ceilTo(a, daySec), floorTo(b, daySec)
	if c >= d {
		p.put(2, key, a, b)
		return
	}
	p.put(2, key, a, c)
	p.put(3, key, c, d)
	p.put(2, key, d, b)
}

// addFine sums [lo, hi) of the fine tier under key.
func (p *plan) addFine(key, lo, hi int64) { p.put(0, key, lo, hi) }

func (p *plan) put(tier int, key, lo, hi int64) {
	if lo < hi {
		p.spans[tier] = append(p.spans[tier], key, lo, hi)
	}
}

// planChunk is the most ranges one statement carries: memory that SQLite
// (through modernc's allocator, which keeps what it once held) needs for a
// statement grows with its ranges, so ten years of days go in slices.
const planChunk = 256

// run sums the plan over the interfaces ids, per key and (byIface) per
// interface; the map key is (key, iface id or 0).
//
// Each range is one correlated subquery: one primary-key range scan summed
// inside SQLite, with no sort and no per-row work outside the scan. The two sums come back as one "rx tx" string, since a scalar
// subquery has one column.
func (p *plan) run(ctx context.Context, tx *sql.Tx, sel ifaces, byIface bool) (map[[2]int64]usage.Totals, error) {
	out := map[[2]int64]usage.Totals{}
	if len(sel.ids) == 0 {
		return out, nil
	}
	if byIface {
		return out, p.runByIface(ctx, tx, sel, out)
	}
	var (
		parts []string
		args  []any
		keys  [][]int64 // per part, per range: its key
		n     int       // ranges in the pending statement
	)
	run := func() error {
		if len(parts) == 0 {
			return nil
		}
		rows, err := tx.QueryContext(ctx, strings.Join(parts, " UNION ALL "), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var part, idx int
			var sums string
			if err := rows.Scan(&part, &idx, &sums); err != nil {
				return err
			}
			rx, txs, _ := strings.Cut(sums, " ")
			r, err1 := strconv.ParseInt(rx, 10, 64)
			t, err2 := strconv.ParseInt(txs, 10, 64)
			if err := errors.Join(err1, err2); err != nil || part >= len(keys) || idx >= len(keys[part]) {
				return fmt.Errorf("bad range sum %d/%d %q: %v", part, idx, sums, err)
			}
			if r != 0 || t != 0 {
				k := [2]int64{keys[part][idx], 0}
				out[k] = out[k].Add(usage.Totals{Rx: uint64(r), Tx: uint64(t)})
			}
		}
		parts, args, keys, n = parts[:0], args[:0], keys[:0], 0
		return rows.Err()
	}
	for i, tr := range tiers {
		for spans := p.spans[i]; len(spans) > 0; {
			chunk := spans[:min(len(spans), 3*planChunk)]
			spans = spans[len(chunk):]
			elems := make([]int64, 0, 2*len(chunk)/3) // lo, hi
			kk := make([]int64, 0, len(chunk)/3)
			for j := 0; j < len(chunk); j += 3 {
				elems = append(elems, chunk[j+1], chunk[j+2])
				kk = append(kk, chunk[j])
			}
			parts = append(parts, `SELECT `+strconv.Itoa(len(keys))+`, r.key,
				(SELECT printf('%d %d', coalesce(sum(rx), 0), coalesce(sum(tx), 0)) FROM `+tr.table+`
				 WHERE ts >= r.value ->> 0 AND ts < r.value ->> 1 AND `+sel.cond()+`)
				FROM json_each(?) r`)
			args = append(args, jsonRows(elems, 2))
			keys = append(keys, kk)
			if n += len(kk); n >= planChunk {
				if err := run(); err != nil {
					return nil, err
				}
			}
		}
	}
	if err := run(); err != nil {
		return nil, err
	}
	return out, nil
}

// runByIface sums a plan of few ranges (rangeTotals) per interface.
func (p *plan) runByIface(ctx context.Context, tx *sql.Tx, sel ifaces, out map[[2]int64]usage.Totals) error {
	for i, tr := range tiers {
		for j := 0; j < len(p.spans[i]); j += 3 {
			key, lo, hi := p.spans[i][j], p.spans[i][j+1], p.spans[i][j+2]
			rows, err := tx.QueryContext(ctx, `SELECT iface_id, sum(rx), sum(tx) FROM `+tr.table+`
				WHERE ts >= ? AND ts < ? AND `+sel.cond()+` GROUP BY iface_id`, lo, hi)
			if err != nil {
				return err
			}
			for rows.Next() {
				var id int64
				var t usage.Totals
				if err := scanTotals(rows, &id, &t); err != nil {
					rows.Close()
					return err
				}
				out[[2]int64{key, id}] = out[[2]int64{key, id}].Add(t)
			}
			if err := errors.Join(rows.Err(), rows.Close()); err != nil {
				return err
			}
		}
	}
	return nil
}

// peaksIn returns the highest peak in each range of spans (key, lo, hi
// triples), by key.
func peaksIn(ctx context.Context, tx *sql.Tx, spans []int64) (map[int64]uint64, error) {
	out := map[int64]uint64{}
	for len(spans) > 0 {
		chunk := spans[:min(len(spans), 3*planChunk)]
		spans = spans[len(chunk):]
		rows, err := tx.QueryContext(ctx, `SELECT r.value ->> 0,
			(SELECT max(bps) FROM peaks WHERE ts >= r.value ->> 1 AND ts < r.value ->> 2)
			FROM json_each(?) r`, jsonRows(chunk, 3)) // one row per range: no per-row JSON
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var k int64
			var v sql.NullInt64
			if err := rows.Scan(&k, &v); err != nil {
				rows.Close()
				return nil, err
			}
			out[k] = max(out[k], uint64(v.Int64))
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// zeroDays returns one zero entry per local day from..to inclusive, for
// the per-dimension day queries (networks, apps) to fill with addByDay.
func zeroDays(from, to usage.Date, loc *time.Location) ([]usage.DayTotals, error) {
	if loc == nil || from.After(to) {
		return nil, fmt.Errorf("%s..%s: bad range", from, to)
	}
	if n := from.DaysUntil(to) + 1; n > maxPoints {
		return nil, fmt.Errorf("%d days is too many", n)
	}
	out := make([]usage.DayTotals, 0, from.DaysUntil(to)+1)
	for d := from; !d.After(to); d = d.AddDays(1) {
		out = append(out, usage.DayTotals{Date: d})
	}
	return out, nil
}

// addByDay adds (sign > 0) or takes away (sign < 0, never below zero) rows
// of (bucket start, rx, tx) to the local days of out, which start at
// out[0].Date; buckets outside them are ignored. It closes rows.
func addByDay(rows *sql.Rows, out []usage.DayTotals, loc *time.Location, sign int) error {
	defer rows.Close()
	for rows.Next() {
		var ts, rx, tx int64
		if err := rows.Scan(&ts, &rx, &tx); err != nil {
			return err
		}
		i := out[0].Date.DaysUntil(usage.DateOf(time.Unix(ts, 0).In(loc)))
		if i < 0 || i >= len(out) {
			continue
		}
		t := &out[i].Totals
		if sign > 0 {
			t.Rx, t.Tx = t.Rx+uint64(rx), t.Tx+uint64(tx)
		} else {
			t.Rx, t.Tx = sub(t.Rx, uint64(rx)), sub(t.Tx, uint64(tx))
		}
	}
	return rows.Err()
}

// dayRanges returns the (index, start, end) triples of the local days from
// first to last in loc.
func dayRanges(first, last usage.Date, loc *time.Location) []int64 {
	var spans []int64
	start := first.Start(loc)
	for i, d := int64(0), first; !d.After(last); i, d = i+1, d.AddDays(1) {
		end := d.AddDays(1).Start(loc)
		spans = append(spans, i, unixCeil(start), unixCeil(end))
		start = end
	}
	return spans
}

// tsRange returns the first and last coarse bucket of ids. The daily rollup
// (a row per interface and UTC day) finds the first and last day, so
// interfaces that appeared late cost a short scan, not one through every
// older row of the others.
func tsRange(ctx context.Context, tx *sql.Tx, sel ifaces) (lo, hi int64, ok bool, err error) {
	if len(sel.ids) == 0 {
		return 0, 0, false, nil
	}
	in := sel.cond()
	var d0, d1 sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT
		(SELECT ts FROM daily WHERE `+in+` ORDER BY ts LIMIT 1),
		(SELECT ts FROM daily WHERE `+in+` ORDER BY ts DESC LIMIT 1)`).Scan(&d0, &d1); err != nil || !d0.Valid {
		return 0, 0, false, err
	}
	var a, b sql.NullInt64
	err = tx.QueryRowContext(ctx, `SELECT
		(SELECT ts FROM coarse WHERE ts >= ?1 AND ts < ?1 + 86400 AND `+in+` ORDER BY ts LIMIT 1),
		(SELECT ts FROM coarse WHERE ts >= ?2 AND ts < ?2 + 86400 AND `+in+` ORDER BY ts DESC LIMIT 1)`,
		d0.Int64, d1.Int64).Scan(&a, &b)
	if err != nil || !a.Valid || !b.Valid {
		return 0, 0, false, err
	}
	return a.Int64, b.Int64, true, nil
}
