package plan

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/golden"
	"github.com/packetbuddy/pb/internal/usage"
)

// history is traffic generated from a rate: bytes(a, b) is what passed in
// [a, b). It yields what the store would: one DayTotals per local day from
// the first day read to today, zero before the install, and the coverage
// from the install on.
type history struct {
	loc     *time.Location
	install time.Time
	bytes   func(a, b time.Time) float64
	gaps    []usage.Span
}

func (h history) at(now time.Time) ([]usage.DayTotals, usage.Coverage) {
	today := usage.DateOf(now.In(h.loc))
	var days []usage.DayTotals
	for d := today.AddDays(-HistoryDays - 31); !d.After(today); d = d.AddDays(1) {
		a, b := d.Start(h.loc), d.AddDays(1).Start(h.loc)
		a, b = later(a, h.install), earlier(b, now)
		var n float64
		if b.After(a) {
			n = h.bytes(a, b)
			for _, g := range h.gaps {
				if lo, hi := later(a, g.From), earlier(b, g.To); hi.After(lo) {
					n -= h.bytes(lo, hi)
				}
			}
		}
		u := uint64(math.Round(n))
		days = append(days, usage.DayTotals{Date: d, Totals: usage.Totals{Rx: u / 4 * 3, Tx: u - u/4*3}})
	}
	return days, usage.Coverage{Since: h.install, Gaps: h.gaps}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func steady(perSec float64) func(a, b time.Time) float64 {
	return func(a, b time.Time) float64 { return b.Sub(a).Seconds() * perSec }
}

// A user who installs pb in the middle of a cycle and uses a constant rate
// is forecast within 5 % of the truth from the second day on (exactly, in
// fact), in zones whose March has a 23-hour day, and the forecast stays
// honest about the days before the install: they are not days without
// traffic.
func TestForecastInstalledMidCycle(t *testing.T) {
	for _, zone := range []string{"Europe/Berlin", "America/New_York", "Asia/Kolkata"} {
		loc := golden.Location(zone)
		install := time.Date(2026, 3, 6, 15, 20, 0, 0, loc)
		rate := 1.6e9 / 86400 // 1.6 GB a day
		h := history{loc: loc, install: install, bytes: steady(rate)}
		s := Spec{Name: "p", Cap: 500e9, Cycle: Cycle{Kind: Monthly, ResetDay: 1}, Counts: CountRxTx}
		end := time.Date(2026, 4, 1, 0, 0, 0, 0, loc)
		truth := rate * end.Sub(install).Seconds()
		secondDay := usage.Date{Year: 2026, Month: 3, Day: 7}.Start(loc)
		for now := install.Add(40 * time.Minute); now.Before(end); now = now.Add(7 * time.Hour) {
			days, cov := h.at(now)
			st := Evaluate(s, now, loc, days, cov)
			miss := math.Abs(float64(st.Forecast)-truth) / truth
			if !now.Before(secondDay) && miss > 0.05 {
				t.Errorf("%s at %s: forecast %d, truth %.0f (%.1f%% off)", zone, now.Format(time.RFC3339), st.Forecast, truth, miss*100)
			}
			if st.ForecastLow > st.Forecast || st.ForecastHigh < st.Forecast || st.ForecastLow < st.Used {
				t.Errorf("%s at %s: band %d..%d around %d, used %d", zone, now.Format(time.RFC3339), st.ForecastLow, st.ForecastHigh, st.Forecast, st.Used)
			}
			if !st.MonitoredSince.Equal(install) {
				t.Errorf("MonitoredSince %v, want %v", st.MonitoredSince, install)
			}
		}
		// Without coverage the days before the install would count as
		// days without traffic: the old forecast, far too low.
		now := time.Date(2026, 3, 8, 12, 0, 0, 0, loc)
		days, _ := h.at(now)
		if st := Evaluate(s, now, loc, days, usage.Coverage{}); float64(st.Forecast) > truth/3 {
			t.Errorf("%s: the days before the install do not lower a forecast without coverage (%d, truth %.0f): the test does not test", zone, st.Forecast, truth)
		}
	}
}

// The case from the bug report: 44.5 MB in the first 40 minutes. The
// forecast is that rate over the rest of the cycle, its band is wide, and
// the "forecast passes the cap" alert waits until history supports it.
func TestForecastFortyMinutes(t *testing.T) {
	loc := golden.Location("Europe/Berlin")
	install := time.Date(2026, 3, 12, 9, 0, 0, 0, loc)
	rate := 44.5e6 / (40 * 60)
	h := history{loc: loc, install: install, bytes: steady(rate)}
	s := Spec{Name: "Mobile", Cap: 15e9, Cycle: Cycle{Kind: Monthly, ResetDay: 1}, Counts: CountRxTx, Thresholds: DefaultThresholds}
	now := install.Add(40 * time.Minute)
	days, cov := h.at(now)
	st := Evaluate(s, now, loc, days, cov)
	end := time.Date(2026, 4, 1, 0, 0, 0, 0, loc)
	if want := uint64(math.Round(rate * end.Sub(install).Seconds())); st.Used != 44_500_000 || absDiff(st.Forecast, want) > 2 {
		t.Fatalf("used %d, forecast %d: want 44500000 and %d", st.Used, st.Forecast, want)
	}
	if st.ForecastLow != st.Used || st.ForecastHigh < 2*st.Forecast {
		t.Errorf("band %d..%d after 40 minutes: want it from what is used (%d) to at least twice the forecast (%d)", st.ForecastLow, st.ForecastHigh, st.Used, st.Forecast)
	}
	if st.CapDate == nil || st.CapDateLatest != nil || st.CapDateEarliest == nil || st.CapDateEarliest.After(*st.CapDate) {
		t.Errorf("cap dates %v, earliest %v, latest %v: want a date, an earlier or equal earliest, no latest", st.CapDate, st.CapDateEarliest, st.CapDateLatest)
	}

	// Hour by hour: the forecast alert stays quiet through the first day,
	// then fires once the days confirm the rate (about 1.6 GB a day, 30 GB
	// by the cycle's end, twice the cap).
	var as AlertState
	var fired time.Time
	for now := install.Add(40 * time.Minute); now.Before(end) && fired.IsZero(); now = now.Add(time.Hour) {
		days, cov := h.at(now)
		st := Evaluate(s, now, loc, days, cov)
		for _, a := range CheckAlerts(&as, s, st, st.CycleStart) {
			if a.Kind == AlertForecast {
				fired = now
			}
		}
	}
	if fired.IsZero() || fired.Before(install.Add(24*time.Hour)) || fired.After(install.Add(4*24*time.Hour)) {
		t.Errorf("forecast alert fired at %v: want between one and four days after the install (%v)", fired, install)
	}
}

// A first day with one big download, then a modest steady use that ends
// the cycle well under the cap: no forecast alert on the first day.
func TestForecastFirstDayNoise(t *testing.T) {
	loc := golden.Location("America/New_York")
	install := time.Date(2026, 3, 10, 8, 0, 0, 0, loc)
	burstEnd := install.Add(90 * time.Minute)
	base := steady(0.5e9 / 86400)
	bytes := func(a, b time.Time) float64 {
		n := base(a, b)
		if lo, hi := a, earlier(b, burstEnd); hi.After(lo) {
			n += 4e9 * hi.Sub(lo).Seconds() / burstEnd.Sub(install).Seconds() // 4 GB in 90 minutes
		}
		return n
	}
	h := history{loc: loc, install: install, bytes: bytes}
	s := Spec{Name: "Mobile", Cap: 20e9, Cycle: Cycle{Kind: Monthly, ResetDay: 1}, Counts: CountRxTx}
	var as AlertState
	for now := install.Add(10 * time.Minute); now.Before(install.Add(24 * time.Hour)); now = now.Add(10 * time.Minute) {
		days, cov := h.at(now)
		st := Evaluate(s, now, loc, days, cov)
		for _, a := range CheckAlerts(&as, s, st, st.CycleStart) {
			t.Errorf("at %s (forecast %d, band %d..%d): %s", now.Format(time.RFC3339), st.Forecast, st.ForecastLow, st.ForecastHigh, a.Message)
		}
	}
}

// For one evaluation instant, more counted history narrows the band, with
// a constant rate and with a noisy one; the band holds the truth of the
// noisy one.
func TestForecastBandNarrows(t *testing.T) {
	loc := golden.Location("Europe/Berlin")
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, loc)
	end := time.Date(2026, 4, 1, 0, 0, 0, 0, loc)
	// noisy: each local day has its own rate, 0.4 to 1.6 GB a day.
	noisy := func(a, b time.Time) float64 {
		var n float64
		for t0 := a; t0.Before(b); {
			d := usage.DateOf(t0.In(loc))
			t1 := earlier(d.AddDays(1).Start(loc), b)
			k := float64((d.Day*7+int(d.Month)*3)%13) / 12 // 0..1, deterministic
			n += t1.Sub(t0).Seconds() * (0.4e9 + 1.2e9*k) / 86400
			t0 = t1
		}
		return n
	}
	for name, gen := range map[string]func(a, b time.Time) float64{"constant": steady(1e9 / 86400), "noisy": noisy} {
		s := Spec{Name: "p", Cap: 1e15, Cycle: Cycle{Kind: Monthly, ResetDay: 1}, Counts: CountRxTx}
		prev := math.Inf(1)
		for _, back := range []time.Duration{2 * time.Hour, 26 * time.Hour, 3 * 24 * time.Hour, 7 * 24 * time.Hour, 14 * 24 * time.Hour, 28 * 24 * time.Hour, 56 * 24 * time.Hour} {
			h := history{loc: loc, install: now.Add(-back), bytes: gen}
			days, cov := h.at(now)
			st := Evaluate(s, now, loc, days, cov)
			width := float64(st.ForecastHigh-st.ForecastLow) / float64(st.Forecast-st.Used)
			if width >= prev {
				t.Errorf("%s, %v of history: band %.3f of the remaining forecast, not narrower than %.3f", name, back, width, prev)
			}
			prev = width
			if back >= 7*24*time.Hour {
				truth := float64(st.Used) + gen(now, end)
				if truth < float64(st.ForecastLow) || truth > float64(st.ForecastHigh) {
					t.Errorf("%s, %v of history: truth %.0f outside the band %d..%d", name, back, truth, st.ForecastLow, st.ForecastHigh)
				}
			}
		}
	}
}

