package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestBadParameters: every bad parameter is a 400 with a JSON sentence,
// never a 500 and never a silent default.
func TestBadParameters(t *testing.T) {
	targets := []string{
		// /api/month
		"/api/month?month=2026-13",
		"/api/month?month=2026-00",
		"/api/month?month=26-03",
		"/api/month?month=2026-3",
		"/api/month?month=2026-03-01",
		"/api/month?month=abc",
		"/api/month?month=",
		"/api/month?month=2026-03&month=2026-04",
		"/api/month?month=1969-12",
		"/api/month?month=2200-01",
		"/api/month?month=%FF",
		// /api/range
		"/api/range",
		"/api/range?from_date=2026-03-01",
		"/api/range?to_date=2026-03-01",
		"/api/range?from_date=2026-02-30&to_date=2026-03-01",
		"/api/range?from_date=2026/03/01&to_date=2026-03-02",
		"/api/range?from_date=2026-3-1&to_date=2026-03-02",
		"/api/range?from_date=2026-03-08&to_date=2026-03-01",
		"/api/range?from_date=2000-01-01&to_date=2026-01-01",
		"/api/range?from_date=2026-03-01&from=2026-03-01&to_date=2026-03-02",
		"/api/range?from_date=0001-01-01&to_date=0001-01-02",
		"/api/range?from_date=9999-01-01&to_date=9999-01-02",
		"/api/range?from_date=%zz&to_date=2026-03-02",
		"/api/range?from_date=2026-03-01&to_date=2026-03-02&to_date=2026-03-03",
		"/api/range?from_date=+2026-03-01&to_date=2026-03-02",
		"/api/range?from_date=2026-03-01%00&to_date=2026-03-02",
		// /api/days
		"/api/days?from=2026-03-08&to=2026-03-01",
		"/api/days?from=yesterday",
		"/api/days?from=1990-01-01",
		"/api/days?to=2200-01-01",
		// /api/hours
		"/api/hours?date=2026-02-29",
		"/api/hours?date=tomorrow",
		"/api/hours?date=1900-01-01",
		"/api/hours?date=",
		// /api/top
		"/api/top?limit=0",
		"/api/top?limit=-1",
		"/api/top?limit=1001",
		"/api/top?limit=abc",
		"/api/top?limit=1e3",
		"/api/top?limit=99999999999999999999",
		"/api/top?limit=",
		// /api/events
		"/api/events?limit=0",
		"/api/events?limit=5000",
		"/api/events?from=bad",
		"/api/events?from=2026-03-08&to=2026-03-01",
		// /api/minutes
		"/api/minutes?from=yesterday",
		"/api/minutes?to=2026-03-08T25:00:00Z",
		"/api/minutes?from=2026-03-08T10:00:00Z&to=2026-03-08T09:00:00Z",
		"/api/minutes?from=2026-02-20&to=2026-03-08",
		"/api/minutes?from=2026-02-30",
		"/api/minutes?interface=wlan9",
		"/api/minutes?interface=eth0&interface=wlan0",
		// /api/trends
		"/api/trends?interface=wlan9",
		"/api/trends?interface=",
		// /api/cost
		"/api/cost?cost_per_gb=-1",
		"/api/cost?cost_per_gb=abc",
		"/api/cost?cost_per_gb=NaN",
		"/api/cost?cost_per_gb=Inf",
		"/api/cost?cost_per_gb=1e10",
		"/api/cost?cost_per_gb=",
		"/api/cost?cost_per_gb=1&cost_per_gb=2",
		// exports
		"/api/export?format=xml",
		"/api/export?format=",
		"/api/export?format=json&format=csv",
		"/api/export?from=2000-01-01&to=2026-01-01",
		"/api/export?from=2026-03-08&to=2026-03-01",
		"/api/export?from=2026-02-30",
		"/api/export?to=yesterday",
		"/api/export/wrapup?format=pdf",
		"/api/export/wrapup?year=abc",
		"/api/export/wrapup?year=1969",
		"/api/export/wrapup?year=2027",
		"/api/exports/generate?range_type=decade",
		"/api/exports/generate?format=pdf",
		"/api/exports/generate?range_type=custom",
		"/api/exports/generate?range_type=custom&start_date=2026-03-01",
		"/api/exports/generate?range_type=custom&start_date=2026-03-08&end_date=2026-03-01",
		"/api/exports/generate?range_type=custom&start_date=2000-01-01&end_date=2026-03-01",
		"/api/exports/generate?range_type=month&start_date=2026-03-01",
		"/api/exports/generate?range_type=custom&start_date=2026-13-01&end_date=2026-03-01",
		// a query string over the length limit
		"/api/month?month=" + strings.Repeat("9", 5000),
	}
	for _, empty := range []bool{false, true} {
		f := newFixture(t, empty)
		for _, target := range targets {
			name := target
			if len(name) > 120 {
				name = name[:120]
			}
			t.Run(name, func(t *testing.T) {
				rec := do(t, f.srv.Handler(), "GET", target)
				if rec.Code != http.StatusBadRequest {
					t.Fatalf("status %d, want 400; body %s", rec.Code, rec.Body)
				}
				assertJSONError(t, rec.Header(), rec.Body.Bytes())
			})
		}
	}
}

