package e2e

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/chromium"
	"github.com/packetbuddy/pb/internal/plan"
	"github.com/packetbuddy/pb/internal/usage"
)

// planStatus is the part of /api/plans the page shows.
type planStatus struct {
	Name                  string  `json:"name"`
	Active                bool    `json:"active"`
	UsedBytes             uint64  `json:"used_bytes"`
	CapBytes              uint64  `json:"cap_bytes"`
	RemainingBytes        uint64  `json:"remaining_bytes"`
	Percent               float64 `json:"percent"`
	DailyBudgetBytes      uint64  `json:"daily_budget_bytes"`
	Currency              string  `json:"currency"`
	CostFormatted         string  `json:"cost_formatted"`
	ForecastCostFormatted string  `json:"forecast_cost_formatted"`
	HumanReadable         struct {
		Used, Cap, Remaining string
		DailyBudget          string `json:"daily_budget"`
	} `json:"human_readable"`
	Daily      []planDay `json:"daily"`
	Projection []planDay `json:"projection"`
	Band       []struct {
		Date string  `json:"date"`
		Low  float64 `json:"low_bytes"`
		High float64 `json:"high_bytes"`
	} `json:"projection_band"`
}

// planChartJSON is a plan card's chart as Chart.js holds it: the day
// labels and each dataset's points by label (null where a line has none).
type planChartJSON struct {
	Labels   []string
	Datasets map[string][]*float64
}

type planDay struct {
	Date  string `json:"date"`
	Bytes uint64 `json:"bytes"`
}

// pagePercent is how the page writes a percentage: at most one decimal
// (plans.js percent: Math.round(x * 10) / 10).
func pagePercent(x float64) string {
	return strconv.FormatFloat(math.Round(x*10)/10, 'f', -1, 64) + "%"
}

