package plan

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

type memStore struct {
	data []byte
	err  error
}

func (m *memStore) Load(context.Context) ([]byte, error) { return m.data, m.err }
func (m *memStore) Save(_ context.Context, b []byte) error {
	if m.err != nil {
		return m.err
	}
	m.data = append([]byte(nil), b...)
	return nil
}

func statusAt(s Spec, used uint64, start time.Time) Status {
	st := Status{Plan: s.Name, Active: true, CycleStart: start, CycleEnd: start.AddDate(0, 1, 0), Used: used, Cap: s.Cap,
		Percent: float64(used) / float64(s.Cap) * 100, Forecast: used, WholeDaysLeft: 10}
	if used < s.Cap {
		st.Remaining = s.Cap - used
	}
	return st
}

func TestCheckAlertsOncePerCycleAcrossRestart(t *testing.T) {
	ctx := context.Background()
	s := Spec{Name: "Home fibre", Cap: 100e9, Thresholds: DefaultThresholds}
	march := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	april := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	store := &memStore{}
	st, err := LoadState(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		used    uint64
		start   time.Time
		restart bool // save, then load into a fresh state before this check
		want    []int
	}{
		{10e9, march, false, nil},
		{49_999_999_999, march, false, nil},
		{50e9, march, false, []int{50}},
		{60e9, march, false, nil},
		{60e9, march, true, nil},
		{80e9, march, true, []int{80}},
		{81e9, march, true, nil},
		{95e9, march, false, []int{90}},
		{100e9, march, true, []int{100}},
		{150e9, march, true, nil},
		{5e9, april, false, nil},       // new cycle: record reset
		{97e9, april, true, []int{90}}, // a jump fires only the highest crossed
		{99e9, april, false, nil},
		{100e9, april, true, []int{100}},
	}
	for i, step := range steps {
		if step.restart {
			if err := SaveState(ctx, store, st); err != nil {
				t.Fatal(err)
			}
			if st, err = LoadState(ctx, store); err != nil {
				t.Fatal(err)
			}
		}
		alerts := CheckAlerts(st, s, statusAt(s, step.used, step.start), step.start)
		var got []int
		for _, a := range alerts {
			if a.Kind != AlertThreshold || a.Plan != s.Name || a.Used != step.used || a.Cap != s.Cap || a.Title == "" || a.Message == "" {
				t.Errorf("step %d: bad alert %+v", i, a)
			}
			got = append(got, a.Threshold)
		}
		if fmt.Sprint(got) != fmt.Sprint(step.want) {
			t.Errorf("step %d (used %d, restart %v): fired %v, want %v", i, step.used, step.restart, got, step.want)
		}
	}
	if got := fmt.Sprint(st.Plans[s.Name].Fired); got != "[50 80 90 100]" {
		t.Errorf("recorded %s", got)
	}
}

func TestCheckAlertsForecast(t *testing.T) {
	s := Spec{Name: "p", Cap: 100e9, Thresholds: []int{90}}
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var st AlertState // zero value is usable
	// check evaluates a status whose likely range is low..forecast*2.
	check := func(used, low, forecast uint64) []Alert {
		status := statusAt(s, used, start)
		status.Forecast, status.ForecastLow, status.ForecastHigh = forecast, low, 2*forecast
		return CheckAlerts(&st, s, status, start)
	}
	if a := check(10e9, 50e9, 90e9); len(a) != 0 {
		t.Fatalf("forecast under the cap fired %+v", a)
	}
	if a := check(12e9, 60e9, 150e9); len(a) != 0 {
		t.Fatalf("forecast over the cap but its low edge under fired %+v", a)
	}
	a := check(20e9, 100e9, 120e9)
	if len(a) != 1 || a[0].Kind != AlertForecast || a[0].Forecast != 120e9 || a[0].Threshold != 0 {
		t.Fatalf("forecast crossing: %+v", a)
	}
	if want := "20.00 GB of 100.00 GB used; at this pace the cycle ends near 120.00 GB (likely between 100.00 GB and 240.00 GB). Safe daily budget: 0 B."; a[0].Message != want {
		t.Errorf("message %q, want %q", a[0].Message, want)
	}
	if a := check(30e9, 110e9, 130e9); len(a) != 0 {
		t.Errorf("forecast alert repeated: %+v", a)
	}
	if a := check(40e9, 70e9, 90e9); len(a) != 0 {
		t.Errorf("forecast back under: %+v", a)
	}
	if a := check(50e9, 120e9, 140e9); len(a) != 0 {
		t.Errorf("forecast alert fired twice in one cycle: %+v", a)
	}
	next := start.AddDate(0, 1, 0)
	status := statusAt(s, 1e9, next)
	status.Forecast, status.ForecastLow = 200e9, 150e9
	if a := CheckAlerts(&st, s, status, next); len(a) != 1 || a[0].Kind != AlertForecast {
		t.Errorf("new cycle forecast: %+v", a)
	}
}

func TestCheckAlertsQuiet(t *testing.T) {
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var st AlertState
	noCap := Spec{Name: "free", Thresholds: DefaultThresholds}
	if a := CheckAlerts(&st, noCap, Status{Active: true, Used: 1e12}, start); a != nil {
		t.Errorf("plan without cap alerted: %+v", a)
	}
	capped := Spec{Name: "pack", Cap: 1e9, Thresholds: DefaultThresholds}
	if a := CheckAlerts(&st, capped, Status{Active: false, Used: 2e9}, start); a != nil {
		t.Errorf("inactive plan alerted: %+v", a)
	}
}

func TestStateLoadSaveErrorsAndPrune(t *testing.T) {
	ctx := context.Background()
	boom := errors.New("disk gone")
	if _, err := LoadState(ctx, &memStore{err: boom}); !errors.Is(err, boom) {
		t.Errorf("LoadState error = %v", err)
	}
	if _, err := LoadState(ctx, &memStore{data: []byte("{")}); err == nil {
		t.Error("LoadState accepted bad JSON")
	}
	if err := SaveState(ctx, &memStore{err: boom}, &AlertState{}); !errors.Is(err, boom) {
		t.Errorf("SaveState error = %v", err)
	}
	st := &AlertState{Plans: map[string]*PlanAlerts{"a": {}, "b": {}}}
	st.Prune([]Spec{{Name: "b"}})
	if _, ok := st.Plans["a"]; ok || len(st.Plans) != 1 {
		t.Errorf("Prune left %v", st.Plans)
	}
}