// assertJSONError checks a body is {"error": "<a sentence>"}.
func assertJSONError(t *testing.T, h http.Header, body []byte) {
	t.Helper()
	if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want JSON", ct)
	}
	var e map[string]any
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body is not JSON: %v: %q", err, body)
	}
	msg, _ := e["error"].(string)
	if len(msg) < 10 || !strings.HasSuffix(msg, ".") {
		t.Errorf("error %q is not a sentence", msg)
	}
}

// TestGoodParameters are edge values that must be accepted.
func TestGoodParameters(t *testing.T) {
	f := newFixture(t, false)
	for _, target := range []string{
		"/api/month?month=1970-01",
		"/api/month?month=2199-12",
		"/api/range?from=2026-03-01&to=2026-03-01",
		"/api/range?from_date=2016-03-13&to_date=2026-03-08", // 3649 days: within the cap
		"/api/days?from=2026-03-01",
		"/api/top?limit=1",
		"/api/top?limit=1000",
		"/api/cost?cost_per_gb=0",
		"/api/cost?cost_per_gb=7.5",
		"/api/export?format=CSV",
		"/api/events?limit=1000",
		"/api/today?unknown=ignored",
		"/api/exports/generate?range_type=today",
		"/api/exports/generate?range_type=week&format=md",
		"/api/exports/generate?range_type=year",
	} {
		rec := do(t, f.srv.Handler(), "GET", target)
		if rec.Code != http.StatusOK {
			t.Errorf("GET %s: status %d, body %s", target, rec.Code, rec.Body)
		}
	}
}

// TestUnknownPathsAndMethods: 404 and 405 are JSON too.
func TestUnknownPathsAndMethods(t *testing.T) {
	f := newFixture(t, true)
	tests := []struct {
		method, target string
		code           int
		allow          string
	}{
		{"GET", "/api/nope", 404, ""},
		{"GET", "/api/today/extra", 404, ""},
		{"GET", "/api/", 404, ""},
		{"GET", "/favicon.ico", 404, ""},
		{"POST", "/api/today", 405, "GET, HEAD"},
		{"DELETE", "/api/health", 405, "GET, HEAD"},
		{"PUT", "/metrics", 405, "GET, HEAD"},
		{"GET", "/api/storage/cleanup", 405, "POST"},
		{"POST", "/", 405, "GET, HEAD"},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.target, func(t *testing.T) {
			rec := do(t, f.srv.Handler(), tc.method, tc.target, "Origin", "http://"+testHost)
			if rec.Code != tc.code {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.code, rec.Body)
			}
			assertJSONError(t, rec.Header(), rec.Body.Bytes())
			if got := rec.Header().Get("Allow"); got != tc.allow {
				t.Errorf("Allow %q, want %q", got, tc.allow)
			}
		})
	}
	if rec := do(t, f.srv.Handler(), "HEAD", "/api/today"); rec.Code != http.StatusOK {
		t.Errorf("HEAD /api/today: %d", rec.Code)
	}
}
