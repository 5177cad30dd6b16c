package api

import (
	"net/http"
	"time"

	"github.com/packetbuddy/pb/internal/plan"
	"github.com/packetbuddy/pb/internal/units"
	"github.com/packetbuddy/pb/internal/usage"
)

// plansResponse is /api/plans: each configured data plan where it stands
// now, and the latest alerts.
type plansResponse struct {
	GeneratedAt string      `json:"generated_at"`
	Timezone    string      `json:"timezone"`
	Plans       []planJSON  `json:"plans"`
	Alerts      []alertJSON `json:"alerts"`
}

type planJSON struct {
	Name       string    `json:"name"`
	Active     bool      `json:"active"` // false: a one-time pack not started yet or expired
	Interfaces []string  `json:"interfaces"`
	Networks   []string  `json:"networks"` // empty: every network
	Counts     string    `json:"counts"`
	Cycle      cycleJSON `json:"cycle"`

	CycleStart    string  `json:"cycle_start,omitempty"`    // first day, local
	CycleLastDay  string  `json:"cycle_last_day,omitempty"` // last day, local
	ResetsAt      string  `json:"resets_at,omitempty"`      // RFC 3339, the next cycle's start
	DaysLeft      float64 `json:"days_left"`                // today's remaining part as a fraction
	WholeDaysLeft int     `json:"whole_days_left"`          // calendar days, today included
	UsedBytes     uint64  `json:"used_bytes"`               // with the calibration offset
	CapBytes      uint64  `json:"cap_bytes"`                // 0: no cap
	Remaining     uint64  `json:"remaining_bytes"`          // 0 when over
	Percent       float64 `json:"percent"`                  // of the cap
	DailyBudget   uint64  `json:"daily_budget_bytes"`       // safe use per day for the rest of the cycle
	Forecast      uint64  `json:"forecast_bytes"`           // expected use at the cycle's end
	ForecastPct   float64 `json:"forecast_percent"`         // of the cap
	CapDate       *string `json:"cap_date"`                 // day the cap is (or will be) reached; null: not this cycle
	// The forecast's likely range (80 %), wide while little time has been
	// counted, and the cap dates of its edges (null: not this cycle).
	ForecastLow     uint64  `json:"forecast_low_bytes"`
	ForecastHigh    uint64  `json:"forecast_high_bytes"`
	CapDateEarliest *string `json:"cap_date_earliest"`
	CapDateLatest   *string `json:"cap_date_latest"`
	// The counted time the forecast stands on: its first instant (RFC
	// 3339; absent when unknown) and its length in days.
	MonitoredSince string  `json:"monitored_since,omitempty"`
	MonitoredDays  float64 `json:"monitored_days"`
	OverThreshold  int     `json:"over_threshold"`           // highest alert threshold reached, 0 for none
	Thresholds     []int   `json:"thresholds"`               // configured alert thresholds, percent
	OffsetBytes    int64   `json:"offset_bytes"`             // calibration added to the measured use
	Currency       string  `json:"currency,omitempty"`       // "" without a price
	Cost           float64 `json:"cost"`                     // of the use so far
	ForecastCost   float64 `json:"forecast_cost"`            // of the forecast
	CostFormatted  string  `json:"cost_formatted,omitempty"` // "€30.00"
	ForecastCostF  string  `json:"forecast_cost_formatted,omitempty"`

	HumanReadable planHuman `json:"human_readable"`
	Daily         []dayUse  `json:"daily"`           // counted bytes per day of the cycle so far
	Projection    []dayUse  `json:"projection"`      // forecast running total at each day's end, today to the last day
	Band          []dayBand `json:"projection_band"` // the likely range around each projection day
}

type dayBand struct {
	Date string `json:"date"`
	Low  uint64 `json:"low_bytes"`
	High uint64 `json:"high_bytes"`
}

