package query

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/packetbuddy/pb/internal/trend"
	"github.com/packetbuddy/pb/internal/usage"
)

// Unusual returns the hours and days in [from, to) far above their own
// weekday-and-hour history (see trend.Unusual), unwritten traffic
// included. from and to are taken to local hours.
func (e *Engine) Unusual(ctx context.Context, from, to time.Time, opts trend.Options) ([]trend.Anomaly, error) {
	return e.unusualOf(ctx, from, to, e.scope, opts)
}

func (e *Engine) unusualOf(ctx context.Context, from, to time.Time, f usage.Filter, opts trend.Options) ([]trend.Anomaly, error) {
	if !to.After(from) {
		return nil, nil
	}
	// The history starts at a local midnight a day before the weeks the
	// slots need, so every hour it holds starts on a local hour.
	first := usage.DateOf(from.In(e.loc)).AddDays(-7*opts.Weeks - 1)
	pts, err := e.hourlyOf(ctx, first.Start(e.loc), to, f)
	if err != nil {
		return nil, fmt.Errorf("unusual usage: %w", err)
	}
	cov, err := e.st.Coverage(ctx, first.Start(e.loc), to)
	if err != nil {
		return nil, fmt.Errorf("unusual usage: %w", err)
	}
	hours := make([]trend.Hour, len(pts))
	for i, p := range pts {
		hours[i] = trend.Hour{Start: p.Start, Bytes: p.Total()}
	}
	return trend.Unusual(hours, cov, e.loc, from, to, opts), nil
}

// hourlyOf is the traffic of f in real hours from from (a local hour
// boundary) until to, pending traffic included.
func (e *Engine) hourlyOf(ctx context.Context, from, to time.Time, f usage.Filter) ([]usage.Point, error) {
	pts, err := e.st.Series(ctx, from, to, time.Hour, f)
	if err != nil || e.pend.Pending(from, to, f) == (usage.Totals{}) {
		return pts, err
	}
	for i := range pts {
		pts[i].Totals = pts[i].Totals.Add(e.pend.Pending(pts[i].Start, pts[i].Start.Add(time.Hour), f))
	}
	return pts, nil
}

// ErrUnknownInterface is returned for an interface name never seen.
var ErrUnknownInterface = errors.New("unknown interface")

// scopeOf is the filter of one interface, or the engine's scope for "".
func (e *Engine) scopeOf(ctx context.Context, iface string) (usage.Filter, error) {
	if iface == "" {
		return e.scope, nil
	}
	known, err := e.st.InterfaceLifetimes(ctx)
	if err != nil {
		return usage.Filter{}, err
	}
	for _, it := range known {
		if it.Name == iface {
			return usage.Filter{Ifaces: []string{iface}}, nil
		}
	}
	return usage.Filter{}, fmt.Errorf("%w %q", ErrUnknownInterface, iface)
}

// MaxMinutesSpan bounds a minute view: the fine tier's default retention
// and a day more.
const MaxMinutesSpan = 8 * 24 * time.Hour

// Minutes is the 1-minute detail of a span.
type Minutes struct {
	From, To time.Time
	Iface    string // "" for the scope
	// Complete is where the fine tier is complete from: minutes before it
	// may have been pruned (zero: nothing was ever pruned).
	Complete time.Time
	Points   []usage.Point // one per minute from From, zero ones included
	Totals   usage.Totals
}

// Minutes returns the traffic of each minute in [from, to) (whole minutes)
// from the fine tier, unwritten traffic included; iface selects one
// interface ("" the scope).
func (e *Engine) Minutes(ctx context.Context, from, to time.Time, iface string) (Minutes, error) {
	from, to = from.Truncate(time.Minute), to.Add(time.Minute-1).Truncate(time.Minute)
	m := Minutes{From: from, To: to, Iface: iface}
	if to.Sub(from) > MaxMinutesSpan {
		return m, fmt.Errorf("minutes: span %v longer than %v", to.Sub(from), MaxMinutesSpan)
	}
	f, err := e.scopeOf(ctx, iface)
	if err != nil {
		return m, err
	}
	if m.Points, err = e.st.Series(ctx, from, to, time.Minute, f); err != nil {
		return m, fmt.Errorf("minutes: %w", err)
	}
	if m.Complete, err = e.st.FineHorizon(ctx); err != nil {
		return m, fmt.Errorf("minutes: %w", err)
	}
	if m.Points == nil {
		m.Points = []usage.Point{}
	}
	pendingAny := e.pend.Pending(from, to, f) != (usage.Totals{})
	for i := range m.Points {
		p := &m.Points[i]
		if pendingAny {
			p.Totals = p.Totals.Add(e.pend.Pending(p.Start, p.Start.Add(time.Minute), f))
		}
		m.Totals = m.Totals.Add(p.Totals)
	}
	return m, nil
}

