package api

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The Grafana dashboard shipped in deploy/grafana may only ask for what
// /metrics serves.
const grafanaDashboard = "../../deploy/grafana/packetbuddy.json"

var (
	promMetric   = regexp.MustCompile(`\bpb_[a-zA-Z0-9_]+`)
	promMatcher  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"`)
	promGrouping = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)`)
	promLegend   = regexp.MustCompile(`\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}`)
	labelValues  = regexp.MustCompile(`label_values\([^,]*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)`)
)

// targetLabels are added by Prometheus to every scraped series.
var targetLabels = map[string]bool{"instance": true, "job": true}

// collectQueries walks the dashboard JSON and returns every PromQL
// expression ("expr", a templating "query") and every legend format.
func collectQueries(v any, exprs, legends *[]string) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok {
				switch k {
				case "expr", "definition":
					*exprs = append(*exprs, s)
				case "legendFormat":
					*legends = append(*legends, s)
				}
				continue
			}
			if k == "query" {
				if q, ok := x.(map[string]any); ok {
					if s, ok := q["query"].(string); ok {
						*exprs = append(*exprs, s)
					}
				}
			}
			collectQueries(x, exprs, legends)
		}
	case []any:
		for _, x := range v {
			collectQueries(x, exprs, legends)
		}
	}
}

// TestGrafanaDashboardMatchesMetrics scrapes the real handler (a store
// with history, live rates and three data plans) and checks that every
// metric and label the dashboard's queries and legends name is served.
func TestGrafanaDashboardMatchesMetrics(t *testing.T) {
	raw, err := os.ReadFile(filepath.Clean(grafanaDashboard))
	if err != nil {
		t.Fatal(err)
	}
	var dash any
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("%s is not JSON: %v", grafanaDashboard, err)
	}
	var exprs, legends []string
	collectQueries(dash, &exprs, &legends)
	if len(exprs) < 10 {
		t.Fatalf("found only %d queries in the dashboard", len(exprs))
	}

	f := newFixture(t, false, func(d *Deps) { d.Plans = testPlans(t) })
	fams := parseMetrics(t, f)
	labels := map[string]map[string]bool{} // metric -> its label names
	allLabels := map[string]bool{}
	for name, fam := range fams {
		labels[name] = map[string]bool{}
		if len(fam.GetMetric()) == 0 {
			t.Errorf("%s has no series in the fixture", name)
		}
		for _, m := range fam.GetMetric() {
			for _, l := range m.GetLabel() {
				labels[name][l.GetName()] = true
				allLabels[l.GetName()] = true
			}
		}
	}

	used := map[string]bool{}
	for _, e := range exprs {
		metrics := promMetric.FindAllString(e, -1)
		if len(metrics) == 0 {
			t.Errorf("query %q names no pb metric", e)
		}
		var names []string
		for _, m := range promMatcher.FindAllStringSubmatch(e, -1) {
			names = append(names, m[1])
		}
		for _, g := range promGrouping.FindAllStringSubmatch(e, -1) {
			for _, n := range strings.Split(g[1], ",") {
				if n = strings.TrimSpace(n); n != "" {
					names = append(names, n)
				}
			}
		}
		for _, m := range labelValues.FindAllStringSubmatch(e, -1) {
			names = append(names, m[1])
		}
		for _, m := range metrics {
			used[m] = true
			if _, ok := fams[m]; !ok {
				t.Errorf("query %q: /metrics serves no %s", e, m)
			}
		}
		for _, n := range names {
			if targetLabels[n] {
				continue
			}
			// The label must be on one of the query's own metrics.
			found := false
			for _, m := range metrics {
				found = found || labels[m][n]
			}
			if !found {
				t.Errorf("query %q: label %q is not on any of %v in /metrics", e, n, metrics)
			}
		}
	}
	for _, l := range legends {
		for _, m := range promLegend.FindAllStringSubmatch(l, -1) {
			if !targetLabels[m[1]] && !allLabels[m[1]] {
				t.Errorf("legend %q: /metrics has no label %q", l, m[1])
			}
		}
	}
	// The dashboard covers what the issue asks: today, month, live rates per
	// interface, plan gauges.
	for _, m := range []string{"pb_today_receive_bytes", "pb_month_transmit_bytes", "pb_interface_receive_bytes_per_second", "pb_interface_receive_bytes_total", "pb_plan_used_bytes", "pb_plan_cap_bytes"} {
		if !used[m] {
			t.Errorf("the dashboard does not show %s", m)
		}
	}
}
