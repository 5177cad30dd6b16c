package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/packetbuddy/pb/internal/units"
)

const planHelp = `
Show each data plan of the config ([[plan]] tables): the cycle, what is
used and what remains, the safe daily budget, the forecast for the end of
the cycle with the day the cap will be reached, and the cost. Reads the
database directly, so it works while the daemon is stopped. --json prints
what GET /api/plans answers (with the latest alerts).

A plan is written in the config file, for example:

  [[plan]]
  name = "Home fibre"
  cap = "1TB"
  reset_day = 15

"pb config init" writes a template with every plan setting explained.`

const checkHelp = `
Check the data plans for scripts and cron: one line per plan, and an exit
code that says how the worst plan stands:

  0  every plan is under its alert thresholds
  3  a plan reached an alert threshold (default 50, 80, 90 and 100 %)
  4  a plan is at or over its cap
  1  the check itself failed (no database, bad config)

--over N checks against N % of each cap instead of the plans' thresholds
(exit 3 from N %, 4 at the cap); --forecast also exits 3 when a plan is on
track to pass its cap this cycle. --quiet prints only problems. --json
prints what GET /api/plans answers (every plan) instead of the lines; the
exit code is the same.

Example (crontab): 0 * * * * pb check --over 90 --quiet || notify-me`

// Exit codes of pb check.
const (
	exitPlanThreshold = 3 // a plan reached an alert threshold
	exitPlanOverCap   = 4 // a plan is at or over its cap
)

// exitCodeError ends a command with a given exit code; its message, if
// any, is printed like other errors.
type exitCodeError struct {
	code int
	msg  string
}

func (e *exitCodeError) Error() string { return e.msg }

// jsonPlan is the part of /api/plans the terminal output uses.
type jsonPlan struct {
	Name       string   `json:"name"`
	Active     bool     `json:"active"`
	Interfaces []string `json:"interfaces"`
	Counts     string   `json:"counts"`
	Cycle      struct {
		Kind      string `json:"kind"`
		ResetDay  int    `json:"reset_day"`
		EveryDays int    `json:"every_days"`
		Start     string `json:"start"`
		Expires   string `json:"expires"`
	} `json:"cycle"`
	CycleStart    string  `json:"cycle_start"`
	CycleLastDay  string  `json:"cycle_last_day"`
	WholeDaysLeft int     `json:"whole_days_left"`
	UsedBytes     uint64  `json:"used_bytes"`
	CapBytes      uint64  `json:"cap_bytes"`
	Percent       float64 `json:"percent"`
	Forecast      uint64  `json:"forecast_bytes"`
	ForecastPct   float64 `json:"forecast_percent"`
	CapDate       *string `json:"cap_date"`
	OverThreshold int     `json:"over_threshold"`
	Currency      string  `json:"currency"`
	CostFormatted string  `json:"cost_formatted"`
	ForecastCostF string  `json:"forecast_cost_formatted"`
	HumanReadable struct {
		Used        string `json:"used"`
		Cap         string `json:"cap"`
		Remaining   string `json:"remaining"`
		DailyBudget string `json:"daily_budget"`
		Forecast    string `json:"forecast"`
	} `json:"human_readable"`
}

type jsonPlans struct {
	Timezone string     `json:"timezone"`
	Plans    []jsonPlan `json:"plans"`
}

// fetchPlans opens the database and reads /api/plans. The -i flag does not
// apply: each plan meters its own interfaces.
func fetchPlans(ctx context.Context, qf *queryFlags, env Env, cmd string) (*query, jsonPlans, []byte, error) {
	var v jsonPlans
	if len(qf.ifaces) > 0 {
		return nil, v, nil, usagef(cmd, "-i does not apply: each plan meters the interfaces of its own interfaces setting")
	}
	q, err := openQuery(ctx, qf, env)
	if err != nil {
		return nil, v, nil, err
	}
	b, err := q.fetch("/api/plans", nil, &v)
	if err != nil {
		q.Close()
		return nil, v, nil, err
	}
	return q, v, b, nil
}

