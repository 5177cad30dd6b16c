package cli

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/packetbuddy/pb/internal/units"
	"github.com/packetbuddy/pb/internal/usage"
)

const todayHelp = `
Show today's traffic (the local day in the configured time zone): download,
upload, total, the peak speed and the cost. Reads the database directly, so
it works while the daemon is stopped (the last unflushed seconds are then
missing). --json prints what GET /api/today answers.`

// todayFlags defines pb today's flags.
func todayFlags(env Env) (*flag.FlagSet, *queryFlags) {
	qf := new(queryFlags)
	return newFigureFlagSet("today", env, qf), qf
}

func runToday(ctx context.Context, args []string, env Env) error {
	fs, qf := todayFlags(env)
	_, err := parseArgs(fs, args, "today", 0)
	if err != nil {
		return err
	}
	q, err := openQuery(ctx, qf, env)
	if err != nil {
		return err
	}
	defer q.Close()
	v, err := q.eng.Today(ctx, q.now)
	if err != nil {
		return err
	}
	if qf.json {
		return q.emit(q.enc.Today(v))
	}
	c := useColor(qf.color, env)
	fmt.Fprintf(env.Stdout, "%s\n\n", paint(c, ansiBold, "Today, "+v.Date.String()+" ("+q.loc.String()+")"))
	return usageLines(q, c, v.Totals, v.Peak)
}

// usageLines prints traffic, its peak speed and its cost as aligned lines.
func usageLines(q *session, c bool, t usage.Totals, peak uint64, extra ...[2]string) error {
	pairs := [][2]string{
		{"Download", q.bytes(t.Rx)},
		{"Upload", q.bytes(t.Tx)},
		{"Total", q.bytes(t.Total())},
	}
	if peak > 0 {
		pairs = append(pairs, [2]string{"Peak speed", units.FormatSpeedBase(peak, q.base())})
	}
	p := q.eng.Price()
	pairs = append(pairs, [2]string{"Cost", fmt.Sprintf("%s (%s per %s)", p.Format(p.Cost(t.Total())), p.Format(p.Rate), gbName(q.base()))})
	return kv(q.env.Stdout, c, append(pairs, extra...)...)
}

const summaryHelp = `
Show lifetime totals: everything recorded since the first day, with the
peak speed and the cost. Retention never reduces them. --json prints what
GET /api/summary answers.`

// summaryFlags defines pb summary's flags.
func summaryFlags(env Env) (*flag.FlagSet, *queryFlags) {
	qf := new(queryFlags)
	return newFigureFlagSet("summary", env, qf), qf
}

func runSummary(ctx context.Context, args []string, env Env) error {
	fs, qf := summaryFlags(env)
	_, err := parseArgs(fs, args, "summary", 0)
	if err != nil {
		return err
	}
	q, err := openQuery(ctx, qf, env)
	if err != nil {
		return err
	}
	defer q.Close()
	l, err := q.eng.Lifetime(ctx, q.now)
	if err != nil {
		return err
	}
	if qf.json {
		return q.emit(q.enc.Summary(l))
	}
	c := useColor(qf.color, env)
	days := l.DaysTracked()
	title := "Lifetime: nothing recorded yet"
	if days > 0 {
		title = fmt.Sprintf("Lifetime, %s to %s (%s)", l.First, l.Last, plural(days, "day", "days"))
	}
	fmt.Fprintf(env.Stdout, "%s\n\n", paint(c, ansiBold, title))
	var extra [][2]string
	if days > 0 {
		extra = append(extra, [2]string{"Daily average", q.bytes(l.Totals.Total() / uint64(days))})
	}
	if !l.PeakAt.IsZero() {
		extra = append(extra, [2]string{"Peak at", l.PeakAt.In(q.loc).Format(time.RFC3339)})
	}
	return usageLines(q, c, l.Totals, l.Peak, extra...)
}
