package query

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/packetbuddy/pb/internal/usage"
)

// Day is a local day's traffic, stored + pending.
type Day struct {
	Date       usage.Date
	Start, End time.Time
	Totals     usage.Totals
	Peak       uint64 // bytes per second
}

// Today returns today's counted traffic and peak, up to the last poll.
func (e *Engine) Today(ctx context.Context, now time.Time) (Day, error) {
	day := usage.DateOf(now.In(e.loc))
	k := e.key(now, day)
	v := Day{Date: day, Start: day.Start(e.loc), End: day.AddDays(1).Start(e.loc)}
	st, err := e.cache.today.Get(k, func() (storedSpan, error) {
		return e.storedSpan(ctx, v.Start, v.End)
	})
	if err != nil {
		return v, err
	}
	v.Totals = st.totals.Add(e.pend.Pending(v.Start, v.End, e.scope))
	v.Peak = max(st.peak, e.pend.PendingPeak(v.Start, v.End))
	if e.live != nil {
		if at, bps := e.live(); !at.IsZero() && usage.DateOf(at.In(e.loc)) == day {
			v.Peak = max(v.Peak, bps)
		}
	}
	return v, nil
}

func (e *Engine) storedSpan(ctx context.Context, from, to time.Time) (storedSpan, error) {
	t, err := e.st.Totals(ctx, from, to, e.scope)
	if err != nil {
		return storedSpan{}, err
	}
	p, _, err := e.st.Peak(ctx, from, to)
	if err != nil {
		return storedSpan{}, err
	}
	return storedSpan{totals: t, peak: p}, nil
}

// Days returns the days from..to (inclusive) with pending traffic added.
// The current month up to today comes from the cache.
func (e *Engine) Days(ctx context.Context, now time.Time, from, to usage.Date) ([]usage.DayTotals, error) {
	today := usage.DateOf(now.In(e.loc))
	var days []usage.DayTotals
	monthStart := usage.Date{Year: today.Year, Month: today.Month, Day: 1}
	if from == monthStart && to == today {
		cachedDays, err := e.cache.month.Get(e.key(now, today), func() ([]usage.DayTotals, error) {
			return e.st.Days(ctx, from, to, e.loc, e.scope)
		})
		if err != nil {
			return nil, err
		}
		days = append([]usage.DayTotals(nil), cachedDays...) // the cache is shared: copy before adding
	} else {
		var err error
		if days, err = e.st.Days(ctx, from, to, e.loc, e.scope); err != nil {
			return nil, err
		}
	}
	e.addPendingDays(days)
	return days, nil
}

// addPendingDays adds unflushed traffic and peaks to day rows. Pending data
// is only the last seconds (or, while writes fail, minutes), so one check
// over the whole range usually skips the per-day work.
func (e *Engine) addPendingDays(days []usage.DayTotals) {
	if len(days) == 0 {
		return
	}
	from, to := days[0].Date.Start(e.loc), days[len(days)-1].Date.AddDays(1).Start(e.loc)
	if e.pend.Pending(from, to, e.scope) == (usage.Totals{}) && e.pend.PendingPeak(from, to) == 0 {
		return
	}
	for i := range days {
		a, b := days[i].Date.Start(e.loc), days[i].Date.AddDays(1).Start(e.loc)
		days[i].Totals = days[i].Totals.Add(e.pend.Pending(a, b, e.scope))
		days[i].PeakBytesPerSec = max(days[i].PeakBytesPerSec, e.pend.PendingPeak(a, b))
	}
}

// Period is a run of days with their sum.
type Period struct {
	From, To usage.Date // inclusive
	Days     []usage.DayTotals
	Totals   usage.Totals
	Peak     uint64
}

// Range returns the days from..to inclusive.
func (e *Engine) Range(ctx context.Context, now time.Time, from, to usage.Date) (Period, error) {
	days, err := e.Days(ctx, now, from, to)
	if err != nil {
		return Period{}, err
	}
	return sumDays(from, to, days), nil
}

func sumDays(from, to usage.Date, days []usage.DayTotals) Period {
	p := Period{From: from, To: to, Days: days}
	for _, d := range days {
		p.Totals = p.Totals.Add(d.Totals)
		p.Peak = max(p.Peak, d.PeakBytesPerSec)
	}
	return p
}

