package query

import (
	"context"
	"fmt"
	"time"

	"github.com/packetbuddy/pb/internal/trend"
	"github.com/packetbuddy/pb/internal/usage"
)

// Unusual returns the hours and days in [from, to) far above their own
// weekday-and-hour history (see trend.Unusual), unwritten traffic
// included. from and to are taken to local hours.
func (e *Engine) Unusual(ctx context.Context, from, to time.Time, opts trend.Options) ([]trend.Anomaly, error) {
	if !to.After(from) {
		return nil, nil
	}
	// The history starts at a local midnight a day before the weeks the
	// slots need, so every hour it holds starts on a local hour.
	first := usage.DateOf(from.In(e.loc)).AddDays(-7*opts.Weeks - 1)
	hours, err := e.hourly(ctx, first.Start(e.loc), to)
	if err != nil {
		return nil, fmt.Errorf("unusual usage: %w", err)
	}
	cov, err := e.st.Coverage(ctx, first.Start(e.loc), to)
	if err != nil {
		return nil, fmt.Errorf("unusual usage: %w", err)
	}
	return trend.Unusual(hours, cov, e.loc, from, to, opts), nil
}

// hourly is the traffic of the scope in real hours from from (a local hour
// boundary) until to, pending traffic included.
func (e *Engine) hourly(ctx context.Context, from, to time.Time) ([]trend.Hour, error) {
	pts, err := e.st.Series(ctx, from, to, time.Hour, e.scope)
	if err != nil {
		return nil, err
	}
	pendingAny := e.pend.Pending(from, to, e.scope) != (usage.Totals{})
	out := make([]trend.Hour, 0, len(pts))
	for _, p := range pts {
		t := p.Totals
		if pendingAny {
			t = t.Add(e.pend.Pending(p.Start, p.Start.Add(time.Hour), e.scope))
		}
		out = append(out, trend.Hour{Start: p.Start, Bytes: t.Total()})
	}
	return out, nil
}
