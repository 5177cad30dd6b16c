package plan

import (
	"math"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/golden"
	"github.com/packetbuddy/pb/internal/usage"
)

// series makes one DayTotals per day in [from, to] (inclusive), with per(d)
// bytes split 3:1 between downloads and uploads.
func series(from, to usage.Date, per func(usage.Date) uint64) []usage.DayTotals {
	var out []usage.DayTotals
	for d := from; !d.After(to); d = d.AddDays(1) {
		n := per(d)
		out = append(out, usage.DayTotals{Date: d, Totals: usage.Totals{Rx: n / 4 * 3, Tx: n - n/4*3}})
	}
	return out
}

func constant(n uint64) func(usage.Date) uint64 { return func(usage.Date) uint64 { return n } }

// 10 GB per calendar day is a constant rate only where the days of March
// are all 24 hours long: DST zones are in TestForecastInstalledMidCycle.
func TestEvaluateConstantRate(t *testing.T) {
	for _, zone := range []string{"UTC", "Asia/Kolkata", "Pacific/Kiritimati", "Etc/GMT+12"} {
		loc := golden.Location(zone)
		// 10 GB every day; it is noon on March 5 and 5 GB went today so far.
		days := series(date(2026, 1, 10), date(2026, 3, 4), constant(10e9))
		days = append(days, usage.DayTotals{Date: date(2026, 3, 5), Totals: usage.Totals{Rx: 4e9, Tx: 1e9}})
		now := time.Date(2026, 3, 5, 12, 0, 0, 0, loc)
		tests := []struct {
			name    string
			cap     uint64
			capDate *usage.Date
		}{
			{"hit on the 10th", 100e9, &usage.Date{Year: 2026, Month: 3, Day: 10}},
			{"hit on the 11th", 100e9 + 1, &usage.Date{Year: 2026, Month: 3, Day: 11}},
			{"hit today", 47e9, &usage.Date{Year: 2026, Month: 3, Day: 5}},
			{"already hit on the 4th", 40e9, &usage.Date{Year: 2026, Month: 3, Day: 4}},
			{"last day", 310e9, &usage.Date{Year: 2026, Month: 3, Day: 31}},
			{"not this cycle", 311e9, nil},
		}
		for _, tt := range tests {
			t.Run(zone+"/"+tt.name, func(t *testing.T) {
				s := Spec{Name: "p", Cap: tt.cap, Cycle: Cycle{Kind: Monthly, ResetDay: 1}, Counts: CountRxTx}
				st := Evaluate(s, now, loc, days, usage.Coverage{})
				if !st.Active || st.Used != 45e9 || st.WholeDaysLeft != 27 || st.DaysLeft != 26.5 {
					t.Fatalf("status %+v: want used 45e9, 27 whole days, 26.5 days left", st)
				}
				if !st.CycleStart.Equal(date(2026, 3, 1).Start(loc)) || !st.CycleEnd.Equal(date(2026, 4, 1).Start(loc)) {
					t.Errorf("cycle %v..%v", st.CycleStart, st.CycleEnd)
				}
				if st.Forecast != 310e9 {
					t.Errorf("Forecast = %d, want 310e9", st.Forecast)
				}
				if (st.CapDate == nil) != (tt.capDate == nil) || st.CapDate != nil && *st.CapDate != *tt.capDate {
					t.Errorf("CapDate = %v, want %v", st.CapDate, tt.capDate)
				}
				if tt.cap > 45e9 {
					if st.Remaining != tt.cap-45e9 {
						t.Errorf("Remaining = %d", st.Remaining)
					}
					if want := roundU(float64(tt.cap-45e9) / 26.5); st.DailyBudget != want {
						t.Errorf("DailyBudget = %d, want %d", st.DailyBudget, want)
					}
				} else if st.Remaining != 0 || st.DailyBudget != 0 {
					t.Errorf("over the cap: Remaining %d, DailyBudget %d", st.Remaining, st.DailyBudget)
				}
			})
		}
	}
}

// With weekends at 3× weekdays, the weekday-aware forecast lands within a
// few percent of the truth while a flat average of the cycle so far misses.
func TestEvaluateWeekdayPattern(t *testing.T) {
	loc := golden.Location("Europe/Berlin")
	per := func(d usage.Date) uint64 {
		if wd := weekdayOf(d); wd == time.Saturday || wd == time.Sunday {
			return 6e9
		}
		return 2e9
	}
	s := Spec{Name: "p", Cap: 200e9, Cycle: Cycle{Kind: Monthly, ResetDay: 1}, Counts: CountRxTx}
	// March 2026 starts on a Sunday; evaluate at several points in the month.
	for _, day := range []int{3, 6, 9, 16, 23} {
		now := time.Date(2026, 3, day, 0, 0, 0, 0, loc)
		days := series(date(2026, 1, 1), date(2026, 3, day-1), per)
		days = append(days, usage.DayTotals{Date: date(2026, 3, day)}) // nothing yet today
		truth := 0.0
		for _, d := range series(date(2026, 3, 1), date(2026, 3, 31), per) {
			truth += float64(d.Total())
		}
		st := Evaluate(s, now, loc, days, usage.Coverage{})
		flat := float64(st.Used) / float64(day-1) * 31
		errPattern := math.Abs(float64(st.Forecast)-truth) / truth
		errFlat := math.Abs(flat-truth) / truth
		if errPattern > 0.02 || errPattern >= errFlat {
			t.Errorf("March %d: forecast %.1f GB (error %.1f%%), flat %.1f GB (error %.1f%%), truth %.1f GB",
				day, float64(st.Forecast)/1e9, errPattern*100, flat/1e9, errFlat*100, truth/1e9)
		}
	}
}