type cycleJSON struct {
	Kind      string `json:"kind"` // monthly, days, once
	ResetDay  int    `json:"reset_day,omitempty"`
	EveryDays int    `json:"every_days,omitempty"`
	Start     string `json:"start,omitempty"`
	Expires   string `json:"expires,omitempty"`
}

type planHuman struct {
	Used        string `json:"used"`
	Cap         string `json:"cap,omitempty"`
	Remaining   string `json:"remaining,omitempty"`
	DailyBudget string `json:"daily_budget,omitempty"`
	Forecast    string `json:"forecast"`
	// ForecastLow and ForecastHigh are the band's edges.
	ForecastLow  string `json:"forecast_low"`
	ForecastHigh string `json:"forecast_high"`
}

type dayUse struct {
	Date  string `json:"date"`
	Bytes uint64 `json:"bytes"`
}

type alertJSON struct {
	Time      string  `json:"time"`
	Plan      string  `json:"plan"`
	Kind      string  `json:"kind"`      // threshold or forecast
	Threshold int     `json:"threshold"` // percent; 0 for forecast
	UsedBytes uint64  `json:"used_bytes"`
	CapBytes  uint64  `json:"cap_bytes"`
	Percent   float64 `json:"percent"`
	Title     string  `json:"title"`
	Message   string  `json:"message"`
}

// maxPlanAlerts bounds the alert history /api/plans returns.
const maxPlanAlerts = 200

func (s *Server) handlePlans(w http.ResponseWriter, r *http.Request) error {
	p, err := parseParams(r)
	if err != nil {
		return err
	}
	limit, err := p.intParam("alerts", 20, 0, maxPlanAlerts)
	if err != nil {
		return err
	}
	now := s.now()
	specs, statuses, err := s.q.Plans(r.Context(), now)
	if err != nil {
		return err
	}
	var hist []plan.AlertRecord
	if limit > 0 && len(specs) > 0 {
		if hist, err = s.q.PlanAlerts(r.Context(), limit); err != nil {
			return err
		}
	}
	b, err := s.enc.Plans(now, specs, statuses, hist)
	return writeBytes(w, b, err)
}

// Plans is /api/plans: each plan where it stands at now (statuses in the
// order of specs) and the latest alerts.
func (e *Encoder) Plans(now time.Time, specs []plan.Spec, statuses []plan.Status, alerts []plan.AlertRecord) ([]byte, error) {
	resp := plansResponse{
		GeneratedAt: now.In(e.loc).Format(time.RFC3339), Timezone: e.loc.String(),
		Plans: make([]planJSON, 0, len(statuses)), Alerts: []alertJSON{},
	}
	for i, st := range statuses {
		resp.Plans = append(resp.Plans, e.planJSON(specs[i], st))
	}
	for _, h := range alerts {
		resp.Alerts = append(resp.Alerts, alertJSON{
			Time: h.At.In(e.loc).Format(time.RFC3339), Plan: h.Plan, Kind: string(h.Kind), Threshold: h.Threshold,
			UsedBytes: h.Used, CapBytes: h.Cap, Percent: roundTo(h.Percent, 2), Title: h.Title, Message: h.Message,
		})
	}
	return marshal(resp)
}

