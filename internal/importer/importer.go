// Package importer brings history from other tools into a PacketBuddy store:
// the Python PacketBuddy 1.x (packetbuddy.db) and vnStat 2.x (vnstat.db).
//
// # Precision
//
// The finest data each source has is used, and coarser data only for what
// the finer data does not cover:
//
//   - PacketBuddy 1.x: usage_logs (one row per second with traffic, kept
//     7–30 days, naive local timestamps) go to their minute; for each day of
//     daily_aggregates, what the logs of that day do not account for is
//     placed at local midnight of that day. What a month of
//     monthly_aggregates holds beyond its days is kept as a period total of
//     that month (store.AddPeriods): it is in month, year and lifetime
//     views, never in a day. The old version had no per-interface numbers;
//     every device of the database (1.x synced several into one) goes to an
//     interface of its own, "packetbuddy-v1" for this machine's and
//     "packetbuddy-v1@<host>" for the others. Peak speeds come from the
//     logs (a row is one second) and daily_aggregates.peak_speed, of
//     this machine's device only (the peaks table has no interface), and
//     only where Apply takes the traffic.
//   - vnStat 2.x: fiveminute rows go to the first minute of their five;
//     hour rows not covered by them are spread over the hour's four quarter
//     hours; then day rows the same way as above (the remainder at local
//     midnight of the day), and month and year rows as period totals of
//     what their days (months) do not account for. vnStat writes local time
//     unless UseUTC is set; dates are read in the configured time zone.
//
// Day, month and year totals are therefore exact; how an aggregate's bytes
// spread over the hours of its day is not known and is not invented, and a
// month or year known only as a whole is never made a day.
//
// # Running twice
//
// Nothing is counted twice: a piece of imported traffic is skipped when the
// store already has traffic (PacketBuddy's own, or an earlier import) in
// the span it covers: its 15-minute bucket for logs and five-minute rows,
// its hour, day, month or year for aggregates (a stored period total
// overlapping a month or year covers it too). Another 1.x device's traffic
// is only checked against its own interfaces (the store records which 1.x
// device each imported interface holds), this machine's against all but
// the other devices' (Apply). A copy without the device_id file finds
// this machine's device by that record (Claim). A second run of the same
// import therefore adds nothing, and an import over days the daemon already
// recorded keeps the daemon's numbers.
//
// # Writers
//
// The import writes the store directly. pb import refuses to run while the
// daemon answers on its API: SQLite (WAL, busy_timeout) would let both
// write, but the coverage check above and the daemon's caches assume one
// writer (DESIGN.md: "only the daemon writes the database").
package importer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	_ "github.com/packetbuddy/pb/internal/sqlite" // the "sqlite" driver, for the files it reads
	"github.com/packetbuddy/pb/internal/usage"
)

// Sources.
const (
	PacketBuddy = "packetbuddy"
	VnStat      = "vnstat"
)

// ImportedIface is the interface the Python version's traffic goes to.
const ImportedIface = "packetbuddy-v1"

// piece is imported traffic of one interface placed in one minute bucket,
// with the span it stands for (to check coverage).
type piece struct {
	iface    string
	bucket   time.Time // UTC, minute-aligned
	from, to time.Time // the span it accounts for
	t        usage.Totals
	level    string
	// period is "" for traffic placed in a bucket, or usage.PeriodMonth or
	// PeriodYear for a total known only as the whole of [from, to).
	period string
}

// ifacePeak is a peak speed of one imported interface.
type ifacePeak struct {
	iface string
	usage.Peak
}

// History is what a source holds, read and checked, before any write.
type History struct {
	Source   string
	Path     string
	DeviceID string // the old device id of this machine (PacketBuddy only)
	Ifaces   []string
	// Devices are the devices of a PacketBuddy 1.x database, each with
	// the interface its traffic goes to.
	Devices []Device
	pieces  []piece
	peaks   []ifacePeak
}

// Select keeps only the device id's history (PacketBuddy only).
func (h *History) Select(id string) error {
	i := slices.IndexFunc(h.Devices, func(d Device) bool { return d.ID == id })
	if i < 0 {
		ids := make([]string, len(h.Devices))
		for j, d := range h.Devices {
			ids[j] = d.ID
		}
		return fmt.Errorf("%s has no device %q; its devices are: %s", h.Path, id, strings.Join(ids, ", "))
	}
	d := h.Devices[i]
	h.Devices, h.Ifaces = []Device{d}, []string{d.Iface}
	h.pieces = slices.DeleteFunc(h.pieces, func(p piece) bool { return p.iface != d.Iface })
	h.peaks = slices.DeleteFunc(h.peaks, func(p ifacePeak) bool { return p.iface != d.Iface })
	if !d.Local {
		h.DeviceID = ""
	}
	return nil
}

// DeviceSummary is what a source holds for one device (PacketBuddy) or
// interface (vnStat).
type DeviceSummary struct {
	Device
	Summary
}

// Summaries summarizes the history per device (PacketBuddy) or per
// interface (vnStat), in the source's order.
func (h *History) Summaries(loc *time.Location) []DeviceSummary {
	devs := h.Devices
	if len(devs) == 0 {
		for _, n := range h.Ifaces {
			devs = append(devs, Device{Iface: n})
		}
	}
	out := make([]DeviceSummary, 0, len(devs))
	for _, d := range devs {
		var ps []piece
		for _, p := range h.pieces {
			if p.iface == d.Iface {
				ps = append(ps, p)
			}
		}
		out = append(out, DeviceSummary{Device: d, Summary: summarize(ps, loc)})
	}
	return out
}

// ErrForeign means the file is SQLite but not the expected tool's database.
var ErrForeign = errors.New("not the expected database")

