package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/packetbuddy/pb/internal/plan"
	"github.com/packetbuddy/pb/internal/query"
	"github.com/packetbuddy/pb/internal/units"
	"github.com/packetbuddy/pb/internal/usage"
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
track to pass its cap this cycle (the low edge of the forecast's likely
range passes it, as for the forecast alert). --quiet prints only problems.
--json prints what GET /api/plans answers (every plan) instead of the
lines; the exit code is the same.

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

// planView is a plan where it stands, with the figures the terminal
// shows, from the query layer's values (plan.Spec and plan.Status).
type planView struct {
	plan.Spec
	plan.Status
	Percent     float64 // of the cap, to 0.01
	ForecastPct float64 // of the cap, to 0.01
	Threshold   int     // highest alert threshold reached, 0 for none
}

func newPlanView(sp plan.Spec, st plan.Status) planView {
	v := planView{Spec: sp, Status: st}
	if !st.Active {
		return v
	}
	v.Percent = query.RoundTo(st.Percent, 2)
	if sp.Cap > 0 {
		v.ForecastPct = query.RoundTo(float64(st.Forecast)/float64(sp.Cap)*100, 2)
		v.Threshold = sp.Reached(st.Used)
	}
	return v
}

// capDate is the day the cap is (or will be) reached, "" for none.
func (p planView) capDate() string {
	if p.CapDate == nil {
		return ""
	}
	return p.CapDate.String()
}

// loadPlans opens the database and evaluates the plans. The -i flag does
// not apply: each plan meters its own interfaces. With --json it prints
// what GET /api/plans answers.
func loadPlans(ctx context.Context, qf *queryFlags, env Env, cmd string) (*session, []planView, []byte, error) {
	if len(qf.ifaces) > 0 {
		return nil, nil, nil, usagef(cmd, "-i does not apply: each plan meters the interfaces of its own interfaces setting")
	}
	q, err := openQuery(ctx, qf, env)
	if err != nil {
		return nil, nil, nil, err
	}
	specs, statuses, err := q.eng.Plans(ctx, q.now)
	if err != nil {
		q.Close()
		return nil, nil, nil, err
	}
	views := make([]planView, 0, len(statuses))
	for i, st := range statuses {
		views = append(views, newPlanView(specs[i], st))
	}
	var b []byte
	if qf.json {
		var alerts []plan.AlertRecord
		if len(specs) > 0 {
			if alerts, err = q.eng.PlanAlerts(ctx, 20); err != nil { // GET /api/plans's default
				q.Close()
				return nil, nil, nil, err
			}
		}
		if b, err = q.enc.Plans(q.now, specs, statuses, alerts); err != nil {
			q.Close()
			return nil, nil, nil, err
		}
	}
	return q, views, b, nil
}

func noPlans(q *session) error {
	return fmt.Errorf("no data plans are configured: add a [[plan]] table to %s (\"pb plan --help\" shows one)", configName(q))
}

func configName(q *session) string {
	if q.cfg.Path != "" {
		return q.cfg.Path
	}
	return "the config file (pb config path)"
}

func planFlags(env Env) (*flag.FlagSet, *queryFlags) {
	qf := new(queryFlags)
	return newFigureFlagSet("plan", env, qf), qf
}

