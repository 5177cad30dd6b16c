package plan

import (
	"math"
	"path"
	"time"

	"github.com/packetbuddy/pb/internal/usage"
)

// HistoryDays is how far before today Evaluate looks for weekday patterns:
// eight weeks give eight samples of each weekday, enough to average out one
// odd day without remembering habits a user has since changed.
const HistoryDays = 56

// MatchesInterface reports whether the plan meters an interface. counted is
// whether the interface counts in the user-facing total, which is what a plan
// without interface globs meters.
func (s Spec) MatchesInterface(name string, counted bool) bool {
	if len(s.Interfaces) == 0 {
		return counted
	}
	for _, g := range s.Interfaces {
		if ok, _ := path.Match(g, name); ok {
			return true
		}
	}
	return false
}

// MatchesApp reports whether the plan meters application a: always when
// it names no apps; else when one of its Apps is a's command name,
// executable path (or that path's base name), systemd unit or package.
func (s Spec) MatchesApp(a usage.App) bool {
	if len(s.Apps) == 0 {
		return true
	}
	if a == usage.Unattributed {
		return false
	}
	for _, x := range s.Apps {
		if x == a.Name || x == a.Path || (a.Path != "" && x == path.Base(a.Path)) || x == a.Unit || x == a.Package {
			return true
		}
	}
	return false
}

// Status is where a plan stands at one instant.
type Status struct {
	Plan string
	// Active is false when no cycle contains the instant (a one-time pack
	// not yet started or expired); every other field is then zero.
	Active     bool
	CycleStart time.Time // inclusive, local midnight
	CycleEnd   time.Time // exclusive, local midnight

	Used      uint64  // counted bytes this cycle, with the plan's Offset, never below 0
	Cap       uint64  // 0: the plan has no cap
	Remaining uint64  // Cap - Used, 0 when over or without a cap
	Percent   float64 // Used as a percentage of Cap; 0 without a cap

	// DaysLeft is the time to CycleEnd in days, today's remaining part
	// counted as a fraction of today's length (23 or 25 hours on DST days).
	DaysLeft float64
	// WholeDaysLeft is the number of calendar days left, today included.
	WholeDaysLeft int
	// DailyBudget is how much may be used per day for the rest of the
	// cycle without passing the cap (all of Remaining on the last day);
	// 0 without a cap.
	DailyBudget uint64

	// Forecast is the expected Used at CycleEnd, from the rate of the
	// counted time only (see usage.Coverage).
	Forecast uint64
	// ForecastLow and ForecastHigh bound the likely Used at CycleEnd (an
	// 80 % band): wide while little time has been counted, narrowing as
	// history grows. Equal to Forecast when nothing is left to forecast.
	ForecastLow, ForecastHigh uint64
	// MonitoredSince is the first counted instant the forecast knows of
	// (zero: unknown, the history given counts); MonitoredDays is how much
	// counted time, in days, its history holds.
	MonitoredSince time.Time
	MonitoredDays  float64
	// CapDate is the local day the cap is reached: already (the day usage
	// crossed it) or by the forecast. nil when the forecast stays under the
	// cap this cycle or the plan has no cap.
	CapDate *usage.Date
	// CapDateEarliest and CapDateLatest bound CapDate by the band: the day
	// the high and the low edge reach the cap (nil: not this cycle).
	CapDateEarliest, CapDateLatest *usage.Date

	Currency     string  // ISO 4217 code of the costs; "" when the plan has no price
	Cost         float64 // price of Used so far
	ForecastCost float64 // price of Forecast

	// Daily is how much each day of the cycle so far added to the counted
	// total (without Offset), the first day to today, for charts: their
	// running sum plus Offset ends at Used. For rx+tx and rx it is the
	// day's traffic.
	Daily []DayUse
	// Projection is the forecast's running cycle total (with Offset) at
	// the end of each day from today to the cycle's last day: the forecast
	// line of a chart.
	Projection []DayUse
	// Band is the likely range around each Projection day, same days.
	Band []DayBand
}

// DayUse is a byte count of one local day.
type DayUse struct {
	Date  usage.Date
	Bytes uint64
}

// flow is a pair of byte rates or amounts kept in float64 while forecasting,
// per direction so "max" counting can be applied to cycle totals at the end.
type flow struct{ rx, tx float64 }

func (f flow) add(o flow) flow        { return flow{f.rx + o.rx, f.tx + o.tx} }
func (f flow) scale(k float64) flow   { return flow{f.rx * k, f.tx * k} }
func flowOf(t usage.Totals) flow      { return flow{float64(t.Rx), float64(t.Tx)} }
func (f flow) totals() usage.Totals   { return usage.Totals{Rx: roundU(f.rx), Tx: roundU(f.tx)} }
func (s Spec) measure(f flow) float64 { return float64(s.Counts.Of(f.totals())) + float64(s.Offset) }
func clampU(v float64) uint64         { return roundU(max(v, 0)) }
func roundU(v float64) uint64 {
	if v >= math.MaxUint64 { // converting a float beyond uint64 is undefined in Go
		return math.MaxUint64
	}
	return uint64(math.Round(max(v, 0)))
}
func weekdayOf(d usage.Date) time.Weekday { return d.Start(time.UTC).Weekday() }