func noPlans(q *query) error {
	return fmt.Errorf("no data plans are configured: add a [[plan]] table to %s (\"pb plan --help\" shows one)", configName(q))
}

func configName(q *query) string {
	if q.cfg.Path != "" {
		return q.cfg.Path
	}
	return "the config file (pb config path)"
}

// planFlags defines pb plan's flags.
func planFlags(env Env) (*flag.FlagSet, *queryFlags) {
	qf := new(queryFlags)
	return newFigureFlagSet("plan", env, qf), qf
}

func runPlan(ctx context.Context, args []string, env Env) error {
	fs, qf := planFlags(env)
	if _, err := parseArgs(fs, args, "plan", 0); err != nil {
		return err
	}
	q, v, b, err := fetchPlans(ctx, qf, env, "plan")
	if err != nil {
		return err
	}
	defer q.Close()
	if qf.json {
		return q.printJSON(b)
	}
	if len(v.Plans) == 0 {
		return noPlans(q)
	}
	c := useColor(qf.color, env)
	for i, p := range v.Plans {
		if i > 0 {
			fmt.Fprintln(env.Stdout)
		}
		if err := writePlan(env.Stdout, c, p, q.base()); err != nil {
			return err
		}
	}
	return nil
}

// writePlan prints one plan: a heading, a bar, then aligned lines.
func writePlan(w io.Writer, c bool, p jsonPlan, base units.Base) error {
	head := p.Name + "  (" + cycleText(p) + ")"
	fmt.Fprintln(w, paint(c, ansiBold, head))
	if !p.Active {
		return kv(w, c, [2]string{"Status", "not active today: " + inactiveText(p)})
	}
	var pairs [][2]string
	if p.CapBytes > 0 {
		style := ansiGreen
		switch {
		case p.UsedBytes >= p.CapBytes:
			style = ansiRed
		case p.OverThreshold > 0:
			style = ansiYellow
		}
		b := bar(min(p.UsedBytes, p.CapBytes), p.CapBytes, 30)
		b += strings.Repeat("·", 30-len([]rune(b)))
		fmt.Fprintf(w, "%s %s\n", paint(c, style, b), fmt.Sprintf("%.1f%%", p.Percent))
		left := p.HumanReadable.Remaining + ", about " + p.HumanReadable.DailyBudget + " a day"
		if p.UsedBytes >= p.CapBytes {
			left = "none: " + units.FormatBytesBase(p.UsedBytes-p.CapBytes, base) + " over the cap"
		}
		pairs = append(pairs,
			[2]string{"Used", p.HumanReadable.Used + " of " + p.HumanReadable.Cap},
			[2]string{"Remaining", left})
	} else {
		pairs = append(pairs, [2]string{"Used", p.HumanReadable.Used + " (no cap)"})
	}
	pairs = append(pairs, [2]string{"Cycle", fmt.Sprintf("%s to %s, %s left", p.CycleStart, p.CycleLastDay, days(p.WholeDaysLeft))})
	pairs = append(pairs, [2]string{"Forecast", forecastText(p)})
	if p.Currency != "" {
		pairs = append(pairs, [2]string{"Cost", p.CostFormatted + " so far, " + p.ForecastCostF + " forecast"})
	}
	return kv(w, c, pairs...)
}

func cycleText(p jsonPlan) string {
	switch p.Cycle.Kind {
	case "days":
		return fmt.Sprintf("every %s from %s", plural(p.Cycle.EveryDays, "day", "days"), p.Cycle.Start)
	case "once":
		return fmt.Sprintf("one-time, %s to %s", p.Cycle.Start, p.Cycle.Expires)
	}
	return "monthly, resets on day " + strconv.Itoa(p.Cycle.ResetDay)
}

func inactiveText(p jsonPlan) string {
	if p.Cycle.Kind == "once" {
		return "the pack runs from " + p.Cycle.Start + " to " + p.Cycle.Expires
	}
	return "no cycle contains today"
}

