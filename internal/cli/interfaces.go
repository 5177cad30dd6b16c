package cli

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"

	"github.com/packetbuddy/pb/internal/query"
	"github.com/packetbuddy/pb/internal/usage"
)

const interfacesHelp = `
List every interface ever seen: its kind, whether it counts in the total,
and its traffic today, this month and in its lifetime. -i keeps only the
named ones. With the daemon running, the interfaces it sees now are active,
with their speeds. --json prints what GET /api/interfaces answers.`

// interfacesFlags defines pb interfaces's flags.
func interfacesFlags(env Env) (*flag.FlagSet, *queryFlags) {
	qf := new(queryFlags)
	return newFigureFlagSet("interfaces", env, qf), qf
}

func runInterfaces(ctx context.Context, args []string, env Env) error {
	fs, qf := interfacesFlags(env)
	_, err := parseArgs(fs, args, "interfaces", 0)
	if err != nil {
		return err
	}
	q, err := openQuery(ctx, qf, env)
	if err != nil {
		return err
	}
	defer q.Close()
	ifs, err := q.eng.Interfaces(ctx, q.now, q.live)
	if err != nil {
		return err
	}
	if len(qf.ifaces) > 0 {
		ifs.List = slices.DeleteFunc(ifs.List, func(it query.Interface) bool { return !slices.Contains(qf.ifaces, it.Name) })
	}
	if qf.json {
		return q.emit(q.enc.Interfaces(ifs))
	}
	c := useColor(qf.color, env)
	fmt.Fprintf(env.Stdout, "%s\n\n", paint(c, ansiBold, fmt.Sprintf("Interfaces (%s)", q.loc)))
	t := newTable("Name", "Kind", "Counted", "Today", ifs.Month.String()[:7], "Lifetime").alignRight(3, 4, 5)
	for _, it := range ifs.List {
		counted := "no"
		if it.Counted {
			counted = "yes"
		}
		style := ""
		if !it.Counted {
			style = ansiDim
		}
		t.addStyled(style, it.Name, it.Kind, counted, q.bytes(it.Today.Total()), q.bytes(it.Month.Total()), q.bytes(it.Life.Total()))
	}
	return t.write(env.Stdout, c)
}

const eventsHelp = `
Show the event log, newest first: discarded spikes, counter resets and
wraps, restarts, reboots, gaps, new interfaces and unusual use. By default
the last 7 days; --from/--to choose others. --json prints what GET
/api/events answers.`

// eventsOpts are pb events' flags.
type eventsOpts struct {
	dateRangeOpts
	limit int
}

// eventsFlags defines pb events' flags.
func eventsFlags(env Env) (*flag.FlagSet, *eventsOpts) {
	o := new(eventsOpts)
	fs := newQueryFlagSet("events", env, &o.queryFlags)
	fs.StringVar(&o.from, "from", "", "first `date`, YYYY-MM-DD (default 6 days ago)")
	fs.StringVar(&o.to, "to", "", "last `date`, YYYY-MM-DD (default today)")
	fs.IntVar(&o.limit, "limit", 100, "at most `N` events")
	return fs, o
}

func runEvents(ctx context.Context, args []string, env Env) error {
	fs, o := eventsFlags(env)
	_, err := parseArgs(fs, args, "events", 0)
	if err != nil {
		return err
	}
	if o.limit < 1 || o.limit > 1000 {
		return usagef("events", "--limit %d: use 1 to 1000", o.limit)
	}
	q, err := openQuery(ctx, &o.queryFlags, env)
	if err != nil {
		return err
	}
	defer q.Close()
	today := usage.DateOf(q.now)
	f, t, err := dateRangeArgs("events", o.from, o.to, today.AddDays(-6), today, today)
	if err != nil {
		return err
	}
	evs, err := q.eng.Events(ctx, f, t, o.limit)
	if err != nil {
		return err
	}
	if o.json {
		return q.emit(q.enc.Events(f, t, evs))
	}
	c := useColor(o.color, env)
	fmt.Fprintf(env.Stdout, "%s\n\n", paint(c, ansiBold, fmt.Sprintf("Events %s to %s (%s)", f, t, q.loc)))
	if len(evs) == 0 {
		fmt.Fprintln(env.Stdout, "No events.")
		return nil
	}
	tb := newTable("Time", "Kind", "Iface", "Message")
	for _, e := range evs {
		tm := e.Time.In(q.loc).Format("2006-01-02 15:04")
		lines := wrapText(e.Message, 78-16-2-9-2-8-2)
		tb.add(tm, string(e.Kind), e.Iface, lines[0])
		for _, l := range lines[1:] {
			tb.add("", "", "", l)
		}
	}
	return tb.write(env.Stdout, c)
}

// wrapText breaks s into lines of at most width runes at spaces.
func wrapText(s string, width int) []string {
	var lines []string
	var cur string
	for _, w := range strings.Fields(s) {
		switch {
		case cur == "":
			cur = w
		case len([]rune(cur))+1+len([]rune(w)) <= width:
			cur += " " + w
		default:
			lines = append(lines, cur)
			cur = w
		}
	}
	return append(lines, cur)
}
