package api

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/packetbuddy/pb/internal/usage"
)

// parseMetrics parses /metrics with Prometheus' own text-format parser.
func parseMetrics(t *testing.T, f *fixture) map[string]*dto.MetricFamily {
	t.Helper()
	rec := do(t, f.srv.Handler(), "GET", "/metrics")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type %q", ct)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("Prometheus parser: %v", err)
	}
	return fams
}

func labelValue(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// TestMetricsParseAndCounters checks that /metrics parses, has the right
// types, and that the per-interface counters equal the store's lifetime
// plus the monitor's pending traffic.
func TestMetricsParseAndCounters(t *testing.T) {
	f := newFixture(t, false)
	fams := parseMetrics(t, f)

	wantTypes := map[string]dto.MetricType{
		"pb_interface_receive_bytes_total":        dto.MetricType_COUNTER,
		"pb_interface_transmit_bytes_total":       dto.MetricType_COUNTER,
		"pb_interface_info":                       dto.MetricType_GAUGE,
		"pb_today_receive_bytes":                  dto.MetricType_GAUGE,
		"pb_month_transmit_bytes":                 dto.MetricType_GAUGE,
		"pb_receive_bytes_per_second":             dto.MetricType_GAUGE,
		"pb_monitor_flush_errors_total":           dto.MetricType_COUNTER,
		"pb_monitor_discarded_samples_total":      dto.MetricType_COUNTER,
		"pb_monitor_last_flush_timestamp_seconds": dto.MetricType_GAUGE,
		"pb_build_info":                           dto.MetricType_GAUGE,
	}
	for name, typ := range wantTypes {
		fam, ok := fams[name]
		if !ok {
			t.Errorf("%s missing", name)
			continue
		}
		if fam.GetType() != typ {
			t.Errorf("%s has type %v, want %v", name, fam.GetType(), typ)
		}
		if fam.GetHelp() == "" {
			t.Errorf("%s has no HELP", name)
		}
	}

	// Expected: lifetime per name from the store, plus pending by name.
	life, err := f.store.InterfaceLifetimes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]usage.Totals{}
	for _, it := range life {
		want[it.Name] = want[it.Name].Add(it.Totals)
	}
	for _, p := range f.mon.pending {
		want[p.iface] = want[p.iface].Add(p.t)
	}
	got := map[string]usage.Totals{}
	for _, m := range fams["pb_interface_receive_bytes_total"].GetMetric() {
		t := got[labelValue(m, "interface")]
		t.Rx = uint64(m.GetCounter().GetValue())
		got[labelValue(m, "interface")] = t
	}
	for _, m := range fams["pb_interface_transmit_bytes_total"].GetMetric() {
		t := got[labelValue(m, "interface")]
		t.Tx = uint64(m.GetCounter().GetValue())
		got[labelValue(m, "interface")] = t
	}
	if len(got) != len(want) {
		t.Errorf("got counters for %d interfaces, want %d: %v", len(got), len(want), got)
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s: counters %+v, want %+v", name, got[name], w)
		}
	}
	gauge := func(name string) float64 { return fams[name].GetMetric()[0].GetGauge().GetValue() }
	if v := gauge("pb_today_receive_bytes"); v != 43501 {
		t.Errorf("pb_today_receive_bytes = %v, want 43501", v)
	}
	if v := gauge("pb_monitor_last_flush_timestamp_seconds"); v != float64(fixedNow.Add(-10*time.Second).Unix()) {
		t.Errorf("last flush = %v", v)
	}
	if v := fams["pb_monitor_flush_errors_total"].GetMetric()[0].GetCounter().GetValue(); v != 2 {
		t.Errorf("flush errors = %v", v)
	}
}

// TestMetricsNeverGoBackwards: pending traffic flushed to the store moves
// from one term to the other; the counter must not drop even when a scrape
// sees the pending part already gone but the stored part not yet there.
func TestMetricsNeverGoBackwards(t *testing.T) {
	f := newFixture(t, false)
	first := parseMetrics(t, f)
	f.mon.mu.Lock()
	f.mon.pending = nil // dropped from memory, "not yet visible" in the store
	f.mon.mu.Unlock()
	second := parseMetrics(t, f)
	for _, name := range []string{"pb_interface_receive_bytes_total", "pb_interface_transmit_bytes_total"} {
		before := map[string]float64{}
		for _, m := range first[name].GetMetric() {
			before[labelValue(m, "interface")] = m.GetCounter().GetValue()
		}
		for _, m := range second[name].GetMetric() {
			if v := m.GetCounter().GetValue(); v < before[labelValue(m, "interface")] {
				t.Errorf("%s{%s} went backwards: %v -> %v", name, labelValue(m, "interface"), before[labelValue(m, "interface")], v)
			}
		}
	}
}

// TestMetricsLabelEscaping checks label values with quotes, backslashes,
// newlines and invalid UTF-8 still parse, and round-trip.
func TestMetricsLabelEscaping(t *testing.T) {
	f := newFixture(t, true)
	odd := "we\"ird\\na\nme\xff"
	f.mon.live.Interfaces = append(f.mon.live.Interfaces, liveIfaceRate(odd))
	fams := parseMetrics(t, f)
	found := false
	for _, m := range fams["pb_interface_info"].GetMetric() {
		if labelValue(m, "interface") == "we\"ird\\na\nme\uFFFD" {
			found = true
		}
	}
	if !found {
		t.Errorf("escaped interface name did not round-trip: %v", fams["pb_interface_info"])
	}
}

// TestMetricsTopApps: /metrics shows today's [apps] metrics_top largest
// apps by name and path, the rest as one "other" series, so the series add
// up to today's per-app total; with 0, no app series at all.
func TestMetricsTopApps(t *testing.T) {
	// Today (2026-03-08) on eth0: firefox 30000/2500, systemd-resolve
	// 7000/100, curl 3000/400, unattributed 3000/0 (received/sent).
	type row struct{ rx, tx float64 }
	tests := []struct {
		top  int
		want map[string]row
	}{
		{2, map[string]row{
			"firefox /usr/lib/firefox/firefox":                  {30000, 2500},
			"systemd-resolve /usr/lib/systemd/systemd-resolved": {7000, 100},
			"other ": {6000, 400},
		}},
		{4, map[string]row{
			"firefox /usr/lib/firefox/firefox":                  {30000, 2500},
			"systemd-resolve /usr/lib/systemd/systemd-resolved": {7000, 100},
			"curl /usr/bin/curl":                                {3000, 400},
			"unattributed ":                                     {3000, 0},
		}},
		{0, nil},
	}
	for _, tt := range tests {
		f := newFixture(t, false, func(d *Deps) { d.Settings.AppsMetricsTop = tt.top })
		fams := parseMetrics(t, f)
		got := map[string]row{}
		for _, m := range fams["pb_app_today_receive_bytes"].GetMetric() {
			k := labelValue(m, "app") + " " + labelValue(m, "path")
			r := got[k]
			r.rx = m.GetGauge().GetValue()
			got[k] = r
		}
		for _, m := range fams["pb_app_today_transmit_bytes"].GetMetric() {
			k := labelValue(m, "app") + " " + labelValue(m, "path")
			r := got[k]
			r.tx = m.GetGauge().GetValue()
			got[k] = r
		}
		if len(got) != len(tt.want) {
			t.Errorf("metrics_top %d: %d app series %v, want %v", tt.top, len(got), got, tt.want)
			continue
		}
		for k, w := range tt.want {
			if got[k] != w {
				t.Errorf("metrics_top %d: %q = %v, want %v", tt.top, k, got[k], w)
			}
		}
	}
}