// Evaluate computes the plan's status at now in zone loc. days are the
// plan's traffic per local day (of the interfaces the plan meters): every
// day of the current cycle so far, today's partial day included, and up to
// HistoryDays before today for weekday patterns. cov is the time pb
// counted; a day outside it is not a day without traffic, and the zero
// Coverage takes the days given as counted (a missing day inside their
// span is then a day without traffic).
//
// The forecast adds, for each remaining second of the cycle, the rate of
// its weekday per counted second over recent weeks, shrunk towards the
// overall rate while a weekday has few samples: weekly rhythms (weekend
// streaming, weekday office hours) show once there are samples, and a user
// who started today is forecast from today's rate. See forecast.go for
// the band.
func Evaluate(s Spec, now time.Time, loc *time.Location, days []usage.DayTotals, cov usage.Coverage) Status {
	if loc == nil {
		loc = time.UTC
	}
	today := usage.DateOf(now.In(loc))
	startD, endD, ok := s.Cycle.Dates(today)
	if !ok {
		return Status{Plan: s.Name}
	}
	st := Status{
		Plan: s.Name, Active: true,
		CycleStart: startD.Start(loc), CycleEnd: endD.Start(loc),
		Cap: s.Cap, Currency: s.Price.Currency,
	}

	byDay := map[usage.Date]flow{}
	earliest := today
	for _, d := range days {
		if d.Date.After(today) || d.Date.Before(today.AddDays(-HistoryDays)) && d.Date.Before(startD) {
			continue
		}
		byDay[d.Date] = byDay[d.Date].add(flowOf(d.Totals))
		if d.Date.Before(earliest) {
			earliest = d.Date
		}
	}

	// Today's remaining share, measured on today's real length.
	todayStart, tomorrowStart := today.Start(loc), today.AddDays(1).Start(loc)
	fracLeft := float64(tomorrowStart.Sub(now)) / float64(tomorrowStart.Sub(todayStart))
	fracLeft = min(max(fracLeft, 0), 1)

	var cycle flow
	var counted uint64 // the counting rule applied to the cycle so far
	for d := startD; !d.After(today); d = d.AddDays(1) {
		cycle = cycle.add(byDay[d])
		// The day's growth of the counted total: the day's bytes for rx+tx
		// and rx; for max, how much the larger direction's total grew.
		c := s.Counts.Of(cycle.totals())
		st.Daily = append(st.Daily, DayUse{Date: d, Bytes: c - min(c, counted)})
		counted = max(counted, c)
	}
	st.Used = clampU(s.measure(cycle))
	if st.Cap > 0 {
		st.Percent = float64(st.Used) / float64(st.Cap) * 100
		if st.Used < st.Cap {
			st.Remaining = st.Cap - st.Used
		}
	}
	st.WholeDaysLeft = today.DaysUntil(endD)
	st.DaysLeft = fracLeft + float64(st.WholeDaysLeft-1)
	if st.Cap > 0 && st.DaysLeft > 0 {
		// On the last day the budget is what is left, not a rate scaled up
		// to a whole day the cycle no longer has.
		st.DailyBudget = roundU(float64(st.Remaining) / max(st.DaysLeft, 1))
	}

	m := newRateModel(byDay, cov, loc, now, today, earliest)
	st.MonitoredSince, st.MonitoredDays = m.since, m.monitored/daySeconds

	// Expected traffic from now to each day's end, and the band around it.
	cum := cycle
	var ahead float64 // expected rx+tx bytes from now on, for the band
	capHit := func(f flow) bool { return st.Cap > 0 && s.measure(f) >= float64(st.Cap)-0.5 }
	capHitB := func(b uint64) bool { return st.Cap > 0 && b >= st.Cap }
	if st.Cap > 0 && st.Used >= st.Cap {
		// Already over: report the day it happened.
		var run flow
		for d := startD; !d.After(today); d = d.AddDays(1) {
			run = run.add(byDay[d])
			if capHit(run) {
				st.CapDate = &d
				break
			}
		}
		st.CapDateEarliest, st.CapDateLatest = st.CapDate, st.CapDate
	}
	var horizon float64 // seconds from now to the end of the day being added
	for d := today; d.Before(endD); d = d.AddDays(1) {
		from := d.Start(loc)
		if d == today {
			from = now
		}
		sec := max(d.AddDays(1).Start(loc).Sub(from).Seconds(), 0)
		exp := m.rate(weekdayOf(d)).scale(sec)
		cum = cum.add(exp)
		ahead += exp.rx + exp.tx
		horizon += sec
		mid := max(clampU(s.measure(cum)), st.Used)
		lo, hi := m.band(st.Used, mid, ahead, horizon)
		st.Projection = append(st.Projection, DayUse{Date: d, Bytes: mid})
		st.Band = append(st.Band, DayBand{Date: d, Low: lo, High: hi})
		if st.CapDate == nil && capHit(cum) {
			st.CapDate = &d
		}
		if st.CapDateEarliest == nil && capHitB(hi) {
			st.CapDateEarliest = &d
		}
		if st.CapDateLatest == nil && capHitB(lo) {
			st.CapDateLatest = &d
		}
	}
	st.Forecast = max(clampU(s.measure(cum)), st.Used)
	st.ForecastLow, st.ForecastHigh = st.Forecast, st.Forecast
	if n := len(st.Band); n > 0 {
		st.ForecastLow, st.ForecastHigh = st.Band[n-1].Low, st.Band[n-1].High
	}
	st.Cost = s.Price.Cost(st.Used, s.Cap)
	st.ForecastCost = s.Price.Cost(st.Forecast, s.Cap)
	return st
}
