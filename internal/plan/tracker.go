package plan

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/packetbuddy/pb/internal/usage"
)

// DayReader is the part of the store plans read: the interfaces the device
// has seen, daily totals over a filter, and the time traffic was counted
// (*store.Store).
type DayReader interface {
	InterfaceLifetimes(ctx context.Context) ([]usage.InterfaceTotals, error)
	DayTotals(ctx context.Context, from, to usage.Date, loc *time.Location, f usage.Filter) ([]usage.DayTotals, error)
	Coverage(ctx context.Context, from, to time.Time) (usage.Coverage, error)
}

// NetworkDayReader is what plans limited to networks read
// (*store.Store): the named networks' daily traffic.
type NetworkDayReader interface {
	NetworkDayTotals(ctx context.Context, from, to usage.Date, loc *time.Location, f usage.Filter, names []string) ([]usage.DayTotals, error)
}

// AppReader is the part of the store plans that name apps read: each
// application's traffic over an interval (*store.Store).
type AppReader interface {
	AppTotals(ctx context.Context, from, to time.Time, f usage.Filter) ([]usage.AppTotals, error)
}

// settledAfter is how many days before today are still re-read on every
// evaluation: a flush that was pending at midnight (or retried for a while)
// still lands in yesterday. Older days no longer change while the daemon
// runs, so they are read once and kept.
const settledAfter = 2

// maxCachedDays bounds the settled-day cache: the longest cycle (366 days)
// plus the forecast's weeks of history.
const maxCachedDays = 366 + HistoryDays

// AlertRecord is one fired alert in the history.
type AlertRecord struct {
	At time.Time
	Alert
}

// History keeps fired alerts (*store.Store).
type History interface {
	AddPlanAlert(ctx context.Context, at time.Time, a Alert) error
}

// Tracker evaluates the configured plans against the store and, in the
// daemon, fires their alerts. Readers (the API, pb plan, pb check) use only
// Statuses; the daemon runs Run, which owns the alert state.
type Tracker struct {
	Specs []Spec
	Loc   *time.Location
	Days  DayReader
	// Pending, if set, returns traffic counted but not yet written, so a
	// plan's figures match the dashboard's to the second.
	Pending func(from, to time.Time, f usage.Filter) usage.Totals
	// State and History persist what fired; both are needed by Check.
	State   StateStore
	History History
	// Notify hands an alert to delivery (webhook, desktop); it must not
	// block. nil: alerts are only logged and kept in the history.
	Notify func(Alert)
	Log    *slog.Logger

	mu    sync.Mutex // serializes Check: one owner of state
	state *AlertState

	cacheMu sync.Mutex
	cache   map[string][]usage.DayTotals // settled days by filter, consecutive
}

// Statuses evaluates every plan at now, in configuration order.
func (t *Tracker) Statuses(ctx context.Context, now time.Time) ([]Status, error) {
	if len(t.Specs) == 0 {
		return nil, nil
	}
	loc := t.loc()
	today := usage.DateOf(now.In(loc))
	known, err := t.Days.InterfaceLifetimes(ctx)
	if err != nil {
		return nil, fmt.Errorf("plans: list interfaces: %w", err)
	}
	// One coverage for all plans, from the earliest day any of them reads.
	earliest := today.AddDays(-HistoryDays)
	for _, s := range t.Specs {
		if start, _, ok := s.Cycle.Dates(today); ok && start.Before(earliest) {
			earliest = start
		}
	}
	cov, err := t.Days.Coverage(ctx, earliest.Start(loc), now)
	if err != nil {
		return nil, fmt.Errorf("plans: %w", err)
	}
	out := make([]Status, 0, len(t.Specs))
	for _, s := range t.Specs {
		from := today.AddDays(-HistoryDays)
		if start, _, ok := s.Cycle.Dates(today); ok && start.Before(from) {
			from = start
		}
		days, err := t.days(ctx, s, known, from, today)
		if err != nil {
			return nil, fmt.Errorf("plan %q: %w", s.Name, err)
		}
		out = append(out, Evaluate(s, now, loc, days, cov))
	}
	return out, nil
}

// days returns the plan's metered daily totals from..to, pending traffic
// included.
func (t *Tracker) days(ctx context.Context, s Spec, known []usage.InterfaceTotals, from, to usage.Date) ([]usage.DayTotals, error) {
	var f usage.Filter // no globs: the interfaces counted in the total
	if len(s.Interfaces) > 0 {
		for _, it := range known {
			if s.MatchesInterface(it.Name, it.Counted) {
				f.Ifaces = append(f.Ifaces, it.Name)
			}
		}
		if len(f.Ifaces) == 0 {
			return nil, nil // no interface matches (yet): nothing metered
		}
	}
	if len(s.Networks) > 0 {
		// Per-network traffic is written with each flush and not kept
		// pending apart: such a plan is up to one flush behind.
		nr, ok := t.Days.(NetworkDayReader)
		if !ok {
			return nil, nil
		}
		days, err := nr.NetworkDayTotals(ctx, from, to, t.loc(), f, s.Networks)
		if err != nil {
			return nil, fmt.Errorf("read network days: %w", err)
		}
		return days, nil
	}
	if len(s.Apps) > 0 {
		return t.appDays(ctx, s, f, from, to)
	}
	days, err := t.readDays(ctx, f, from, to)
	if err != nil {
		return nil, err
	}
	if t.Pending == nil || len(days) == 0 {
		return days, nil
	}
	loc := t.loc()
	// Pending traffic is the last seconds only: one check over the range
	// usually skips the per-day work.
	if t.Pending(from.Start(loc), to.AddDays(1).Start(loc), f) == (usage.Totals{}) {
		return days, nil
	}
	for i := range days {
		d := days[i].Date
		days[i].Totals = days[i].Totals.Add(t.Pending(d.Start(loc), d.AddDays(1).Start(loc), f))
	}
	return days, nil
}