// Month is a local calendar month: every day from the 1st to the last day,
// or to today for the current month (no future days), zero days included.
type Month struct {
	First usage.Date // the 1st
	Period
	// NotByDay is traffic known only as the month's whole (imported month
	// totals): in Totals, in no day.
	NotByDay usage.Totals
}

// Month returns the month that starts on first (a 1st).
func (e *Engine) Month(ctx context.Context, now time.Time, first usage.Date) (Month, error) {
	today := usage.DateOf(now.In(e.loc))
	last := usage.DateOf(time.Date(first.Year, first.Month+1, 0, 12, 0, 0, 0, time.UTC)) // day 0 of the next month
	if last.After(today) {
		last = today
	}
	m := Month{First: first}
	var days []usage.DayTotals
	if !first.After(last) {
		var err error
		if days, err = e.Days(ctx, now, first, last); err != nil {
			return m, err
		}
	}
	m.Period = sumDays(first, last, days)
	whole, err := e.periodTotals(ctx, first.Start(e.loc), nextMonthStart(first, e.loc), usage.PeriodMonth)
	if err != nil {
		return m, err
	}
	m.NotByDay = whole
	m.Totals = m.Totals.Add(whole)
	return m, nil
}

// periodTotals sums the period totals of kind ("" for all) lying in
// [from, to).
func (e *Engine) periodTotals(ctx context.Context, from, to time.Time, kind string) (usage.Totals, error) {
	ps, err := e.st.Periods(ctx, from, to, e.scope)
	var t usage.Totals
	for _, p := range ps {
		if kind == "" || p.Kind == kind {
			t = t.Add(p.Totals)
		}
	}
	return t, err
}

// nextMonthStart is the start of the month after the one d is in.
func nextMonthStart(d usage.Date, loc *time.Location) time.Time {
	return usage.DateOf(time.Date(d.Year, d.Month+1, 1, 12, 0, 0, 0, time.UTC)).Start(loc)
}

// Lifetime is everything counted, stored + pending, with the span of
// tracked days (the span includes today when traffic is pending).
type Lifetime struct {
	Totals      usage.Totals
	Peak        uint64
	PeakAt      time.Time // zero when unknown
	First, Last usage.Date
	Tracked     bool
}

// DaysTracked counts the days from First to Last (0 when nothing was
// tracked).
func (l Lifetime) DaysTracked() int {
	if !l.Tracked {
		return 0
	}
	return l.First.DaysUntil(l.Last) + 1
}

// Lifetime returns everything counted.
func (e *Engine) Lifetime(ctx context.Context, now time.Time) (Lifetime, error) {
	today := usage.DateOf(now.In(e.loc))
	st, err := e.cache.lifetime.Get(e.key(now, today), func() (storedLifetime, error) {
		var l storedLifetime
		var err error
		if l.totals, err = e.st.Lifetime(ctx, e.scope); err != nil {
			return l, err
		}
		if l.peak, l.peakAt, err = e.lifetimePeak(ctx, now); err != nil {
			return l, err
		}
		l.first, l.last, l.tracked, err = e.st.Span(ctx, e.loc)
		return l, err
	})
	if err != nil {
		return Lifetime{}, err
	}
	l := Lifetime{Totals: st.totals, Peak: st.peak, PeakAt: st.peakAt, First: st.first, Last: st.last, Tracked: st.tracked}
	if p := e.pend.Pending(Epoch, FarAway, e.scope); p != (usage.Totals{}) {
		l.Totals = l.Totals.Add(p)
		if !l.Tracked {
			l.First, l.Tracked = today, true
		}
		if l.Last.Before(today) {
			l.Last = today
		}
	}
	if p := e.pend.PendingPeak(Epoch, FarAway); p > l.Peak {
		l.Peak, l.PeakAt = p, now
	}
	return l, nil
}

// Hours is one local day hour by hour: 23 or 25 hours on DST change days.
type Hours struct {
	Date   usage.Date
	Hours  []usage.HourTotals
	Totals usage.Totals
}