func runPlan(ctx context.Context, args []string, env Env) error {
	fs, qf := planFlags(env)
	if _, err := parseArgs(fs, args, "plan", 0); err != nil {
		return err
	}
	q, plans, b, err := loadPlans(ctx, qf, env, "plan")
	if err != nil {
		return err
	}
	defer q.Close()
	if qf.json {
		return q.emit(b, nil)
	}
	if len(plans) == 0 {
		return noPlans(q)
	}
	c := useColor(qf.color, env)
	for i, p := range plans {
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
func writePlan(w io.Writer, c bool, p planView, base units.Base) error {
	fmtBytes := func(n uint64) string { return units.FormatBytesBase(n, base) }
	head := p.Name + "  (" + cycleText(p) + ")"
	fmt.Fprintln(w, paint(c, ansiBold, head))
	if !p.Active {
		return kv(w, c, [2]string{"Status", "not active today: " + inactiveText(p)})
	}
	var pairs [][2]string
	if p.Spec.Cap > 0 {
		style := ansiGreen
		switch {
		case p.Used >= p.Spec.Cap:
			style = ansiRed
		case p.Threshold > 0:
			style = ansiYellow
		}
		b := bar(min(p.Used, p.Spec.Cap), p.Spec.Cap, 30)
		b += strings.Repeat("·", 30-len([]rune(b)))
		fmt.Fprintf(w, "%s %s\n", paint(c, style, b), fmt.Sprintf("%.1f%%", p.Percent))
		left := fmtBytes(p.Remaining) + ", about " + fmtBytes(p.DailyBudget) + " a day"
		if p.Used >= p.Spec.Cap {
			left = "none: " + fmtBytes(p.Used-p.Spec.Cap) + " over the cap"
		}
		pairs = append(pairs,
			[2]string{"Used", fmtBytes(p.Used) + " of " + fmtBytes(p.Spec.Cap)},
			[2]string{"Remaining", left})
	} else {
		pairs = append(pairs, [2]string{"Used", fmtBytes(p.Used) + " (no cap)"})
	}
	lastDay := usage.DateOf(p.CycleEnd.In(p.CycleStart.Location())).AddDays(-1)
	pairs = append(pairs, [2]string{"Cycle", fmt.Sprintf("%s to %s, %s left", usage.DateOf(p.CycleStart), lastDay, days(p.WholeDaysLeft))})
	pairs = append(pairs, [2]string{"Forecast", forecastText(p, base)})
	if l := likelyText(p, base); l != "" {
		pairs = append(pairs, [2]string{"Likely", l})
	}
	if p.Status.Currency != "" {
		pairs = append(pairs, [2]string{"Cost", units.FormatMoney(p.Cost, p.Status.Currency) + " so far, " + units.FormatMoney(p.ForecastCost, p.Status.Currency) + " forecast"})
	}
	return kv(w, c, pairs...)
}

func cycleText(p planView) string {
	switch p.Cycle.Kind {
	case plan.EveryDays:
		return fmt.Sprintf("every %s from %s", plural(p.Cycle.Every, "day", "days"), p.Cycle.Start)
	case plan.OneTime:
		return fmt.Sprintf("one-time, %s to %s", p.Cycle.Start, p.Cycle.Expires)
	}
	return "monthly, resets on day " + strconv.Itoa(p.Cycle.ResetDay)
}

func inactiveText(p planView) string {
	if p.Cycle.Kind == plan.OneTime {
		return "the pack runs from " + p.Cycle.Start.String() + " to " + p.Cycle.Expires.String()
	}
	return "no cycle contains today"
}

func forecastText(p planView, base units.Base) string {
	s := units.FormatBytesBase(p.Forecast, base) + " at the end of the cycle"
	if p.Spec.Cap == 0 {
		return s
	}
	s += fmt.Sprintf(" (%.0f%%)", p.ForecastPct)
	switch {
	case p.CapDate != nil && p.Used >= p.Spec.Cap:
		s += "; cap hit on " + p.capDate()
	case p.CapDate != nil:
		s += "; cap around " + p.capDate()
	default:
		s += "; stays under the cap"
	}
	return s
}

// likelyText is the forecast's band and the cap dates of its edges; ""
// when there is no band (nothing left to forecast).
func likelyText(p planView, base units.Base) string {
	if p.ForecastLow == p.ForecastHigh {
		return ""
	}
	s := "between " + units.FormatBytesBase(p.ForecastLow, base) + " and " + units.FormatBytesBase(p.ForecastHigh, base)
	early, late := p.CapDateEarliest, p.CapDateLatest
	switch {
	case p.Spec.Cap == 0 || p.Used >= p.Spec.Cap || early == nil:
	case late == nil:
		s += ", cap from " + early.String() + " if at all"
	case *early == *late:
		s += ", cap on " + early.String()
	default:
		s += ", cap " + early.String() + " to " + late.String()
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
	q, plans, b, err := loadPlans(ctx, &o.queryFlags, env, "check")
	if err != nil {
		return err
	}
	defer q.Close()
	if len(plans) == 0 {
		return noPlans(q)
	}
	if o.only != "" {
		if plans, err = pickPlan(plans, o.only); err != nil {
			return err
		}
	}
	code := exitOK
	for _, p := range plans {
		status, c := checkPlan(p, o.over, o.forecast)
		code = max(code, c)
		if o.quiet && c == exitOK {
			continue
		}
		if !o.json {
			fmt.Fprintf(env.Stdout, "%-4s %s: %s\n", status, p.Name, checkText(p, q.base()))
		}
	}
	if o.json {
		if err := q.emit(b, nil); err != nil {
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
func pickPlan(plans []planView, name string) ([]planView, error) {
	var names []string
	for _, p := range plans {
		if strings.EqualFold(p.Name, name) {
			return []planView{p}, nil
		}
		names = append(names, strconv.Quote(p.Name))
	}
	return nil, usagef("check", "--plan %q: no such plan; the plans are %s", name, strings.Join(names, ", "))
}

// checkPlan says how a plan stands: a word for the line and the exit code.
func checkPlan(p planView, over float64, forecast bool) (string, int) {
	switch {
	case !p.Active || p.Spec.Cap == 0:
		return "OK", exitOK
	case p.Used >= p.Spec.Cap:
		return "OVER", exitPlanOverCap
	case over > 0 && p.Percent >= over, over == 0 && p.Threshold > 0:
		return "WARN", exitPlanThreshold
	case forecast && p.ForecastLow >= p.Spec.Cap: // as the daemon's forecast alert
		return "WARN", exitPlanThreshold
	}
	return "OK", exitOK
}

func checkText(p planView, base units.Base) string {
	switch {
	case !p.Active:
		return "not active today"
	case p.Spec.Cap == 0:
		return units.FormatBytesBase(p.Used, base) + " used (no cap)"
	}
	s := fmt.Sprintf("%.0f%% of %s used (%s), %s left", p.Percent, units.FormatBytesBase(p.Spec.Cap, base), units.FormatBytesBase(p.Used, base), days(p.WholeDaysLeft))
	if p.CapDate != nil && p.Used < p.Spec.Cap {
		s += ", cap reached around " + p.capDate()
	}
	return s
}
