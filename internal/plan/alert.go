package plan

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/packetbuddy/pb/internal/units"
)

// AlertKind says why an alert fired.
type AlertKind string

// Alert kinds.
const (
	AlertThreshold AlertKind = "threshold" // usage reached a percentage of the cap
	AlertForecast  AlertKind = "forecast"  // the forecast first crossed the cap
	// AlertUnusual is not a plan's: an hour or a day far above its usual,
	// delivered through the same channels ([alerts] unusual). Plan is "".
	AlertUnusual AlertKind = "unusual"
	// AlertMetered is not a plan's either: a metered network was joined
	// while something heavy ran. Plan is "".
	AlertMetered AlertKind = "metered"
)

// Alert is one notification to deliver.
type Alert struct {
	Plan       string
	Kind       AlertKind
	Threshold  int // percentage of the cap; 0 for a forecast alert
	Used       uint64
	Cap        uint64
	Percent    float64
	Forecast   uint64
	CycleStart time.Time
	CycleEnd   time.Time
	Title      string
	Message    string
}

// PlanAlerts is what has fired for one plan in its current cycle.
type PlanAlerts struct {
	CycleStart time.Time `json:"cycle_start"`
	Fired      []int     `json:"fired"`              // thresholds already alerted, ascending
	Forecast   bool      `json:"forecast,omitempty"` // the forecast alert fired
}

// AlertState remembers, per plan name, which alerts fired in which cycle, so
// a restart of the daemon neither repeats nor loses an alert. The caller
// persists it as JSON (see LoadState and SaveState). The zero value is
// ready to use. It is not safe for concurrent use: one goroutine (the
// daemon's plan check) owns it.
type AlertState struct {
	Plans map[string]*PlanAlerts `json:"plans"`
}

// StateStore keeps the serialized AlertState between runs (a row in the
// store, a file). Load returns nil bytes when nothing was saved yet.
type StateStore interface {
	Load(ctx context.Context) ([]byte, error)
	Save(ctx context.Context, data []byte) error
}

// LoadState reads the alert state from store. Nothing saved yet is an empty
// state, not an error.
func LoadState(ctx context.Context, store StateStore) (*AlertState, error) {
	data, err := store.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("load plan alert state: %w", err)
	}
	st := &AlertState{}
	if len(data) == 0 {
		return st, nil
	}
	if err := json.Unmarshal(data, st); err != nil {
		return nil, fmt.Errorf("load plan alert state: %w", err)
	}
	return st, nil
}

// SaveState writes the alert state to store. Call it after CheckAlerts
// returned alerts, before delivering them, so a crash cannot repeat them.
func SaveState(ctx context.Context, store StateStore, st *AlertState) error {
	data, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("save plan alert state: %w", err)
	}
	if err := store.Save(ctx, data); err != nil {
		return fmt.Errorf("save plan alert state: %w", err)
	}
	return nil
}

// Prune forgets plans that are no longer configured, so a renamed plan does
// not leave state behind for ever.
func (st *AlertState) Prune(specs []Spec) {
	for name := range st.Plans {
		if !slices.ContainsFunc(specs, func(s Spec) bool { return s.Name == name }) {
			delete(st.Plans, name)
		}
	}
}

// CheckAlerts returns the alerts status calls for and records them in st.
// Each threshold fires at most once per cycle, and the forecast alert once
// per cycle when the forecast's likely range (its low edge) first reaches
// the cap while usage is still under it. A new cycleStart resets the plan's record. When usage jumps past
// several thresholds at once (the first check after a long pause) only the
// highest fires — the lower ones are recorded as fired — because three
// notifications in the same second say nothing the last one does not.
// Plans without a cap, and inactive plans, never alert.
func CheckAlerts(st *AlertState, s Spec, status Status, cycleStart time.Time) []Alert {
	if !status.Active || s.Cap == 0 {
		return nil
	}
	if st.Plans == nil {
		st.Plans = map[string]*PlanAlerts{}
	}
	pa := st.Plans[s.Name]
	if pa == nil || !pa.CycleStart.Equal(cycleStart) {
		pa = &PlanAlerts{CycleStart: cycleStart}
		st.Plans[s.Name] = pa
	}
	base := Alert{
		Plan: s.Name, Used: status.Used, Cap: s.Cap, Percent: status.Percent, Forecast: status.Forecast,
		CycleStart: status.CycleStart, CycleEnd: status.CycleEnd,
	}
	var out []Alert
	highest := 0
	for _, th := range s.Thresholds {
		// Compare in bytes, not float percent: 100% must fire at exactly the cap.
		if status.Used >= thresholdBytes(s.Cap, th) && !slices.Contains(pa.Fired, th) {
			pa.Fired = append(pa.Fired, th)
			highest = th
		}
	}
	slices.Sort(pa.Fired)
	if highest > 0 {
		a := base
		a.Kind, a.Threshold = AlertThreshold, highest
		a.Title, a.Message = thresholdText(s, status, highest)
		out = append(out, a)
	}
	// The whole likely range must pass the cap, not only its middle: on a
	// first day a busy hour says little, and the band is wide then.
	if !pa.Forecast && status.Used < s.Cap && status.ForecastLow >= s.Cap {
		pa.Forecast = true
		a := base
		a.Kind = AlertForecast
		a.Title = fmt.Sprintf("%s: on track to pass the cap", s.Name)
		a.Message = fmt.Sprintf("%s of %s used; at this pace the cycle ends near %s (likely between %s and %s)", units.FormatBytes(status.Used), units.FormatBytes(s.Cap),
			units.FormatBytes(status.Forecast), units.FormatBytes(status.ForecastLow), units.FormatBytes(status.ForecastHigh))
		if status.CapDate != nil {
			a.Message += fmt.Sprintf(", reaching the cap on %s", status.CapDate)
			if e, l := status.CapDateEarliest, status.CapDateLatest; e != nil && l != nil && *e != *l {
				a.Message += fmt.Sprintf(" (likely between %s and %s)", e, l)
			}
		}
		a.Message += fmt.Sprintf(". Safe daily budget: %s.", units.FormatBytes(status.DailyBudget))
		out = append(out, a)
	}
	return out
}

// Reached returns the highest of the plan's thresholds that used has
// reached, or 0 for none (or without a cap).
func (s Spec) Reached(used uint64) int {
	top := 0
	for _, th := range s.Thresholds {
		if s.Cap > 0 && used >= thresholdBytes(s.Cap, th) {
			top = max(top, th)
		}
	}
	return top
}

// thresholdBytes is pct% of capBytes in integers, exact for any cap below
// an exabyte, where floats would round 100% of some caps below the cap.
func thresholdBytes(capBytes uint64, pct int) uint64 {
	p := uint64(pct)
	return capBytes/100*p + capBytes%100*p/100
}

func thresholdText(s Spec, status Status, th int) (title, msg string) {
	title = fmt.Sprintf("%s: %d%% of the data cap used", s.Name, th)
	msg = fmt.Sprintf("%s of %s used (%.0f%%), %d day(s) left in the cycle", units.FormatBytes(status.Used), units.FormatBytes(s.Cap), status.Percent, status.WholeDaysLeft)
	if status.Used >= s.Cap {
		msg += "; the cap is reached"
	} else {
		msg += fmt.Sprintf("; %s left, about %s a day", units.FormatBytes(status.Remaining), units.FormatBytes(status.DailyBudget))
	}
	return title, msg + "."
}
