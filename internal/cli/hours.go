package cli

import (
	"context"
	"flag"
	"fmt"
	"strconv"

	"github.com/packetbuddy/pb/internal/units"
	"github.com/packetbuddy/pb/internal/usage"
)

func (q *session) bytes(n uint64) string { return units.FormatBytesBase(n, q.base()) }

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
	day := usage.DateOf(q.now)
	if len(pos) == 1 {
		if day, err = parseDateArg("hours", "date", pos[0], day); err != nil {
			return err
		}
	}
	h, err := q.eng.Hours(ctx, day)
	if err != nil {
		return err
	}
	if qf.json {
		return q.emit(q.enc.Hours(h))
	}
	c := useColor(qf.color, env)
	date := h.Date.String()
	fmt.Fprintf(env.Stdout, "%s\n\n", paint(c, ansiBold, fmt.Sprintf("%s %s, %d hours (%s)", date, weekday(date), len(h.Hours), q.loc)))
	var top uint64
	seen := map[int]int{}
	for _, hr := range h.Hours {
		top = max(top, hr.Total())
		seen[hr.Start.In(q.loc).Hour()]++
	}
	t := newTable("Hour", "Download", "Upload", "Total", "").alignRight(1, 2, 3)
	t.barCol = 4
	for _, hr := range h.Hours {
		local := hr.Start.In(q.loc)
		label := fmt.Sprintf("%02d:00", local.Hour())
		if seen[local.Hour()] > 1 {
			label += " " + local.Format("-07:00") // the repeated hour: its offset
		}
		if hr.Total() == 0 {
			t.addStyled(ansiDim, label, "-", "-", "-", "")
			continue
		}
		t.add(label, q.bytes(hr.Rx), q.bytes(hr.Tx), q.bytes(hr.Total()), bar(hr.Total(), top, 30))
	}
	t.footer = []string{"Total", q.bytes(h.Totals.Rx), q.bytes(h.Totals.Tx), q.bytes(h.Totals.Total()), ""}
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
	days, err := q.eng.TopDays(ctx, q.now, n)
	if err != nil {
		return err
	}
	if qf.json {
		return q.emit(q.enc.Top(n, days))
	}
	c := useColor(qf.color, env)
	fmt.Fprintf(env.Stdout, "%s\n\n", paint(c, ansiBold, fmt.Sprintf("Top %s (%s)", plural(n, "day", "days"), q.loc)))
	if len(days) == 0 {
		fmt.Fprintln(env.Stdout, "Nothing recorded yet.")
		return nil
	}
	var top uint64
	for _, d := range days {
		top = max(top, d.Total())
	}
	t := newTable("#", "Date", "Download", "Upload", "Total", "").alignRight(0, 2, 3, 4)
	t.barCol = 5
	for i, d := range days {
		date := d.Date.String()
		t.add(strconv.Itoa(i+1), date+" "+weekday(date), q.bytes(d.Rx), q.bytes(d.Tx), q.bytes(d.Total()), bar(d.Total(), top, 24))
	}
	return t.write(env.Stdout, c)
}
