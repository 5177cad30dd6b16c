package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/packetbuddy/pb/internal/query"
)

const trendsHelp = `
Compare the use with its own past: this month so far against last month to
the same day and time, this week so far against the same part of the last 8
weeks on average, this year against last year; the average of each weekday
(last 8 weeks) and hour of the day (last 28 days), over the time pb counted
only; each interface's month; and the unusual hours and days of the last 7
days. A comparison with time before pb was installed says "not counted".
-i NAME shows one interface. --json prints what GET /api/trends answers
(with one -i NAME: GET /api/trends?interface=NAME).`

// trendsFlags defines pb trends's flags.
func trendsFlags(env Env) (*flag.FlagSet, *queryFlags) {
	qf := new(queryFlags)
	return newFigureFlagSet("trends", env, qf), qf
}

func runTrends(ctx context.Context, args []string, env Env) error {
	fs, qf := trendsFlags(env)
	if _, err := parseArgs(fs, args, "trends", 0); err != nil {
		return err
	}
	q, err := openQuery(ctx, qf, env)
	if err != nil {
		return err
	}
	defer q.Close()
	iface := ""
	if len(qf.ifaces) == 1 {
		iface = qf.ifaces[0]
	}
	t, err := q.eng.Trends(ctx, q.now, iface)
	if errors.Is(err, query.ErrUnknownInterface) {
		return usagef("trends", "no interface named %q in the database yet (pb interfaces lists them)", iface)
	}
	if err != nil {
		return err
	}
	if qf.json {
		return q.emit(q.enc.Trends(t))
	}
	c := useColor(qf.color, env)
	w := env.Stdout
	title := "Trends"
	if iface != "" {
		title += " of " + iface
	}
	fmt.Fprintf(w, "%s\n\n", paint(c, ansiBold, fmt.Sprintf("%s, %s (%s)", title, q.now.Format("2006-01-02 15:04"), q.loc)))

	cmp := newTable("", "So far", "Before", "Change", "Compared with").alignRight(1, 2, 3)
	for _, r := range []struct {
		name string
		c    query.Comparison
		with string
	}{
		{"This month", t.Month, "last month to the same day"},
		{"This week", t.Week, fmt.Sprintf("the average of %s", plural(t.Week.Samples, "week", "weeks"))},
		{"This year", t.Year, "last year to the same day"},
	} {
		cmp.add(r.name, q.bytes(r.c.Current.Total()), q.bytes(r.c.Previous.Total()), changeText(r.c), r.with)
	}
	if err := cmp.write(w, c); err != nil {
		return err
	}

	fmt.Fprintf(w, "\n%s\n", paint(c, ansiBold, "Weekdays, average of the last 8 weeks"))
	var top uint64
	for _, p := range t.Weekdays {
		top = max(top, p.Average.Total())
	}
	wd := newTable("Day", "Average", "Days", "").alignRight(1, 2)
	wd.barCol = 3
	for i, p := range t.Weekdays {
		wd.add(time.Weekday((i+1)%7).String(), q.bytes(p.Average.Total()), fmt.Sprint(p.Samples), bar(p.Average.Total(), top, 40))
	}
	if err := wd.write(w, c); err != nil {
		return err
	}

	fmt.Fprintf(w, "\n%s\n", paint(c, ansiBold, "Hours of the day, average of the last 28 days"))
	top = 0
	for _, p := range t.Hours {
		top = max(top, p.Average.Total())
	}
	hr := newTable("Hour", "Average", "").alignRight(1)
	hr.barCol = 2
	for h, p := range t.Hours {
		hr.add(fmt.Sprintf("%02d:00", h), q.bytes(p.Average.Total()), bar(p.Average.Total(), top, 50))
	}
	if err := hr.write(w, c); err != nil {
		return err
	}

	if len(t.Interfaces) > 0 {
		fmt.Fprintf(w, "\n%s\n", paint(c, ansiBold, "Interfaces, this month against last month to the same day"))
		it := newTable("Interface", "So far", "Before", "Change").alignRight(1, 2, 3)
		for _, i := range t.Interfaces {
			name := i.Name
			if !i.Counted {
				name += " (not counted)"
			}
			it.add(name, q.bytes(i.Month.Current.Total()), q.bytes(i.Month.Previous.Total()), changeText(i.Month))
		}
		if err := it.write(w, c); err != nil {
			return err
		}
	}

	fmt.Fprintf(w, "\n%s\n", paint(c, ansiBold, "Unusual in the last 7 days"))
	if len(t.Unusual) == 0 {
		fmt.Fprintln(w, "Nothing unusual.")
		return nil
	}
	for _, a := range t.Unusual {
		for _, l := range wrapText(a.Message(q.loc, q.base()), 76) {
			fmt.Fprintln(w, "  "+l)
		}
	}
	return nil
}

// changeText is a comparison's change in percent, or why there is none.
func changeText(c query.Comparison) string {
	pct, ok := c.Change()
	switch {
	case ok:
		return fmt.Sprintf("%+.0f%%", pct)
	case !c.Counted:
		return "not counted"
	}
	return "-"
}
