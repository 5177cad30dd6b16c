package cli

import (
	"context"
	"flag"
	"fmt"
	"strconv"

	"github.com/packetbuddy/pb/internal/usage"
)

const appsHelp = `
Show traffic per application, largest first: today (the default), this
month ("pb apps month"), or the days from --from to --to. "unattributed"
is the traffic no process is known for, so the apps add up to the
interfaces' total. Per-app counting is Linux only and needs [apps]
enabled = true in pb serve's configuration. --json prints what
GET /api/apps answers.`

// appsFlags defines pb apps's flags.
func appsFlags(env Env) (*flag.FlagSet, *appsOpts) {
	o := new(appsOpts)
	fs := newFigureFlagSet("apps", env, &o.queryFlags)
	dayFlags(fs, &o.dateRangeOpts)
	return fs, o
}

type appsOpts struct{ dateRangeOpts }

// dayFlags adds --from and --to.
func dayFlags(fs *flag.FlagSet, o *dateRangeOpts) {
	fs.StringVar(&o.from, "from", "", "first `date`, YYYY-MM-DD")
	fs.StringVar(&o.to, "to", "", "last `date`, YYYY-MM-DD (default today)")
}

// todayOrMonth reads the days of a per-dimension listing: today (the
// default), "month" (this month so far) or --from/--to. others lists the
// command's other actions for the error message.
func todayOrMonth(cmd string, pos []string, o *dateRangeOpts, env Env, others string) (usage.Date, usage.Date, error) {
	today := usage.DateOf(env.now())
	from := today
	if len(pos) == 1 {
		switch pos[0] {
		case "today":
		case "month":
			from = usage.Date{Year: today.Year, Month: today.Month, Day: 1}
		default:
			if others != "" {
				return from, today, usagef(cmd, "%q is not today, month%s%s", pos[0], others, actionHint(cmd, pos[0]))
			}
			return from, today, usagef(cmd, "%q is not today or month (use --from and --to for other days)", pos[0])
		}
		if o.from != "" || o.to != "" {
			return from, today, usagef(cmd, "give %s or --from/--to, not both", pos[0])
		}
	}
	return dateRangeArgs(cmd, o.from, o.to, from, today, today)
}

func runApps(ctx context.Context, args []string, env Env) error {
	fs, o := appsFlags(env)
	pos, err := parseArgs(fs, args, "apps", 1)
	if err != nil {
		return err
	}
	f, t, err := todayOrMonth("apps", pos, &o.dateRangeOpts, env, "")
	if err != nil {
		return err
	}
	q, err := openQuery(ctx, &o.queryFlags, env)
	if err != nil {
		return err
	}
	defer q.Close()
	a, err := q.eng.Apps(ctx, f, t, usage.Filter{Ifaces: o.ifaces})
	if err != nil {
		return err
	}
	if o.json {
		return q.emit(q.enc.Apps(a, o.ifaces, ""))
	}
	c := useColor(o.color, env)
	span := f.String()
	if t != f {
		span += " to " + t.String()
	}
	fmt.Fprintf(env.Stdout, "%s\n\n", paint(c, ansiBold, fmt.Sprintf("Apps, %s (%s)", span, q.loc)))
	if len(a.Apps) == 0 {
		fmt.Fprintln(env.Stdout, "No per-app traffic recorded (pb serve counts it with [apps] enabled = true, on Linux).")
		return nil
	}
	t2 := newTable("#", "App", "Download", "Upload", "Total").alignRight(0, 2, 3, 4)
	for i, x := range a.Apps {
		t2.add(strconv.Itoa(i+1), appLabel(x.App), q.bytes(x.Rx), q.bytes(x.Tx), q.bytes(x.Total()))
	}
	t2.add("", "Total", q.bytes(a.Total.Rx), q.bytes(a.Total.Tx), q.bytes(a.Total.Total()))
	return t2.write(env.Stdout, c)
}

// appLabel is an app as one table cell: its name with the service or
// package it runs in, cut to 36 characters (--json has the executable).
func appLabel(a usage.App) string {
	s := a.Name
	switch {
	case a.Package != "":
		s += " (" + a.Package + ")"
	case a.Unit != "":
		s += " (" + a.Unit + ")"
	}
	if r := []rune(s); len(r) > 36 {
		s = string(r[:35]) + "…"
	}
	return s
}
