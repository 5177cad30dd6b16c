package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/packetbuddy/pb/internal/usage"
)

const interfacesHelp = `
List every interface ever seen: its kind, whether it counts in the total,
and its traffic today, this month and in its lifetime. -i keeps only the
named ones. --json prints what GET /api/interfaces answers.`

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
	var v map[string]json.RawMessage
	b, err := q.fetch("/api/interfaces", nil, &v)
	if err != nil {
		return err
	}
	type iface struct {
		Name     string    `json:"name"`
		MAC      string    `json:"mac"`
		Kind     string    `json:"kind"`
		Counted  bool      `json:"counted"`
		Active   bool      `json:"active"`
		Today    jsonUsage `json:"today"`
		Month    jsonUsage `json:"month"`
		Lifetime jsonUsage `json:"lifetime"`
	}
	var list []iface
	if err := json.Unmarshal(v["interfaces"], &list); err != nil {
		return fmt.Errorf("decode /api/interfaces: %w", err)
	}
	if len(qf.ifaces) > 0 {
		// Keep the API's shape, only the chosen rows.
		var raw []json.RawMessage
		_ = json.Unmarshal(v["interfaces"], &raw)
		var keepRaw []json.RawMessage
		var keep []iface
		for i, it := range list {
			if slices.Contains(qf.ifaces, it.Name) {
				keep = append(keep, it)
				keepRaw = append(keepRaw, raw[i])
			}
		}
		list = keep
		if keepRaw == nil {
			keepRaw = []json.RawMessage{}
		}
		v["interfaces"], _ = json.Marshal(keepRaw)
		if b, err = json.Marshal(v); err != nil {
			return err
		}
	}
	if qf.json {
		return q.printJSON(b)
	}
	c := useColor(qf.color, env)
	var month, tz string
	_ = json.Unmarshal(v["month"], &month)
	_ = json.Unmarshal(v["timezone"], &tz)
	fmt.Fprintf(env.Stdout, "%s\n\n", paint(c, ansiBold, fmt.Sprintf("Interfaces (%s)", tz)))
	t := newTable("Name", "Kind", "Counted", "Today", month, "Lifetime").alignRight(3, 4, 5)
	for _, it := range list {
		counted := "no"
		if it.Counted {
			counted = "yes"
		}
		style := ""
		if !it.Counted {
			style = ansiDim
		}
		t.addStyled(style, it.Name, it.Kind, counted, it.Today.HumanReadable.Total, it.Month.HumanReadable.Total, it.Lifetime.HumanReadable.Total)
	}
	return t.write(env.Stdout, c)
}

const eventsHelp = `
Show the event log, newest first: discarded spikes, counter resets and
wraps, restarts, reboots, gaps and new interfaces. By default the last 7
days; --from/--to choose others. --json prints what GET /api/events
answers.`

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
	var v struct {
		From     string `json:"from"`
		To       string `json:"to"`
		Timezone string `json:"timezone"`
		Events   []struct {
			Time      string `json:"time"`
			Kind      string `json:"kind"`
			Interface string `json:"interface"`
			Message   string `json:"message"`
		} `json:"events"`
	}
	if printed, err := q.load("/api/events", url.Values{"from": {f.String()}, "to": {t.String()}, "limit": {strconv.Itoa(o.limit)}}, &v); printed || err != nil {
		return err
	}
	c := useColor(o.color, env)
	fmt.Fprintf(env.Stdout, "%s\n\n", paint(c, ansiBold, fmt.Sprintf("Events %s to %s (%s)", v.From, v.To, v.Timezone)))
	if len(v.Events) == 0 {
		fmt.Fprintln(env.Stdout, "No events.")
		return nil
	}
	tb := newTable("Time", "Kind", "Iface", "Message")
	for _, e := range v.Events {
		tm := e.Time
		if len(tm) >= 16 {
			tm = tm[:10] + " " + tm[11:16]
		}
		lines := wrapText(e.Message, 78-16-2-9-2-8-2)
		tb.add(tm, e.Kind, e.Interface, lines[0])
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