// testPlans are the data plans over the known data (about 20 GB a day):
// one priced, past its 80 % alert and on track to pass its cap (about
// 180 GB of 200 GB), one far over its cap with an alert
// fired, one without a cap, and a one-time pack that expired long ago.
func testPlans(t *testing.T, today usage.Date) []plan.Spec {
	t.Helper()
	resetDay := 1
	specs, err := plan.Parse([]plan.RawSpec{
		{Name: "Home fibre", Cap: "200GB", Cycle: "days", EveryDays: 30, Start: today.AddDays(-9).String(), Currency: "EUR", PricePerGB: 0.05, Thresholds: []int{50, 80, 100}},
		{Name: "Mobile", Interfaces: []string{"wlan0"}, Cap: "100MB", Cycle: "monthly", ResetDay: &resetDay, Counts: "rx"},
		{Name: "Office", Cycle: "monthly", Currency: "USD", PricePerGB: 0.01},
		{Name: "Holiday pack", Cap: "5GB", Cycle: "once", Start: "2020-01-01", Expires: "2020-01-31"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return specs
}

func TestDashboardPlans(t *testing.T) {
	chromium.Find(t)
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, testPlans(t, usage.DateOf(time.Now().In(loc)))...)
	ctx, p, base := e.ctx, e.p, e.srv.base
	alertAt := e.now.Add(-90 * time.Minute)
	if err := e.st.AddPlanAlert(ctx, alertAt, plan.Alert{Plan: "Mobile", Kind: plan.AlertThreshold, Threshold: 100, Used: 2e8, Cap: 1e8, Percent: 200,
		Title: "Mobile: data cap reached", Message: "200.00 MB of 100.00 MB used."}); err != nil {
		t.Fatal(err)
	}

	p.navigate(ctx, base+"/dashboard/")
	p.waitTrue(ctx, "the first data", `document.body.dataset.ready === 'true'`)
	p.waitTrue(ctx, "the plans section", `!document.getElementById('plans').hidden && document.querySelectorAll('#plan-cards .plan').length === 4`)

	var resp struct {
		Plans  []planStatus `json:"plans"`
		Alerts []struct{ Title string }
	}
	getJSON(t, base+"/api/plans?alerts=5", &resp)
	if len(resp.Plans) != 4 {
		t.Fatalf("/api/plans has %d plans, want 4", len(resp.Plans))
	}

	type cardJSON struct {
		Class, Used, Remaining, Budget, Pct, Cost, ForecastCost, Cycle, Forecast string
		Bar                                                                      *struct{ Now, Max, Text string }
		Ticks                                                                    int
		Chart                                                                    *planChartJSON
	}
	for _, want := range resp.Plans {
		var got cardJSON
		p.mustEval(ctx, fmt.Sprintf(`(() => {
			const card = document.querySelector('#plan-cards .plan[data-plan=%q]');
			if (!card) return null;
			const text = (sel) => card.querySelector(sel)?.textContent.trim() ?? '';
			const bar = card.querySelector('[role=progressbar]');
			const canvas = card.querySelector('canvas');
			const chart = canvas && Chart.getChart(canvas);
			return {
				Class: card.className, Used: text('.plan-used'), Remaining: text('.plan-remaining'), Budget: text('.plan-budget'),
				Pct: text('.plan-pct'), Cost: text('.plan-cost'), ForecastCost: text('.plan-forecast-cost'),
				Cycle: text('.plan-cycle'), Forecast: text('.plan-forecast'),
				Bar: bar && { Now: bar.getAttribute('aria-valuenow'), Max: bar.getAttribute('aria-valuemax'), Text: bar.getAttribute('aria-valuetext') },
				Ticks: card.querySelectorAll('.plan-tick').length,
				Chart: chart && { Labels: chart.data.labels, Datasets: Object.fromEntries(chart.data.datasets.map((d) => [d.label, d.data])) },
			};
		})()`, want.Name), &got)
		name := want.Name
		t.Logf("%s: %+v", name, got)
		if got.Class == "" {
			t.Errorf("%s: no card", name)
			continue
		}
		if !want.Active {
			if !strings.Contains(got.Class, "is-inactive") || got.Bar != nil || got.Chart != nil || got.Used != "" {
				t.Errorf("%s (inactive): class %q, bar %v, chart %v, used %q; want a muted card without numbers", name, got.Class, got.Bar, got.Chart, got.Used)
			}
			continue
		}
		if got.Used != want.HumanReadable.Used {
			t.Errorf("%s: used %q, want %q (from the API)", name, got.Used, want.HumanReadable.Used)
		}
		if want.Currency != "" && got.Cost != want.CostFormatted {
			t.Errorf("%s: cost %q, want %q", name, got.Cost, want.CostFormatted)
		}
		if want.CapBytes == 0 {
			if got.Bar != nil || got.Remaining != "" || got.Chart != nil {
				t.Errorf("%s (no cap): bar %v, remaining %q, chart %v; want used and cost only", name, got.Bar, got.Remaining, got.Chart != nil)
			}
			continue
		}
		if got.Remaining != want.HumanReadable.Remaining || got.Budget != want.HumanReadable.DailyBudget || got.Pct != pagePercent(want.Percent) {
			t.Errorf("%s: remaining %q, budget %q, percent %q; want %q, %q, %q", name, got.Remaining, got.Budget, got.Pct,
				want.HumanReadable.Remaining, want.HumanReadable.DailyBudget, pagePercent(want.Percent))
		}
		if got.Bar == nil {
			t.Errorf("%s: no progress bar", name)
		} else if now, err := strconv.ParseFloat(got.Bar.Now, 64); err != nil || now != want.Percent || got.Bar.Max != fmt.Sprint(math.Max(100, want.Percent)) {
			t.Errorf("%s: progress bar %+v, want aria-valuenow %v", name, got.Bar, want.Percent)
		}
		over := want.Percent >= 100
		if strings.Contains(got.Class, "is-over") != over {
			t.Errorf("%s: class %q at %v%%", name, got.Class, want.Percent)
		}
		if want.ForecastCostFormatted != "" && got.ForecastCost != want.ForecastCostFormatted {
			t.Errorf("%s: forecast cost %q, want %q", name, got.ForecastCost, want.ForecastCostFormatted)
		}
		if !strings.Contains(got.Forecast, "On track for") && !strings.HasPrefix(got.Forecast, "Over the cap") {
			t.Errorf("%s: forecast line %q", name, got.Forecast)
		}
		checkPlanChart(t, name, want, got.Chart)
	}

	// The priced plan will pass its cap; the other is over it.
	var home, mobile string
	p.mustEval(ctx, `document.querySelector('.plan[data-plan="Home fibre"] .plan-forecast').textContent`, &home)
	p.mustEval(ctx, `document.querySelector('.plan[data-plan="Mobile"]').className`, &mobile)
	if !strings.Contains(home, "cap reached around") {
		t.Errorf("Home fibre forecast %q: the fixture should pass its cap this cycle", home)
	}
	if !strings.Contains(mobile, "is-over") {
		t.Errorf("Mobile card class %q: the fixture should be over its cap", mobile)
	}

	var alerts []string
	p.mustEval(ctx, `[...document.querySelectorAll('#plan-alert-list li')].map((li) => li.textContent)`, &alerts)
	if len(alerts) != len(resp.Alerts) || len(alerts) == 0 || !strings.Contains(alerts[0], resp.Alerts[0].Title) {
		t.Errorf("alerts on the page %q, the API has %+v", alerts, resp.Alerts)
	}

	e.screenshots(t, "plans")
	p.mustEval(ctx, `document.getElementById('plans').scrollIntoView()`, nil)
	settle(ctx, p)
	p.viewportShot(ctx, filepath.Join(e.artifacts, "plans-section-1280-light.png"))
	e.checkClean(t)
}

// checkPlanChart compares a plan's chart with /api/plans: the running
// total of the daily use ends at the use so far, and the dashed forecast
// holds the projection for every day after today.
func checkPlanChart(t *testing.T, name string, want planStatus, chart *planChartJSON) {
	t.Helper()
	if chart == nil {
		t.Errorf("%s: no chart", name)
		return
	}
	used, forecast, capLine := chart.Datasets["Used"], chart.Datasets["Forecast"], chart.Datasets["Cap"]
	if len(used) == 0 || len(forecast) != len(used) || len(capLine) != len(used) || len(chart.Labels) != len(used) {
		t.Errorf("%s: chart datasets %d used, %d forecast, %d cap points over %d days", name, len(used), len(forecast), len(capLine), len(chart.Labels))
		return
	}
	last := len(want.Daily) - 1
	if last < 0 || used[last] == nil || uint64(*used[last]) != want.UsedBytes {
		t.Errorf("%s: the used line ends at %v, want %d (used_bytes)", name, used, want.UsedBytes)
	}
	if capLine[0] == nil || uint64(*capLine[0]) != want.CapBytes {
		t.Errorf("%s: cap line at %v, want %d", name, capLine[0], want.CapBytes)
	}
	if len(want.Projection) < 2 {
		return // the cycle's last day: nothing after today
	}
	// The likely range: its two edges at the cycle's last day are the
	// API's band (to within 0.1 %, as the forecast).
	low, high := chart.Datasets["Likely low"], chart.Datasets["Likely high"]
	if n := len(want.Band); n == 0 || len(low) != len(used) || len(high) != len(used) {
		t.Errorf("%s: band of %d days, chart edges %d and %d points", name, n, len(low), len(high))
	} else if b, j := want.Band[n-1], len(used)-1; low[j] == nil || high[j] == nil || math.Abs(*low[j]-b.Low) > b.Low/1000 || math.Abs(*high[j]-b.High) > b.High/1000 || *low[j] > *high[j] {
		t.Errorf("%s: band on the last day %v..%v, want %v..%v", name, at64(low, j), at64(high, j), b.Low, b.High)
	}
	for i, d := range want.Projection[1:] {
		j := last + 1 + i
		// The page asked a moment earlier, and the projection follows the
		// clock (today's elapsed share): equal to within 0.1 %.
		if j >= len(forecast) || forecast[j] == nil || math.Abs(*forecast[j]-float64(d.Bytes)) > float64(d.Bytes)/1000 {
			t.Errorf("%s: forecast point for %s = %v, want %d (projection)", name, d.Date, at64(forecast, j), d.Bytes)
			return
		}
	}
}

func at64(s []*float64, i int) any {
	if i < len(s) && s[i] != nil {
		return *s[i]
	}
	return "<missing>"
}

// TestDashboardPlansOldDaemon: a daemon older than /api/plans answers 404;
// the page must then hide the section and show no error.
func TestDashboardPlansOldDaemon(t *testing.T) {
	e := newEnv(t, testPlans(t, usage.DateOf(time.Now()))...)
	ctx, p := e.ctx, e.p
	asked := make(chan struct{}, 16)
	e.b.hook(func(ev cdpEvent) {
		if ev.Method != "Fetch.requestPaused" {
			return
		}
		var rp struct {
			RequestID string `json:"requestId"`
		}
		_ = json.Unmarshal(ev.Params, &rp)
		go func() {
			_ = p.call(ctx, "Fetch.fulfillRequest", map[string]any{
				"requestId": rp.RequestID, "responseCode": 404,
				"responseHeaders": []map[string]string{{"name": "Content-Type", "value": "application/json"}},
				"body":            []byte(`{"error":"no such endpoint"}`),
			}, nil)
			asked <- struct{}{}
		}()
	})
	p.must(ctx, "Fetch.enable", map[string]any{"patterns": []map[string]string{{"urlPattern": "*/api/plans*", "requestStage": "Request"}}}, nil)
	p.navigate(ctx, e.srv.base+"/dashboard/")
	p.waitTrue(ctx, "the first data", `document.body.dataset.ready === 'true'`)
	select {
	case <-asked:
	case <-ctx.Done():
		t.Fatal("the page never asked for /api/plans")
	}
	if !isHidden(ctx, p, "#plans") || !isHidden(ctx, p, "#error") {
		t.Error("with /api/plans answering 404 the plans section or an error is shown")
	}
	// The only complaints are the browser's own about the 404.
	_, failures, console := e.nl.snapshot()
	for _, f := range append(failures, console...) {
		if !strings.Contains(f, "/api/plans") && !strings.Contains(f, "404") {
			t.Errorf("unexpected: %s", f)
		}
	}
}
