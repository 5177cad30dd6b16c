package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/packetbuddy/pb/internal/units"
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
	var v struct {
		jsonUsage
		Cost     jsonCost `json:"cost"`
		Date     string   `json:"date"`
		Timezone string   `json:"timezone"`
	}
	if printed, err := q.load("/api/today", nil, &v); printed || err != nil {
		return err
	}
	c := useColor(qf.color, env)
	fmt.Fprintf(env.Stdout, "%s\n\n", paint(c, ansiBold, "Today, "+v.Date+" ("+v.Timezone+")"))
	return usageLines(q, c, v.jsonUsage, &v.Cost)
}

// usageLines prints a usage block (and its cost) as aligned lines.
func usageLines(q *query, c bool, u jsonUsage, cost *jsonCost, extra ...[2]string) error {
	pairs := [][2]string{
		{"Download", u.HumanReadable.Received},
		{"Upload", u.HumanReadable.Sent},
		{"Total", u.HumanReadable.Total},
	}
	if u.PeakSpeed > 0 {
		pairs = append(pairs, [2]string{"Peak speed", u.HumanReadable.PeakSpeed})
	}
	if cost != nil {
		pairs = append(pairs, [2]string{"Cost", fmt.Sprintf("%s (%s per %s)", cost.Total.CostFormatted, formatRate(cost), gbName(q.base()))})
	}
	return kv(q.env.Stdout, c, append(pairs, extra...)...)
}

func formatRate(c *jsonCost) string {
	if cur, ok := units.LookupCurrency(c.Currency); ok {
		return cur.Format(c.CostPerGB)
	}
	return fmt.Sprintf("%g %s", c.CostPerGB, c.Currency)
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
	var v struct {
		jsonUsage
		Cost        jsonCost `json:"cost"`
		FirstDate   string   `json:"first_date"`
		LastDate    string   `json:"last_date"`
		DaysTracked int      `json:"days_tracked"`
		PeakTime    string   `json:"peak_time"`
		Timezone    string   `json:"timezone"`
	}
	if printed, err := q.load("/api/summary", nil, &v); printed || err != nil {
		return err
	}
	c := useColor(qf.color, env)
	title := "Lifetime: nothing recorded yet"
	if v.DaysTracked > 0 {
		title = fmt.Sprintf("Lifetime, %s to %s (%s)", v.FirstDate, v.LastDate, plural(v.DaysTracked, "day", "days"))
	}
	fmt.Fprintf(env.Stdout, "%s\n\n", paint(c, ansiBold, title))
	var extra [][2]string
	if v.DaysTracked > 0 {
		extra = append(extra, [2]string{"Daily average", q.bytes(v.TotalBytes / uint64(v.DaysTracked))})
	}
	if v.PeakTime != "" {
		extra = append(extra, [2]string{"Peak at", v.PeakTime})
	}
	return usageLines(q, c, v.jsonUsage, &v.Cost, extra...)
}