// Hours returns the clock hours of day with pending traffic added.
func (e *Engine) Hours(ctx context.Context, day usage.Date) (Hours, error) {
	hours, err := e.st.Hours(ctx, day, e.loc, e.scope)
	if err != nil {
		return Hours{}, err
	}
	dayStart, dayEnd := day.Start(e.loc), day.AddDays(1).Start(e.loc)
	pending := e.pend.Pending(dayStart, dayEnd, e.scope) != (usage.Totals{})
	h := Hours{Date: day, Hours: hours}
	for i := range hours {
		if pending {
			end := dayEnd
			if i+1 < len(hours) {
				end = hours[i+1].Start
			}
			hours[i].Totals = hours[i].Totals.Add(e.pend.Pending(hours[i].Start, end, e.scope))
		}
		h.Totals = h.Totals.Add(hours[i].Totals)
	}
	return h, nil
}

// TopDays returns the limit busiest days ever, busiest first.
func (e *Engine) TopDays(ctx context.Context, now time.Time, limit int) ([]usage.DayTotals, error) {
	days, err := e.st.TopDays(ctx, limit, e.loc, e.scope)
	if err != nil {
		return nil, err
	}
	// Today's unflushed traffic may move it into (or up) the list.
	t, err := e.Today(ctx, now)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(days, func(d usage.DayTotals) bool { return d.Date == t.Date })
	if i >= 0 {
		days[i].Totals, days[i].PeakBytesPerSec = t.Totals, max(days[i].PeakBytesPerSec, t.Peak)
	} else if t.Totals.Total() > 0 {
		days = append(days, usage.DayTotals{Date: t.Date, Totals: t.Totals, PeakBytesPerSec: t.Peak})
	}
	slices.SortStableFunc(days, func(a, b usage.DayTotals) int {
		switch {
		case a.Total() > b.Total():
			return -1
		case a.Total() < b.Total():
			return 1
		}
		return a.Date.Compare(b.Date)
	})
	if len(days) > limit {
		days = days[:limit]
	}
	return days, nil
}

// LiveRate is an interface's current speed as the running daemon sees it.
type LiveRate struct {
	Name     string
	Kind     string
	Counted  bool
	RxPerSec uint64
	TxPerSec uint64
}

// Interface is one interface with its traffic today, this month and in its
// lifetime.
type Interface struct {
	usage.Interface
	FirstSeen, LastSeen  time.Time // zero for an interface never written
	Today, Month, Life   usage.Totals
	Active               bool // the daemon sees it now
	LiveRxSec, LiveTxSec uint64
}

// Interfaces is every interface ever seen.
type Interfaces struct {
	Date  usage.Date // today
	Month usage.Date // the 1st of this month
	List  []Interface
}

// Interfaces lists every interface ever seen, and those the daemon sees
// now (live, which may be nil) that were never written yet.
func (e *Engine) Interfaces(ctx context.Context, now time.Time, live []LiveRate) (Interfaces, error) {
	today := usage.DateOf(now.In(e.loc))
	dayStart, dayEnd := today.Start(e.loc), today.AddDays(1).Start(e.loc)
	monthFirst := usage.Date{Year: today.Year, Month: today.Month, Day: 1}
	monthStart := monthFirst.Start(e.loc)
	res := Interfaces{Date: today, Month: monthFirst, List: []Interface{}}
	todayRows, err := e.st.Interfaces(ctx, dayStart, dayEnd)
	if err != nil {
		return res, err
	}
	monthRows, err := e.st.Interfaces(ctx, monthStart, dayEnd)
	if err != nil {
		return res, err
	}
	life, err := e.st.InterfaceLifetimes(ctx)
	if err != nil {
		return res, err
	}
	type key struct{ name, mac string }
	byKey := func(rows []usage.InterfaceTotals) map[key]usage.Totals {
		m := make(map[key]usage.Totals, len(rows))
		for _, r := range rows {
			m[key{r.Name, r.MAC}] = r.Totals
		}
		return m
	}
	todayBy, monthBy := byKey(todayRows), byKey(monthRows)
	liveBy := map[string]int{}
	for i, l := range live {
		liveBy[l.Name] = i
	}
	// Pending traffic is kept per name; it belongs to the most recently
	// seen interface of that name (the adapter plugged in now).
	latest := map[string]int{}
	for i, it := range life {
		if j, ok := latest[it.Name]; !ok || it.LastSeen.After(life[j].LastSeen) {
			latest[it.Name] = i
		}
	}
	seen := map[string]bool{}
	for i, it := range life {
		k := key{it.Name, it.MAC}
		row := Interface{Interface: it.Interface, FirstSeen: it.FirstSeen, LastSeen: it.LastSeen, Today: todayBy[k], Month: monthBy[k], Life: it.Totals}
		if latest[it.Name] == i {
			f := usage.Filter{Ifaces: []string{it.Name}}
			row.Today = row.Today.Add(e.pend.Pending(dayStart, dayEnd, f))
			row.Month = row.Month.Add(e.pend.Pending(monthStart, dayEnd, f))
			row.Life = row.Life.Add(e.pend.Pending(Epoch, FarAway, f))
			if j, ok := liveBy[it.Name]; ok {
				l := live[j]
				row.Active, row.LiveRxSec, row.LiveTxSec = true, l.RxPerSec, l.TxPerSec
				row.Kind, row.Counted = l.Kind, l.Counted
			}
		}
		seen[it.Name] = true
		res.List = append(res.List, row)
	}
	// Interfaces the daemon sees that were never flushed yet.
	for _, l := range live {
		if seen[l.Name] {
			continue
		}
		f := usage.Filter{Ifaces: []string{l.Name}}
		res.List = append(res.List, Interface{
			Interface: usage.Interface{Name: l.Name, Kind: l.Kind, Counted: l.Counted},
			Today:     e.pend.Pending(dayStart, dayEnd, f),
			Month:     e.pend.Pending(monthStart, dayEnd, f),
			Life:      e.pend.Pending(Epoch, FarAway, f),
			Active:    true, LiveRxSec: l.RxPerSec, LiveTxSec: l.TxPerSec,
		})
	}
	return res, nil
}

