package query

import (
	"context"
	"fmt"

	"github.com/packetbuddy/pb/internal/usage"
)

// Apps is per-application traffic over local days.
type Apps struct {
	From, To usage.Date // inclusive local days
	// Apps are largest first; "unattributed" is one of them, so they add
	// up to Total.
	Apps  []usage.AppTotals
	Total usage.Totals
}

// Apps returns each application's traffic on the local days from..to
// (inclusive) on the interfaces f selects (the zero Filter: the engine's
// scope). Per-app traffic is written with each flush; what the daemon
// counted since its last write is not in it yet.
func (e *Engine) Apps(ctx context.Context, from, to usage.Date, f usage.Filter) (Apps, error) {
	if !f.All && len(f.Ifaces) == 0 {
		f = e.scope
	}
	start, end := from.Start(e.loc), to.AddDays(1).Start(e.loc)
	list, err := e.st.AppTotals(ctx, start, end, f)
	if err != nil {
		return Apps{}, err
	}
	a := Apps{From: from, To: to, Apps: list}
	for _, x := range list {
		a.Total = a.Total.Add(x.Totals)
	}
	return a, nil
}

// AppDay is one application's traffic on one local day.
type AppDay struct {
	Date usage.Date
	usage.AppTotals
}

// AppDays returns each application's traffic on each local day from..to
// (inclusive) on the interfaces f selects, day by day and within a day
// largest first, leaving out days without per-app traffic. Days before
// the oldest kept per-app traffic cost one empty query each; callers bound
// the range ([apps] retention_days keeps per-app rows for at most ten
// years).
func (e *Engine) AppDays(ctx context.Context, from, to usage.Date, f usage.Filter) ([]AppDay, error) {
	var out []AppDay
	for d := from; !d.After(to); d = d.AddDays(1) {
		a, err := e.Apps(ctx, d, d, f)
		if err != nil {
			return nil, err
		}
		for _, x := range a.Apps {
			out = append(out, AppDay{Date: d, AppTotals: x})
		}
	}
	return out, nil
}

// AppHistory is one application's traffic day by day.
type AppHistory struct {
	App      usage.App
	From, To usage.Date        // inclusive local days
	Days     []usage.DayTotals // every day from..to, zero days included
	Total    usage.Totals
}

// UnknownAppError is an application no traffic was ever written for.
type UnknownAppError struct{ App usage.App }

func (e *UnknownAppError) Error() string {
	return fmt.Sprintf("no traffic of the application %q (path %q) is known (pb apps lists them)", e.App.Name, e.App.Path)
}

// AppHistory returns application a's traffic on each local day from..to
// (inclusive) on the interfaces f selects (the zero Filter: the engine's
// scope); a is matched on all of its fields, as /api/apps lists it. Like
// Apps it is what the daemon has written.
func (e *Engine) AppHistory(ctx context.Context, a usage.App, from, to usage.Date, f usage.Filter) (AppHistory, error) {
	if !f.All && len(f.Ifaces) == 0 {
		f = e.scope
	}
	days, known, err := e.st.AppDayTotals(ctx, a, from, to, e.loc, f)
	if err != nil {
		return AppHistory{}, err
	}
	if !known {
		return AppHistory{}, &UnknownAppError{App: a}
	}
	h := AppHistory{App: a, From: from, To: to, Days: days}
	for _, d := range days {
		h.Total = h.Total.Add(d.Totals)
	}
	return h, nil
}
