package cli

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"time"

	"github.com/packetbuddy/pb/internal/query"
	"github.com/packetbuddy/pb/internal/units"
	"github.com/packetbuddy/pb/internal/usage"
)

// Commands over a run of days: month, range, days. Each prints one row per
// day with a bar, and the total.

const monthHelp = `
Show a calendar month day by day (default: the current local month, up to
today). MONTH is YYYY-MM. --json prints what GET /api/month answers.`

// monthFlags defines pb month's flags.
func monthFlags(env Env) (*flag.FlagSet, *queryFlags) {
	qf := new(queryFlags)
	return newFigureFlagSet("month", env, qf), qf
}

func runMonth(ctx context.Context, args []string, env Env) error {
	fs, qf := monthFlags(env)
	pos, err := parseArgs(fs, args, "month", 1)
	if err != nil {
		return err
	}
	var first usage.Date
	if len(pos) == 1 {
		m := pos[0]
		t, err := time.Parse("2006-01", m)
		if err != nil || len(m) != 7 || t.Year() < 1970 || t.Year() > 2199 {
			return usagef("month", "month %q is not YYYY-MM from 1970-01 to 2199-12, e.g. 2026-03", m)
		}
		first = usage.Date{Year: t.Year(), Month: t.Month(), Day: 1}
	}
	q, err := openQuery(ctx, qf, env)
	if err != nil {
		return err
	}
	defer q.Close()
	if first.IsZero() {
		today := usage.DateOf(q.now)
		first = usage.Date{Year: today.Year, Month: today.Month, Day: 1}
	}
	m, err := q.eng.Month(ctx, q.now, first)
	if err != nil {
		return err
	}
	if qf.json {
		return q.emit(q.enc.Month(m))
	}
	return q.period(m.First.String()[:7], m.Period)
}

const rangeHelp = `
Show the days from --from to --to inclusive (YYYY-MM-DD, "today" or
"yesterday"), day by day. --json prints what GET /api/range answers.`

// dateRangeOpts are the query flags with --from and --to.
type dateRangeOpts struct {
	queryFlags
	from, to string
}

// rangeFlags defines pb range's flags.
func rangeFlags(env Env) (*flag.FlagSet, *dateRangeOpts) {
	o := new(dateRangeOpts)
	fs := newFigureFlagSet("range", env, &o.queryFlags)
	fs.StringVar(&o.from, "from", "", "first `date`, YYYY-MM-DD (required)")
	fs.StringVar(&o.to, "to", "", "last `date`, YYYY-MM-DD (default today)")
	return fs, o
}

func runRange(ctx context.Context, args []string, env Env) error {
	fs, o := rangeFlags(env)
	_, err := parseArgs(fs, args, "range", 0)
	if err != nil {
		return err
	}
	if o.from == "" {
		return usagef("range", "--from is required: give the first day as YYYY-MM-DD")
	}
	today := usage.DateOf(env.now())
	f, t, err := dateRangeArgs("range", o.from, o.to, today, today, today)
	if err != nil {
		return err
	}
	q, err := openQuery(ctx, &o.queryFlags, env)
	if err != nil {
		return err
	}
	defer q.Close()
	return q.days(ctx, f, t)
}

const daysHelp = `
Show the last N days (default 30) up to today, day by day, or the days
from --from to --to. --json prints what GET /api/days answers.`

// daysFlags defines pb days' flags.
func daysFlags(env Env) (*flag.FlagSet, *dateRangeOpts) {
	o := new(dateRangeOpts)
	fs := newFigureFlagSet("days", env, &o.queryFlags)
	fs.StringVar(&o.from, "from", "", "first `date`, YYYY-MM-DD")
	fs.StringVar(&o.to, "to", "", "last `date`, YYYY-MM-DD (default today)")
	return fs, o
}

func runDays(ctx context.Context, args []string, env Env) error {
	fs, o := daysFlags(env)
	pos, err := parseArgs(fs, args, "days", 1)
	if err != nil {
		return err
	}
	n := 30
	if len(pos) == 1 {
		if n, err = strconv.Atoi(pos[0]); err != nil || n < 1 || n > 3660 {
			return usagef("days", "N %q is not a number of days from 1 to 3660", pos[0])
		}
		if o.from != "" {
			return usagef("days", "give either N or --from, not both")
		}
	}
	q, err := openQuery(ctx, &o.queryFlags, env)
	if err != nil {
		return err
	}
	defer q.Close()
	today := usage.DateOf(q.now)
	f, t, err := dateRangeArgs("days", o.from, o.to, today.AddDays(-(n - 1)), today, today)
	if err != nil {
		return err
	}
	if o.from == "" && o.to != "" {
		f = t.AddDays(-(n - 1))
	}
	return q.days(ctx, f, t)
}

// maxRangeDays bounds a range, as the API does.
const maxRangeDays = 3660

// days prints the days from..to (or their JSON).
func (q *session) days(ctx context.Context, from, to usage.Date) error {
	if n := from.DaysUntil(to) + 1; n > maxRangeDays {
		return usagef("", "the range %s to %s has %d days; at most %d days can be asked for at once", from, to, n, maxRangeDays)
	}
	p, err := q.eng.Range(ctx, q.now, from, to)
	if err != nil {
		return err
	}
	if q.flags.json {
		return q.emit(q.enc.Period(p))
	}
	return q.period(p.From.String()+" to "+p.To.String(), p)
}

// period prints a run of days under a title.
func (q *session) period(title string, p query.Period) error {
	c := useColor(q.flags.color, q.env)
	fmt.Fprintf(q.env.Stdout, "%s\n\n", paint(c, ansiBold, title+" ("+q.loc.String()+")"))
	var top uint64
	for _, d := range p.Days {
		top = max(top, d.Total())
	}
	t := newTable("Date", "Download", "Upload", "Total", "").alignRight(1, 2, 3)
	t.barCol = 4
	for _, d := range p.Days {
		date := d.Date.String()
		if d.Total() == 0 {
			t.addStyled(ansiDim, date+" "+weekday(date), "-", "-", "-", "")
			continue
		}
		t.add(date+" "+weekday(date), q.bytes(d.Rx), q.bytes(d.Tx), q.bytes(d.Total()), bar(d.Total(), top, 28))
	}
	t.footer = []string{"Total", q.bytes(p.Totals.Rx), q.bytes(p.Totals.Tx), q.bytes(p.Totals.Total()), ""}
	if err := t.write(q.env.Stdout, c); err != nil {
		return err
	}
	if p.Peak > 0 {
		fmt.Fprintf(q.env.Stdout, "\nPeak speed %s\n", units.FormatSpeedBase(p.Peak, q.base()))
	}
	return nil
}

func weekday(date string) string {
	t, err := time.Parse("2006-01-02", date)
	if err != nil {
		return ""
	}
	return t.Weekday().String()[:3]
}