// Events returns the event log of the local days from..to, newest first.
func (e *Engine) Events(ctx context.Context, from, to usage.Date, limit int) ([]usage.Event, error) {
	return e.st.Events(ctx, from.Start(e.loc), to.AddDays(1).Start(e.loc), limit)
}

// Year is one year with traffic and its months.
type Year struct {
	Year   int
	Totals usage.Totals
	Months []usage.MonthTotals
}

// Years returns every year with traffic, each with its months; month and
// year totals known only as a whole (imported) count in their month and
// year, and may reach before the first tracked day.
func (e *Engine) Years(ctx context.Context) ([]Year, usage.Totals, error) {
	var sum usage.Totals
	first, last, ok, err := e.st.Span(ctx, e.loc)
	if err != nil {
		return nil, sum, err
	}
	periods, err := e.st.Periods(ctx, Epoch, FarAway, e.scope)
	if err != nil {
		return nil, sum, err
	}
	if len(periods) > 0 {
		pf := usage.DateOf(periods[0].Start.In(e.loc))
		var pl usage.Date
		for _, p := range periods {
			if d := usage.DateOf(p.End.Add(-time.Second).In(e.loc)); d.After(pl) {
				pl = d
			}
		}
		if !ok || pf.Before(first) {
			first = pf
		}
		if !ok || pl.After(last) {
			last = pl
		}
		ok = true
	}
	years := []Year{}
	if !ok {
		return years, sum, nil
	}
	ms, err := e.st.Months(ctx, first, last, e.loc, e.scope)
	if err != nil {
		return nil, sum, err
	}
	for _, m := range ms {
		if len(years) == 0 || years[len(years)-1].Year != m.Year {
			years = append(years, Year{Year: m.Year, Months: []usage.MonthTotals{}})
		}
		y := &years[len(years)-1]
		start := usage.Date{Year: m.Year, Month: m.Month, Day: 1}
		m.Totals = m.Totals.Add(e.pend.Pending(start.Start(e.loc), nextMonthStart(start, e.loc), e.scope))
		y.Totals = y.Totals.Add(m.Totals)
		y.Months = append(y.Months, m)
		sum = sum.Add(m.Totals)
	}
	for _, p := range periods {
		if p.Kind != usage.PeriodYear {
			continue
		}
		yr := p.Start.In(e.loc).Year()
		for i := range years {
			if years[i].Year == yr {
				years[i].Totals = years[i].Totals.Add(p.Totals)
				sum = sum.Add(p.Totals)
			}
		}
	}
	return years, sum, nil
}

// MonthString is "YYYY-MM".
func MonthString(year int, month time.Month) string { return fmt.Sprintf("%04d-%02d", year, month) }