// A gap (a reboot after which nothing was counted for a day) does not
// lower the rate: the forecast is the rate of the counted time.
func TestForecastGap(t *testing.T) {
	loc := golden.Location("UTC")
	install := time.Date(2026, 3, 2, 0, 0, 0, 0, loc)
	gap := usage.Span{From: time.Date(2026, 3, 5, 6, 0, 0, 0, loc), To: time.Date(2026, 3, 7, 6, 0, 0, 0, loc)}
	rate := 2e9 / 86400
	h := history{loc: loc, install: install, bytes: steady(rate), gaps: []usage.Span{gap}}
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, loc)
	days, cov := h.at(now)
	s := Spec{Name: "p", Cap: 1e12, Cycle: Cycle{Kind: Monthly, ResetDay: 1}, Counts: CountRxTx}
	st := Evaluate(s, now, loc, days, cov)
	want := float64(st.Used) + rate*time.Date(2026, 4, 1, 0, 0, 0, 0, loc).Sub(now).Seconds()
	if math.Abs(float64(st.Forecast)-want) > 2 {
		t.Errorf("forecast %d, want %.0f", st.Forecast, want)
	}
	if got := fmt.Sprintf("%.2f", st.MonitoredDays); got != "6.50" {
		t.Errorf("MonitoredDays %s, want 6.50 (8.5 days less the 2-day gap)", got)
	}
}

func absDiff(a, b uint64) uint64 {
	if a > b {
		return a - b
	}
	return b - a
}
