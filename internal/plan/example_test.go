package plan_test

import (
	"fmt"
	"time"

	"github.com/packetbuddy/pb/internal/plan"
	"github.com/packetbuddy/pb/internal/units"
	"github.com/packetbuddy/pb/internal/usage"
)

// The whole flow the daemon will run on each tick: parse the [[plan]]
// tables once, then evaluate each plan and check its alerts.
func Example() {
	day := 31
	specs, err := plan.Parse([]plan.RawSpec{{
		Name: "Home fibre", Cap: "100GB", ResetDay: &day, Currency: "EUR", FixedFee: 30, OveragePerGB: 2,
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	loc := time.UTC
	now := time.Date(2026, 2, 14, 12, 0, 0, 0, loc)
	var days []usage.DayTotals // 4 GB a day since the cycle began on January 31, 2 GB so far today
	for d := (usage.Date{Year: 2026, Month: 1, Day: 31}); d.Before(usage.DateOf(now)); d = d.AddDays(1) {
		days = append(days, usage.DayTotals{Date: d, Totals: usage.Totals{Rx: 3e9, Tx: 1e9}})
	}
	days = append(days, usage.DayTotals{Date: usage.DateOf(now), Totals: usage.Totals{Rx: 1.5e9, Tx: 0.5e9}})
	st := plan.Evaluate(specs[0], now, loc, days, usage.Coverage{})
	fmt.Printf("cycle %s .. %s\n", usage.DateOf(st.CycleStart), usage.DateOf(st.CycleEnd))
	fmt.Printf("used %s of %s, %.1f days left, budget %s/day\n",
		units.FormatBytes(st.Used), units.FormatBytes(st.Cap), st.DaysLeft, units.FormatBytes(st.DailyBudget))
	fmt.Printf("forecast %s, cap on %v, cost %s → %s\n", units.FormatBytes(st.Forecast), st.CapDate,
		units.FormatMoney(st.Cost, st.Currency), units.FormatMoney(st.ForecastCost, st.Currency))

	var state plan.AlertState
	for _, a := range plan.CheckAlerts(&state, specs[0], st, st.CycleStart) {
		fmt.Println(a.Kind, a.Threshold, a.Title)
	}
	// Output:
	// cycle 2026-01-31 .. 2026-02-28
	// used 58.00 GB of 100.00 GB, 13.5 days left, budget 3.11 GB/day
	// forecast 112.00 GB, cap on 2026-02-24, cost €30.00 → €54.00
	// threshold 50 Home fibre: 50% of the data cap used
	// forecast 0 Home fibre: on track to pass the cap
}