func TestEvaluateCountingOffsetCost(t *testing.T) {
	loc := time.UTC
	now := time.Date(2026, 5, 10, 18, 0, 0, 0, loc) // 6 h of the day left
	days := []usage.DayTotals{
		{Date: date(2026, 5, 1), Totals: usage.Totals{Rx: 8e9, Tx: 1e9}},
		{Date: date(2026, 5, 2), Totals: usage.Totals{Rx: 1e9, Tx: 4e9}},
		{Date: date(2026, 4, 30), Totals: usage.Totals{Rx: 50e9, Tx: 50e9}}, // previous cycle
	}
	tests := []struct {
		name   string
		counts Counting
		offset int64
		price  Price
		used   uint64
		cost   float64
	}{
		{"rx+tx", CountRxTx, 0, Price{}, 14e9, 0},
		{"rx", CountRx, 0, Price{}, 9e9, 0},
		{"max of cycle totals", CountMax, 0, Price{}, 9e9, 0},
		{"offset up", CountRxTx, 1.2e9, Price{}, 15.2e9, 0},
		{"offset down clamps at zero", CountRxTx, -20e9, Price{}, 0, 0},
		{"per GB", CountRxTx, 0, Price{Kind: PerGB, Currency: "USD", Rate: 0.25}, 14e9, 3.5},
		{"overage", CountRxTx, 0, Price{Kind: FixedOverage, Currency: "EUR", Fixed: 20, Rate: 1}, 14e9, 24},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Spec{Name: "p", Cap: 10e9, Cycle: Cycle{Kind: Monthly, ResetDay: 1}, Counts: tt.counts, Offset: tt.offset, Price: tt.price}
			st := Evaluate(s, now, loc, days, usage.Coverage{})
			if st.Used != tt.used || st.Cost != tt.cost || st.Currency != tt.price.Currency {
				t.Errorf("Used %d cost %v %s, want %d cost %v %s", st.Used, st.Cost, st.Currency, tt.used, tt.cost, tt.price.Currency)
			}
			if st.Forecast < st.Used || st.ForecastCost < st.Cost {
				t.Errorf("forecast %d (cost %v) below used %d (cost %v)", st.Forecast, st.ForecastCost, st.Used, st.Cost)
			}
			if st.DaysLeft != 21.25 || st.WholeDaysLeft != 22 {
				t.Errorf("DaysLeft %v WholeDaysLeft %d, want 21.25 and 22", st.DaysLeft, st.WholeDaysLeft)
			}
			// The chart's solid line (running Daily + Offset) ends at Used,
			// for max too, and the dashed one at Forecast.
			run := tt.offset
			for _, d := range st.Daily {
				run += int64(d.Bytes)
			}
			if uint64(max(run, 0)) != st.Used {
				t.Errorf("Daily sums to %d with the offset, Used is %d", run, st.Used)
			}
			if p := st.Projection; len(p) == 0 || p[len(p)-1].Bytes != st.Forecast {
				t.Errorf("Projection %v does not end at Forecast %d", p, st.Forecast)
			}
		})
	}
}

func TestEvaluateInactivePackAndNoCap(t *testing.T) {
	pack := Spec{Name: "trip", Cap: 5e9, Cycle: Cycle{Kind: OneTime, Start: date(2026, 3, 1), Expires: date(2026, 3, 14)}}
	if st := Evaluate(pack, time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC), time.UTC, nil, usage.Coverage{}); st.Active || st.Plan != "trip" || st.Used != 0 {
		t.Errorf("expired pack: %+v", st)
	}
	st := Evaluate(pack, time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC), time.UTC,
		[]usage.DayTotals{{Date: date(2026, 3, 14), Totals: usage.Totals{Rx: 1e9}}}, usage.Coverage{})
	if !st.Active || st.Used != 1e9 || st.DaysLeft != 0.5 || st.WholeDaysLeft != 1 || st.Percent != 20 || st.DailyBudget != 4e9 {
		t.Errorf("last day of pack: %+v", st)
	}
	noCap := Spec{Name: "free", Cycle: Cycle{Kind: Monthly, ResetDay: 1}}
	st = Evaluate(noCap, time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC), time.UTC, series(date(2026, 3, 1), date(2026, 3, 14), constant(1e9)), usage.Coverage{})
	if st.CapDate != nil || st.Remaining != 0 || st.DailyBudget != 0 || st.Percent != 0 || st.Used != 14e9 {
		t.Errorf("no cap: %+v", st)
	}
}

func TestMatchesInterface(t *testing.T) {
	s := Spec{Interfaces: []string{"usb*", "wwan0"}}
	for name, want := range map[string]bool{"usb0": true, "wwan0": true, "eth0": false} {
		if got := s.MatchesInterface(name, true); got != want {
			t.Errorf("MatchesInterface(%q) = %v", name, got)
		}
	}
	if !(Spec{}).MatchesInterface("eth0", true) || (Spec{}).MatchesInterface("docker0", false) {
		t.Error("a plan without globs meters the counted interfaces")
	}
}
