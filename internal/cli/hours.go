package cli

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"strconv"

	"github.com/packetbuddy/pb/internal/units"
	"github.com/packetbuddy/pb/internal/usage"
)

func (q *query) bytes(n uint64) string { return units.FormatBytesBase(n, q.base()) }

const hoursHelp = `
Show one local day (default today; DATE is YYYY-MM-DD, "today" or
"yesterday") hour by hour with a bar graph. A day on which the clocks change
has 23 or 25 hours; the repeated hour shows its UTC offset. --json prints
what GET /api/hours answers.`

// hoursFlags defines pb hours's flags.
func hoursFlags(env Env) (*flag.FlagSet, *queryFlags) {
	qf := new(queryFlags)
	return newFigureFlagSet("hours", env, qf), qf
}

func runHours(ctx context.Context, args []string, env Env) error {
	fs, qf := hoursFlags(env)
	pos, err := parseArgs(fs, args, "hours", 1)
	if err != nil {
		return err
	}
	q, err := openQuery(ctx, qf, env)
	if err != nil {
		return err
	}
	defer q.Close()
	params := url.Values{}
	if len(pos) == 1 {
		d, err := parseDateArg("hours", "date", pos[0], usage.DateOf(q.now))
		if err != nil {
			return err
		}
		params.Set("date", d.String())
	}
	var v struct {
		Date     string `json:"date"`
		Timezone string `json:"timezone"`
		Hours    []struct {
			Start string `json:"start"`
			Hour  int    `json:"hour"`
			jsonDay
		} `json:"hours"`
		Summary jsonUsage `json:"summary"`
	}
	if printed, err := q.load("/api/hours", params, &v); printed || err != nil {
		return err
	}
	c := useColor(qf.color, env)
	fmt.Fprintf(env.Stdout, "%s\n\n", paint(c, ansiBold, fmt.Sprintf("%s %s, %d hours (%s)", v.Date, weekday(v.Date), len(v.Hours), v.Timezone)))
	var top uint64
	seen := map[int]int{}
	for _, h := range v.Hours {
		top = max(top, h.TotalBytes)
		seen[h.Hour]++
	}
	t := newTable("Hour", "Download", "Upload", "Total", "").alignRight(1, 2, 3)
	t.barCol = 4
	for _, h := range v.Hours {
		label := fmt.Sprintf("%02d:00", h.Hour)
		if seen[h.Hour] > 1 && len(h.Start) >= 6 {
			label += " " + h.Start[len(h.Start)-6:] // the repeated hour: its offset
		}
		if h.TotalBytes == 0 {
			t.addStyled(ansiDim, label, "-", "-", "-", "")
			continue
		}
		t.add(label, q.bytes(h.BytesReceived), q.bytes(h.BytesSent), q.bytes(h.TotalBytes), bar(h.TotalBytes, top, 30))
	}
	s := v.Summary.HumanReadable
	t.footer = []string{"Total", s.Received, s.Sent, s.Total, ""}
	return t.write(env.Stdout, c)
}

const topHelp = `
Show the N busiest days ever (default 10), busiest first. --json prints
what GET /api/top answers.`

// topFlags defines pb top's flags.
func topFlags(env Env) (*flag.FlagSet, *queryFlags) {
	qf := new(queryFlags)
	return newFigureFlagSet("top", env, qf), qf
}

func runTop(ctx context.Context, args []string, env Env) error {
	fs, qf := topFlags(env)
	pos, err := parseArgs(fs, args, "top", 1)
	if err != nil {
		return err
	}
	n := 10
	if len(pos) == 1 {
		if n, err = strconv.Atoi(pos[0]); err != nil || n < 1 || n > 366 {
			return usagef("top", "N %q is not a number from 1 to 366", pos[0])
		}
	}
	q, err := openQuery(ctx, qf, env)
	if err != nil {
		return err
	}
	defer q.Close()
	var v struct {
		Limit    int       `json:"limit"`
		Timezone string    `json:"timezone"`
		Days     []jsonDay `json:"days"`
	}
	if printed, err := q.load("/api/top", url.Values{"limit": {strconv.Itoa(n)}}, &v); printed || err != nil {
		return err
	}
	c := useColor(qf.color, env)
	fmt.Fprintf(env.Stdout, "%s\n\n", paint(c, ansiBold, fmt.Sprintf("Top %s (%s)", plural(v.Limit, "day", "days"), v.Timezone)))
	if len(v.Days) == 0 {
		fmt.Fprintln(env.Stdout, "Nothing recorded yet.")
		return nil
	}
	var top uint64
	for _, d := range v.Days {
		top = max(top, d.TotalBytes)
	}
	t := newTable("#", "Date", "Download", "Upload", "Total", "").alignRight(0, 2, 3, 4)
	t.barCol = 5
	for i, d := range v.Days {
		t.add(strconv.Itoa(i+1), d.Date+" "+weekday(d.Date), q.bytes(d.BytesReceived), q.bytes(d.BytesSent), q.bytes(d.TotalBytes), bar(d.TotalBytes, top, 24))
	}
	return t.write(env.Stdout, c)
}