// Comparison sets the traffic of a span that ends now against the same
// span before it.
type Comparison struct {
	From, To         time.Time // current span [From, To): To is now
	PrevFrom, PrevTo time.Time // the span compared with (the first of several for Samples > 1)
	Current          usage.Totals
	// Previous is the compared span's traffic, the average of Samples
	// spans when there are several (week: up to 8).
	Previous usage.Totals
	Samples  int
	// Counted is whether pb counted all of the compared spans; a change
	// against a span before pb was installed would mean nothing.
	Counted bool
}

// Change is Current against Previous in percent; ok is false when there is
// nothing to compare with.
func (c Comparison) Change() (pct float64, ok bool) {
	if !c.Counted || c.Samples == 0 || c.Previous.Total() == 0 {
		return 0, false
	}
	return (float64(c.Current.Total())/float64(c.Previous.Total()) - 1) * 100, true
}

// Profile is the average traffic of a weekday or an hour of the day, over
// the Samples counted days or hours it is taken over.
type Profile struct {
	Average usage.Totals
	Samples int
}

// IfaceMonth is one interface's month so far against last month's.
type IfaceMonth struct {
	Name    string
	Counted bool // counts in the total
	Month   Comparison
}

// Trends is how the use compares with its own past.
type Trends struct {
	Now   time.Time
	Iface string // "" for the scope
	// Month: this month to now, against last month to the same day and
	// time. Week: this week (from Monday) to now, against the same part of
	// each of the last 8 weeks on average. Year: this year to now against
	// last year to the same day and time.
	Month, Week, Year Comparison
	// Weekdays (Monday first) over the last 8 weeks' whole counted days;
	// Hours (0-23, local) over the last 28 days' counted hours.
	Weekdays [7]Profile
	Hours    [24]Profile
	// Interfaces compares each interface's month (only with Iface "").
	Interfaces []IfaceMonth
	// Unusual is what was unusual in the last 7 days, oldest first.
	Unusual []trend.Anomaly
}

// trendWeeks is how many weeks the week comparison and the weekday profile
// look back; hourDays how many days the hour profile does.
const (
	trendWeeks = 8
	hourDays   = 28
)