func forecastText(p jsonPlan) string {
	s := p.HumanReadable.Forecast + " at the end of the cycle"
	if p.CapBytes == 0 {
		return s
	}
	s += fmt.Sprintf(" (%.0f%%)", p.ForecastPct)
	switch {
	case p.CapDate != nil && p.UsedBytes >= p.CapBytes:
		s += "; cap hit on " + *p.CapDate
	case p.CapDate != nil:
		s += "; cap around " + *p.CapDate
	default:
		s += "; stays under the cap"
	}
	return s
}

func days(n int) string {
	if n == 1 {
		return "1 day"
	}
	return strconv.Itoa(n) + " days"
}

// checkOpts are pb check's flags.
type checkOpts struct {
	queryFlags
	over            float64
	forecast, quiet bool
	only            string
}

// checkFlags defines pb check's flags.
func checkFlags(env Env) (*flag.FlagSet, *checkOpts) {
	o := new(checkOpts)
	fs := newFigureFlagSet("check", env, &o.queryFlags)
	fs.Float64Var(&o.over, "over", 0, "exit 3 when a plan reaches `N` percent of its cap (instead of the plan's alert thresholds)")
	fs.BoolVar(&o.forecast, "forecast", false, "also exit 3 when a plan's forecast passes its cap")
	fs.BoolVar(&o.quiet, "quiet", false, "print only the plans that need attention")
	fs.StringVar(&o.only, "plan", "", "check only the plan called `NAME`")
	return fs, o
}

func runCheck(ctx context.Context, args []string, env Env) error {
	fs, o := checkFlags(env)
	if _, err := parseArgs(fs, args, "check", 0); err != nil {
		return err
	}
	if o.over != 0 && (o.over < 1 || o.over > 1000) {
		return usagef("check", "--over %g: use a percentage between 1 and 1000, e.g. --over 90", o.over)
	}
	q, v, b, err := fetchPlans(ctx, &o.queryFlags, env, "check")
	if err != nil {
		return err
	}
	defer q.Close()
	if len(v.Plans) == 0 {
		return noPlans(q)
	}
	if o.only != "" {
		if v.Plans, err = pickPlan(v.Plans, o.only); err != nil {
			return err
		}
	}
	code := exitOK
	for _, p := range v.Plans {
		status, c := checkPlan(p, o.over, o.forecast)
		code = max(code, c)
		if o.quiet && c == exitOK {
			continue
		}
		if !o.json {
			fmt.Fprintf(env.Stdout, "%-4s %s: %s\n", status, p.Name, checkText(p))
		}
	}
	if o.json {
		if err := q.printJSON(b); err != nil {
			return err
		}
	}
	if code != exitOK {
		return &exitCodeError{code: code}
	}
	return nil
}

// pickPlan keeps the plan called name (plan names are unique regardless of
// case).
func pickPlan(plans []jsonPlan, name string) ([]jsonPlan, error) {
	var names []string
	for _, p := range plans {
		if strings.EqualFold(p.Name, name) {
			return []jsonPlan{p}, nil
		}
		names = append(names, strconv.Quote(p.Name))
	}
	return nil, usagef("check", "--plan %q: no such plan; the plans are %s", name, strings.Join(names, ", "))
}

// checkPlan says how a plan stands: a word for the line and the exit code.
func checkPlan(p jsonPlan, over float64, forecast bool) (string, int) {
	switch {
	case !p.Active || p.CapBytes == 0:
		return "OK", exitOK
	case p.UsedBytes >= p.CapBytes:
		return "OVER", exitPlanOverCap
	case over > 0 && p.Percent >= over, over == 0 && p.OverThreshold > 0:
		return "WARN", exitPlanThreshold
	case forecast && p.Forecast >= p.CapBytes:
		return "WARN", exitPlanThreshold
	}
	return "OK", exitOK
}

func checkText(p jsonPlan) string {
	switch {
	case !p.Active:
		return "not active today"
	case p.CapBytes == 0:
		return p.HumanReadable.Used + " used (no cap)"
	}
	s := fmt.Sprintf("%.0f%% of %s used (%s), %s left", p.Percent, p.HumanReadable.Cap, p.HumanReadable.Used, days(p.WholeDaysLeft))
	if p.CapDate != nil && p.UsedBytes < p.CapBytes {
		s += ", cap reached around " + *p.CapDate
	}
	return s
}
