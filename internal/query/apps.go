package query

import (
	"context"

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