// Trends compares now with the past, for one interface or the scope.
func (e *Engine) Trends(ctx context.Context, now time.Time, iface string) (Trends, error) {
	t := Trends{Now: now, Iface: iface}
	f, err := e.scopeOf(ctx, iface)
	if err != nil {
		return t, err
	}
	loc := e.loc
	today := usage.DateOf(now.In(loc))
	cov, err := e.st.Coverage(ctx, today.AddDays(-400).Start(loc), now)
	if err != nil {
		return t, fmt.Errorf("trends: %w", err)
	}
	total := func(from, to time.Time, f usage.Filter) (usage.Totals, error) {
		v, err := e.st.Totals(ctx, from, to, f)
		if err != nil {
			return v, err
		}
		return v.Add(e.pend.Pending(from, to, f)), nil
	}
	// prevSpan is [start, the same day and clock time as now): the span
	// compared with a current one that started at a day and ends now. A
	// day the earlier month does not have (the 31st, Feb 29) ends it at
	// the month's end.
	lt := now.In(loc)
	prevSpan := func(start, same usage.Date) [2]time.Time {
		if n := daysIn(same.Year, same.Month); same.Day > n {
			end := usage.Date{Year: same.Year, Month: same.Month, Day: n}.AddDays(1)
			return [2]time.Time{start.Start(loc), end.Start(loc)}
		}
		return [2]time.Time{start.Start(loc), time.Date(same.Year, same.Month, same.Day, lt.Hour(), lt.Minute(), lt.Second(), lt.Nanosecond(), loc)}
	}
	compare := func(from usage.Date, prevs [][2]time.Time, f usage.Filter) (Comparison, error) {
		c := Comparison{From: from.Start(loc), To: now, Counted: true}
		var err error
		if c.Current, err = total(c.From, now, f); err != nil {
			return c, err
		}
		var sum usage.Totals
		for i, p := range prevs {
			if i == 0 {
				c.PrevFrom, c.PrevTo = p[0], p[1]
			}
			if cov.Seconds(p[0], p[1]) < p[1].Sub(p[0]).Seconds()-1 {
				if len(prevs) == 1 {
					c.Counted = false
				} else {
					continue // average over the counted weeks only
				}
			}
			v, err := total(p[0], p[1], f)
			if err != nil {
				return c, err
			}
			sum = sum.Add(v)
			c.Samples++
		}
		if c.Samples > 0 {
			c.Previous = usage.Totals{Rx: sum.Rx / uint64(c.Samples), Tx: sum.Tx / uint64(c.Samples)}
		} else {
			c.Counted = false
		}
		return c, nil
	}
	monthFirst := usage.Date{Year: today.Year, Month: today.Month, Day: 1}
	lastMonth := monthFirst.AddDays(-1)
	lastMonth.Day = 1
	monthPrev := [][2]time.Time{prevSpan(lastMonth, usage.Date{Year: lastMonth.Year, Month: lastMonth.Month, Day: today.Day})}
	if t.Month, err = compare(monthFirst, monthPrev, f); err != nil {
		return t, fmt.Errorf("trends: month: %w", err)
	}
	monday := today.AddDays(-((int(today.Start(loc).Weekday()) + 6) % 7))
	var weeks [][2]time.Time
	for k := 1; k <= trendWeeks; k++ {
		weeks = append(weeks, prevSpan(monday.AddDays(-7*k), today.AddDays(-7*k)))
	}
	if t.Week, err = compare(monday, weeks, f); err != nil {
		return t, fmt.Errorf("trends: week: %w", err)
	}
	jan1 := usage.Date{Year: today.Year, Month: 1, Day: 1}
	yearPrev := [][2]time.Time{prevSpan(usage.Date{Year: today.Year - 1, Month: 1, Day: 1}, usage.Date{Year: today.Year - 1, Month: today.Month, Day: today.Day})}
	if t.Year, err = compare(jan1, yearPrev, f); err != nil {
		return t, fmt.Errorf("trends: year: %w", err)
	}

	// Profiles from real hours, counted ones only.
	first := today.AddDays(-7 * trendWeeks)
	hours, err := e.hourlyOf(ctx, first.Start(loc), today.Start(loc), f)
	if err != nil {
		return t, fmt.Errorf("trends: %w", err)
	}
	var wdSum [7]usage.Totals
	var hSum [24]usage.Totals
	dayTot := map[usage.Date]usage.Totals{}
	hourFrom := today.AddDays(-hourDays).Start(loc)
	for _, h := range hours {
		if cov.Seconds(h.Start, h.Start.Add(time.Hour)) < 3600 {
			continue
		}
		lt := h.Start.In(loc)
		dayTot[usage.DateOf(lt)] = dayTot[usage.DateOf(lt)].Add(h.Totals)
		if !h.Start.Before(hourFrom) {
			hSum[lt.Hour()] = hSum[lt.Hour()].Add(h.Totals)
			t.Hours[lt.Hour()].Samples++
		}
	}
	for d := first; d.Before(today); d = d.AddDays(1) {
		if cov.Seconds(d.Start(loc), d.AddDays(1).Start(loc)) < d.AddDays(1).Start(loc).Sub(d.Start(loc)).Seconds() {
			continue // not a whole counted day
		}
		i := (int(d.Start(loc).Weekday()) + 6) % 7
		wdSum[i] = wdSum[i].Add(dayTot[d])
		t.Weekdays[i].Samples++
	}
	avg := func(s usage.Totals, n int) usage.Totals {
		if n == 0 {
			return usage.Totals{}
		}
		return usage.Totals{Rx: s.Rx / uint64(n), Tx: s.Tx / uint64(n)}
	}
	for i := range t.Weekdays {
		t.Weekdays[i].Average = avg(wdSum[i], t.Weekdays[i].Samples)
	}
	for i := range t.Hours {
		t.Hours[i].Average = avg(hSum[i], t.Hours[i].Samples)
	}

	if iface == "" {
		known, err := e.st.InterfaceLifetimes(ctx)
		if err != nil {
			return t, fmt.Errorf("trends: %w", err)
		}
		seen := map[string]bool{}
		for _, it := range known {
			if seen[it.Name] {
				continue
			}
			seen[it.Name] = true
			c, err := compare(monthFirst, monthPrev, usage.Filter{Ifaces: []string{it.Name}})
			if err != nil {
				return t, fmt.Errorf("trends: interface %s: %w", it.Name, err)
			}
			t.Interfaces = append(t.Interfaces, IfaceMonth{Name: it.Name, Counted: it.Counted, Month: c})
		}
		slices.SortFunc(t.Interfaces, func(a, b IfaceMonth) int { return strings.Compare(a.Name, b.Name) })
	}

	wk := today.AddDays(-6).Start(loc)
	if t.Unusual, err = e.unusualOf(ctx, wk, HourStart(now, loc), f, trend.DefaultOptions); err != nil {
		return t, fmt.Errorf("trends: %w", err)
	}
	return t, nil
}

func daysIn(y int, m time.Month) int { return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day() }

// HourStart is the start of the local hour holding t: a real instant, so
// the repeated hour of a DST change is told apart, and right in zones half
// an hour off UTC.
func HourStart(t time.Time, loc *time.Location) time.Time {
	lt := t.In(loc)
	return t.Add(-time.Duration(lt.Minute())*time.Minute - time.Duration(lt.Second())*time.Second - time.Duration(lt.Nanosecond()))
}