// Read reads the history of src ("packetbuddy" or "vnstat") at path, with
// local times in loc. It only reads; any problem (not SQLite, corrupt,
// another tool's database) is an error and nothing is returned.
func Read(ctx context.Context, src, path string, loc *time.Location) (*History, error) {
	if err := checkSQLiteHeader(path); err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=query_only(1)&_pragma=busy_timeout(5000)")
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer db.Close()
	var quick string
	if err := db.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&quick); err != nil || quick != "ok" {
		if err == nil {
			err = errors.New(quick)
		}
		return nil, fmt.Errorf("%s is damaged (%v): nothing imported", path, oneLine(err))
	}
	h := &History{Source: src, Path: path}
	switch src {
	case PacketBuddy:
		err = readPacketBuddy(ctx, db, path, loc, h)
	case VnStat:
		err = readVnStat(ctx, db, path, loc, h)
	default:
		return nil, fmt.Errorf("unknown source %q: use packetbuddy or vnstat", src)
	}
	if err != nil {
		return nil, err
	}
	return h, nil
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

func checkSQLiteHeader(path string) error {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("no file at %s: give the path of the database to import", path)
		}
		return err
	}
	defer f.Close()
	hdr := make([]byte, 16)
	if _, err := io.ReadFull(f, hdr); err != nil || string(hdr) != "SQLite format 3\x00" {
		return fmt.Errorf("%s is not a SQLite database: nothing imported", path)
	}
	return nil
}

// requireTables checks that every table exists, else the file is foreign.
func requireTables(ctx context.Context, db *sql.DB, path, what string, tables ...string) error {
	for _, t := range tables {
		var n int
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", t).Scan(&n); err != nil {
			return fmt.Errorf("%s is damaged (%s): nothing imported", path, oneLine(err))
		}
		if n == 0 {
			return fmt.Errorf("%s is not a %s database (it has no %s table): %w", path, what, t, ErrForeign)
		}
	}
	return nil
}

// parseLocal parses a naive local timestamp ("2026-03-01 10:00:00",
// optional fraction, "T" separator, or a bare date).
func parseLocal(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("timestamp %q is not YYYY-MM-DD[ HH:MM:SS]", s)
}

// level is one granularity of a source: rows with a start and an end.
type levelRow struct {
	iface    string
	from, to time.Time
	t        usage.Totals
}

// addLevel adds rows of a coarser level: each contributes what the pieces
// already taken within its span do not account for (the remainder), placed
// by place.
func addLevel(h *History, level string, rows []levelRow, place func(r levelRow, t usage.Totals) []piece) {
	// Index the pieces so far by interface.
	type acc struct {
		at []time.Time
		t  []usage.Totals
	}
	by := map[string]*acc{}
	sort.SliceStable(h.pieces, func(i, j int) bool { return h.pieces[i].from.Before(h.pieces[j].from) })
	for _, p := range h.pieces {
		a := by[p.iface]
		if a == nil {
			a = &acc{}
			by[p.iface] = a
		}
		a.at = append(a.at, p.from)
		a.t = append(a.t, p.t)
	}
	var add []piece
	for _, r := range rows {
		var have usage.Totals
		if a := by[r.iface]; a != nil {
			i := sort.Search(len(a.at), func(i int) bool { return !a.at[i].Before(r.from) })
			for ; i < len(a.at) && a.at[i].Before(r.to); i++ {
				have = have.Add(a.t[i])
			}
		}
		rest := usage.Totals{}
		if r.t.Rx > have.Rx {
			rest.Rx = r.t.Rx - have.Rx
		}
		if r.t.Tx > have.Tx {
			rest.Tx = r.t.Tx - have.Tx
		}
		if rest == (usage.Totals{}) {
			continue
		}
		for _, p := range place(r, rest) {
			p.level = level
			add = append(add, p)
		}
	}
	h.pieces = append(h.pieces, add...)
}

// asPeriod keeps a row's remainder as a total of the whole period: it has no
// day to land on.
func asPeriod(kind string) func(r levelRow, t usage.Totals) []piece {
	return func(r levelRow, t usage.Totals) []piece {
		return []piece{{iface: r.iface, from: r.from, to: r.to, t: t, period: kind}}
	}
}

// atStart places all of t at the start of the row's span.
func atStart(r levelRow, t usage.Totals) []piece {
	return []piece{{iface: r.iface, bucket: r.from.UTC().Truncate(time.Minute), from: r.from, to: r.to, t: t}}
}

// Summary describes a History: what an import would take.
type Summary struct {
	First, Last usage.Date
	Days        int          // days with traffic; period totals have none
	Totals      usage.Totals // everything, period totals included
	Periods     int          // month and year totals known only as a whole
	PeriodTotal usage.Totals // their traffic, part of Totals
}

func summarize(pieces []piece, loc *time.Location) Summary {
	var s Summary
	days := map[usage.Date]bool{}
	for _, p := range pieces {
		d := usage.DateOf(p.from.In(loc))
		s.Totals = s.Totals.Add(p.t)
		if p.period != "" {
			s.Periods++
			s.PeriodTotal = s.PeriodTotal.Add(p.t)
			if e := usage.DateOf(p.to.Add(-time.Second).In(loc)); e.After(s.Last) {
				s.Last = e
			}
		} else {
			days[d] = true
		}
		if s.First.IsZero() || d.Before(s.First) {
			s.First = d
		}
		if d.After(s.Last) {
			s.Last = d
		}
	}
	s.Days = len(days)
	return s
}

// Summary of everything the source holds.
func (h *History) Summary(loc *time.Location) Summary { return summarize(h.pieces, loc) }
