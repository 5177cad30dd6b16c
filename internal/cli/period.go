package cli

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"strconv"
	"time"

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
	params := url.Values{}
	if len(pos) == 1 {
		m := pos[0]
		if _, err := time.Parse("2006-01", m); err != nil || len(m) != 7 {
			return usagef("month", "month %q is not YYYY-MM, e.g. 2026-03", m)
		}
		params.Set("month", m)
	}
	q, err := openQuery(ctx, qf, env)
	if err != nil {
		return err
	}
	defer q.Close()
	return q.period("/api/month", params)
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
	return q.period("/api/range", url.Values{"from_date": {f.String()}, "to_date": {t.String()}})
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
	return q.period("/api/days", url.Values{"from": {f.String()}, "to": {t.String()}})
}

// period fetches a period endpoint and prints it (or its JSON).
func (q *query) period(path string, params url.Values) error {
	var v jsonPeriod
	if printed, err := q.load(path, params, &v); printed || err != nil {
		return err
	}
	c := useColor(q.flags.color, q.env)
	title := v.From + " to " + v.To
	if v.Month != "" {
		title = v.Month
	}
	fmt.Fprintf(q.env.Stdout, "%s\n\n", paint(c, ansiBold, title+" ("+v.Timezone+")"))
	var top uint64
	for _, d := range v.Days {
		top = max(top, d.TotalBytes)
	}
	t := newTable("Date", "Download", "Upload", "Total", "").alignRight(1, 2, 3)
	t.barCol = 4
	for _, d := range v.Days {
		if d.TotalBytes == 0 {
			t.addStyled(ansiDim, d.Date+" "+weekday(d.Date), "-", "-", "-", "")
			continue
		}
		t.add(d.Date+" "+weekday(d.Date), q.bytes(d.BytesReceived), q.bytes(d.BytesSent), q.bytes(d.TotalBytes), bar(d.TotalBytes, top, 28))
	}
	s := v.Summary.HumanReadable
	t.footer = []string{"Total", s.Received, s.Sent, s.Total, ""}
	if err := t.write(q.env.Stdout, c); err != nil {
		return err
	}
	if v.Summary.PeakSpeed > 0 {
		fmt.Fprintf(q.env.Stdout, "\nPeak speed %s\n", s.PeakSpeed)
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