func (e *Encoder) planJSON(sp plan.Spec, st plan.Status) planJSON {
	b := e.price.Base
	j := planJSON{
		Name: sp.Name, Active: st.Active, Interfaces: append([]string{}, sp.Interfaces...), Networks: append([]string{}, sp.Networks...), Counts: string(sp.Counts),
		Cycle:    cycleOf(sp.Cycle),
		CapBytes: sp.Cap, Thresholds: append([]int{}, sp.Thresholds...), OffsetBytes: sp.Offset,
		Currency: sp.Price.Currency, Daily: []dayUse{}, Projection: []dayUse{}, Band: []dayBand{},
	}
	j.HumanReadable.Used = units.FormatBytesBase(0, b)
	j.HumanReadable.Forecast = j.HumanReadable.Used
	j.HumanReadable.ForecastLow, j.HumanReadable.ForecastHigh = j.HumanReadable.Used, j.HumanReadable.Used
	if sp.Cap > 0 {
		j.HumanReadable.Cap = units.FormatBytesBase(sp.Cap, b)
	}
	if !st.Active {
		return j
	}
	j.CycleStart = usage.DateOf(st.CycleStart.In(e.loc)).String()
	j.CycleLastDay = usage.DateOf(st.CycleEnd.In(e.loc)).AddDays(-1).String()
	j.ResetsAt = st.CycleEnd.In(e.loc).Format(time.RFC3339)
	j.DaysLeft, j.WholeDaysLeft = roundTo(st.DaysLeft, 2), st.WholeDaysLeft
	j.UsedBytes, j.Remaining, j.Percent = st.Used, st.Remaining, roundTo(st.Percent, 2)
	j.DailyBudget, j.Forecast = st.DailyBudget, st.Forecast
	if sp.Cap > 0 {
		j.ForecastPct = roundTo(float64(st.Forecast)/float64(sp.Cap)*100, 2)
		j.OverThreshold = sp.Reached(st.Used)
		j.HumanReadable.Remaining = units.FormatBytesBase(st.Remaining, b)
		j.HumanReadable.DailyBudget = units.FormatBytesBase(st.DailyBudget, b)
	}
	j.CapDate, j.CapDateEarliest, j.CapDateLatest = dateRef(st.CapDate), dateRef(st.CapDateEarliest), dateRef(st.CapDateLatest)
	j.ForecastLow, j.ForecastHigh = st.ForecastLow, st.ForecastHigh
	if !st.MonitoredSince.IsZero() {
		j.MonitoredSince = st.MonitoredSince.In(e.loc).Format(time.RFC3339)
	}
	j.MonitoredDays = roundTo(st.MonitoredDays, 2)
	if st.Currency != "" {
		j.Cost, j.ForecastCost = roundTo(st.Cost, 2), roundTo(st.ForecastCost, 2)
		j.CostFormatted = units.FormatMoney(st.Cost, st.Currency)
		j.ForecastCostF = units.FormatMoney(st.ForecastCost, st.Currency)
	}
	j.HumanReadable.Used = units.FormatBytesBase(st.Used, b)
	j.HumanReadable.Forecast = units.FormatBytesBase(st.Forecast, b)
	j.HumanReadable.ForecastLow = units.FormatBytesBase(st.ForecastLow, b)
	j.HumanReadable.ForecastHigh = units.FormatBytesBase(st.ForecastHigh, b)
	for _, d := range st.Daily {
		j.Daily = append(j.Daily, dayUse{Date: d.Date.String(), Bytes: d.Bytes})
	}
	for _, d := range st.Projection {
		j.Projection = append(j.Projection, dayUse{Date: d.Date.String(), Bytes: d.Bytes})
	}
	for _, d := range st.Band {
		j.Band = append(j.Band, dayBand{Date: d.Date.String(), Low: d.Low, High: d.High})
	}
	return j
}

// dateRef is a day as a JSON string, null for none.
func dateRef(d *usage.Date) *string {
	if d == nil {
		return nil
	}
	s := d.String()
	return &s
}

func cycleOf(c plan.Cycle) cycleJSON {
	switch c.Kind {
	case plan.EveryDays:
		return cycleJSON{Kind: "days", EveryDays: c.Every, Start: c.Start.String()}
	case plan.OneTime:
		return cycleJSON{Kind: "once", Start: c.Start.String(), Expires: c.Expires.String()}
	}
	return cycleJSON{Kind: "monthly", ResetDay: c.ResetDay}
}

// planStatuses evaluates the configured plans at now through the query
// layer (stored + unflushed traffic, like every other figure).
func (s *Server) planStatuses(r *http.Request, now time.Time) ([]plan.Status, error) {
	_, st, err := s.q.Plans(r.Context(), now)
	return st, err
}