// appDays returns the daily traffic from..to of the apps a plan names, on
// the interfaces of f, as far as written: per-app traffic is stored with
// each write only, so unwritten seconds are not in it. A store without
// per-app traffic meters nothing.
func (t *Tracker) appDays(ctx context.Context, s Spec, f usage.Filter, from, to usage.Date) ([]usage.DayTotals, error) {
	r, ok := t.Days.(AppReader)
	if !ok {
		return nil, nil
	}
	loc := t.loc()
	var out []usage.DayTotals
	for d := from; !d.After(to); d = d.AddDays(1) {
		list, err := r.AppTotals(ctx, d.Start(loc), d.AddDays(1).Start(loc), f)
		if err != nil {
			return nil, fmt.Errorf("read app days: %w", err)
		}
		day := usage.DayTotals{Date: d}
		for _, a := range list {
			if s.MatchesApp(a.App) {
				day.Totals = day.Totals.Add(a.Totals)
			}
		}
		out = append(out, day)
	}
	return out, nil
}

// readDays returns the stored days from..to, reading only the days not
// yet settled when earlier calls already read the rest.
func (t *Tracker) readDays(ctx context.Context, f usage.Filter, from, to usage.Date) ([]usage.DayTotals, error) {
	key := strings.Join(f.Ifaces, "\x00")
	settled := to.AddDays(-settledAfter) // the last day kept
	t.cacheMu.Lock()
	cached := t.cache[key]
	t.cacheMu.Unlock()
	var out []usage.DayTotals
	readFrom := from
	if len(cached) > 0 && !cached[0].Date.After(from) {
		for _, d := range cached {
			if !d.Date.Before(from) && !d.Date.After(to) {
				out = append(out, d)
			}
		}
		if last := cached[len(cached)-1].Date; !last.Before(readFrom) {
			readFrom = last.AddDays(1)
		}
	}
	if !readFrom.After(to) {
		fresh, err := t.Days.DayTotals(ctx, readFrom, to, t.loc(), f)
		if err != nil {
			return nil, fmt.Errorf("read days: %w", err)
		}
		out = append(out, fresh...)
	}
	// Keep what other plans with the same interfaces read before from (a
	// longer cycle), then this read's settled days: one consecutive run.
	var keep []usage.DayTotals
	for _, d := range cached {
		if len(out) > 0 && d.Date.Before(out[0].Date) && !d.Date.Before(to.AddDays(-maxCachedDays)) {
			keep = append(keep, d)
		}
	}
	if len(keep) > 0 && keep[len(keep)-1].Date.AddDays(1) != out[0].Date {
		keep = nil // a gap (no reads for days): the run would not be consecutive
	}
	for _, d := range out {
		if !d.Date.After(settled) {
			keep = append(keep, d)
		}
	}
	t.cacheMu.Lock()
	if t.cache == nil {
		t.cache = map[string][]usage.DayTotals{}
	}
	t.cache[key] = keep
	t.cacheMu.Unlock()
	// The caller adds pending traffic to the rows: hand out a copy.
	return slices.Clone(out), nil
}

func (t *Tracker) loc() *time.Location {
	if t.Loc == nil {
		return time.UTC
	}
	return t.Loc
}

// Check evaluates the plans and fires the alerts that are due: each is
// recorded in the state (saved before delivery, so a crash cannot repeat
// it), added to the history, logged and handed to Notify. It returns the
// alerts fired.
func (t *Tracker) Check(ctx context.Context, now time.Time) ([]Alert, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.state == nil {
		st, err := LoadState(ctx, t.State)
		if err != nil {
			return nil, err
		}
		st.Prune(t.Specs)
		t.state = st
	}
	statuses, err := t.Statuses(ctx, now)
	if err != nil {
		return nil, err
	}
	var fired []Alert
	for i, s := range t.Specs {
		fired = append(fired, CheckAlerts(t.state, s, statuses[i], statuses[i].CycleStart)...)
	}
	if len(fired) == 0 {
		return nil, nil
	}
	if err := SaveState(ctx, t.State, t.state); err != nil {
		// Not delivered and not recorded: forget the in-memory marks so the
		// next check tries again instead of losing the alerts.
		t.state = nil
		return nil, err
	}
	for _, a := range fired {
		if err := t.History.AddPlanAlert(ctx, now, a); err != nil {
			t.log().Warn("plan alert history not saved", "plan", a.Plan, "err", err)
		}
		t.log().Warn("plan alert: "+a.Title, "plan", a.Plan, "kind", a.Kind, "threshold", a.Threshold, "message", a.Message)
		if t.Notify != nil {
			t.Notify(a)
		}
	}
	return fired, nil
}

// Run checks the plans every interval until ctx ends. A failed check is
// logged and retried at the next tick: alerts are late, never lost.
func (t *Tracker) Run(ctx context.Context, every time.Duration, now func() time.Time) {
	if len(t.Specs) == 0 {
		return
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		if _, err := t.Check(ctx, now()); err != nil && ctx.Err() == nil {
			t.log().Warn("plan check failed; retrying at the next tick", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (t *Tracker) log() *slog.Logger {
	if t.Log == nil {
		return slog.Default()
	}
	return t.Log
}
