package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/packetbuddy/pb/internal/golden"
	"github.com/packetbuddy/pb/internal/plan"
)

// testPlans are three plans over the fixture: the counted total with a
// price, the wired interface's downloads only, and an expired pack.
func testPlans(tb testing.TB) []plan.Spec {
	tb.Helper()
	one := 1
	specs, err := plan.Parse([]plan.RawSpec{
		{Name: "Home", Cap: "10GB", ResetDay: &one, Currency: "EUR", FixedFee: 30, OveragePerGB: 2},
		{Name: "Wired", Cap: "2MB", Interfaces: []string{"eth*"}, Counts: "rx", Thresholds: []int{50, 100}},
		{Name: "Holiday pack", Cap: "5GB", Cycle: "once", Start: "2026-01-01", Expires: "2026-01-31"},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return specs
}

func TestPlans(t *testing.T) {
	f := newFixture(t, false, func(d *Deps) { d.Plans = testPlans(t) })
	a := plan.Alert{Plan: "Home", Kind: plan.AlertThreshold, Threshold: 50, Used: 5e9, Cap: 10e9,
		CycleStart: at(2026, 3, 1, 0, 0), CycleEnd: at(2026, 4, 1, 0, 0), Title: "Home: 50% of the data cap used", Message: "5.00 GB of 10.00 GB used."}
	if err := f.store.AddPlanAlert(context.Background(), at(2026, 3, 4, 9, 30), a); err != nil {
		t.Fatal(err)
	}
	rec := do(t, f.srv.Handler(), "GET", "/api/plans")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	golden.Check(t, "plans.json", rec.Body.Bytes())

	var got plansResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	// The counted plan meters what /api/month counts, pending traffic included.
	var month struct {
		Summary struct {
			TotalBytes uint64 `json:"total_bytes"`
		} `json:"summary"`
	}
	mrec := do(t, f.srv.Handler(), "GET", "/api/month?month=2026-03")
	if err := json.Unmarshal(mrec.Body.Bytes(), &month); err != nil || month.Summary.TotalBytes == 0 {
		t.Fatalf("month: %v %s", err, mrec.Body)
	}
	home, wired, pack := got.Plans[0], got.Plans[1], got.Plans[2]
	if home.UsedBytes != month.Summary.TotalBytes {
		t.Errorf("Home used %d, /api/month total %d", home.UsedBytes, month.Summary.TotalBytes)
	}
	var daily uint64
	for _, d := range home.Daily {
		daily += d.Bytes
	}
	if daily != home.UsedBytes || home.Daily[0].Date != "2026-03-01" || home.Daily[len(home.Daily)-1].Date != "2026-03-08" {
		t.Errorf("Home daily sums to %d over %v, want %d from 03-01 to 03-08", daily, home.Daily, home.UsedBytes)
	}
	if p := home.Projection; len(p) == 0 || p[len(p)-1].Bytes != home.Forecast || p[len(p)-1].Date != home.CycleLastDay {
		t.Errorf("Home projection %v does not end at the forecast %d on %s", p, home.Forecast, home.CycleLastDay)
	}
	// eth0 downloads in March: 1,000,000 + 999,995 + 3,000 + 40,000 stored, 500 pending.
	if want := uint64(1_000_000 + 999_995 + 3_000 + 40_000 + 500); wired.UsedBytes != want || wired.OverThreshold != 100 {
		t.Errorf("Wired used %d (over %d), want %d over 100", wired.UsedBytes, wired.OverThreshold, want)
	}
	if pack.Active || pack.UsedBytes != 0 || pack.CycleStart != "" {
		t.Errorf("expired pack: %+v", pack)
	}
	if len(got.Alerts) != 1 || got.Alerts[0].Plan != "Home" || got.Alerts[0].Threshold != 50 {
		t.Errorf("alerts %+v", got.Alerts)
	}

	// The /metrics gauges say the same.
	metrics := do(t, f.srv.Handler(), "GET", "/metrics").Body.String()
	for _, want := range []string{
		`pb_plan_used_bytes{plan="Home"} ` + strconv.FormatUint(home.UsedBytes, 10),
		`pb_plan_used_bytes{plan="Wired"} ` + strconv.FormatUint(wired.UsedBytes, 10),
		`pb_plan_forecast_bytes{plan="Home"} ` + strconv.FormatUint(home.Forecast, 10),
		`pb_plan_threshold_reached_percent{plan="Wired"} 100`,
		`pb_plan_active{plan="Holiday pack"} 0`,
		`pb_plan_cap_bytes{plan="Home"} 10000000000`,
	} {
		if !strings.Contains(metrics, want+"\n") {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestPlansNone(t *testing.T) {
	f := newFixture(t, true)
	rec := do(t, f.srv.Handler(), "GET", "/api/plans")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"plans":[]`) || !strings.Contains(rec.Body.String(), `"alerts":[]`) {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if strings.Contains(do(t, f.srv.Handler(), "GET", "/metrics").Body.String(), "pb_plan_") {
		t.Error("/metrics has plan gauges without plans")
	}
}

func TestPlansBadParameter(t *testing.T) {
	f := newFixture(t, true, func(d *Deps) { d.Plans = testPlans(t) })
	for _, q := range []string{"alerts=abc", "alerts=-1", "alerts=201"} {
		rec := do(t, f.srv.Handler(), "GET", "/api/plans?"+q)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `"error"`) {
			t.Errorf("%s: status %d %s", q, rec.Code, rec.Body)
		}
	}
}
