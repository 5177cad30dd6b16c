package cli

import (
	"context"
	"log/slog"
	"time"

	"github.com/packetbuddy/pb/internal/plan"
	"github.com/packetbuddy/pb/internal/query"
	"github.com/packetbuddy/pb/internal/trend"
	"github.com/packetbuddy/pb/internal/units"
	"github.com/packetbuddy/pb/internal/usage"
)

const (
	// unusualRetry is how soon a failed check is tried again.
	unusualRetry = time.Minute
	// unusualSettle waits after an hour ends before judging it, so the
	// flush that holds its last seconds is written.
	unusualSettle = 5 * time.Minute
	// unusualMaxBack bounds the catch-up after the daemon was stopped: an
	// anomaly of last week is no news.
	unusualMaxBack = 48 * time.Hour
)

// unusualStore keeps the events and how far the look went (*store.Store).
type unusualStore interface {
	UnusualChecked(ctx context.Context) (time.Time, bool, error)
	AddUnusual(ctx context.Context, events []usage.Event, through time.Time) error
}

// unusualWatch looks for unusual usage in each hour and day that ended and
// records it as an event; with [alerts] unusual it also sends an alert.
type unusualWatch struct {
	find   func(ctx context.Context, from, to time.Time, opts trend.Options) ([]trend.Anomaly, error)
	store  unusualStore
	loc    *time.Location
	base   units.Base
	notify func(plan.Alert) // nil: events only
	log    *slog.Logger
}

// check judges the hours and days that ended since the last check and
// returns the events it recorded. The first check ever only marks where
// looking starts: history from before is not news.
func (w *unusualWatch) check(ctx context.Context, now time.Time) ([]usage.Event, error) {
	through := query.HourStart(now.Add(-unusualSettle), w.loc)
	last, ok, err := w.store.UnusualChecked(ctx)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, w.store.AddUnusual(ctx, nil, through)
	}
	if !through.After(last) {
		return nil, nil
	}
	from := last
	if lim := through.Add(-unusualMaxBack); from.Before(lim) {
		from = lim
	}
	// From the start of from's day, so a day that ends in this look lies
	// wholly in the span; what started before from was judged already.
	dayStart := usage.DateOf(from.In(w.loc)).Start(w.loc)
	found, err := w.find(ctx, dayStart, through, trend.DefaultOptions)
	if err != nil {
		return nil, err
	}
	var events []usage.Event
	var alerts []plan.Alert
	for _, a := range found {
		if a.Start.Before(from) && (a.Kind == trend.KindHour || !a.End.After(from)) {
			continue
		}
		msg := a.Message(w.loc, w.base)
		events = append(events, usage.Event{Time: a.Start, Kind: usage.EventUnusual, Message: msg})
		alerts = append(alerts, plan.Alert{Kind: plan.AlertUnusual, Title: "Unusual usage", Message: msg})
	}
	if err := w.store.AddUnusual(ctx, events, through); err != nil {
		return nil, err
	}
	for _, a := range alerts {
		w.log.Warn("unusual usage: " + a.Message)
		if w.notify != nil {
			w.notify(a)
		}
	}
	return events, nil
}

// run checks at start and then once after each hour ends (plus
// unusualSettle) until ctx ends: between those times there is nothing new
// to judge, so the daemon does not wake for it. A failed check is logged and
// tried again after unusualRetry: the mark moves only with the events.
func (w *unusualWatch) run(ctx context.Context, now func() time.Time) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		wait := nextUnusualCheck(now(), w.loc)
		if _, err := w.check(ctx, now()); err != nil && ctx.Err() == nil {
			w.log.Warn("unusual usage check failed; retrying in a minute", "err", err)
			wait = unusualRetry
		}
		t.Reset(wait)
	}
}

// nextUnusualCheck is how long after now the next local hour has ended and
// settled. An hour on the absolute clock from the last settled hour's start
// is the next hour's start in every zone but those with half-hour summer
// time shifts, where the check merely comes half an hour early or late.
func nextUnusualCheck(now time.Time, loc *time.Location) time.Duration {
	next := query.HourStart(now.Add(-unusualSettle), loc).Add(time.Hour + unusualSettle)
	return max(next.Sub(now), time.Second)
}
