package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzQuery drives the whole handler with arbitrary paths, query strings
// and methods: no input may cause a panic or a 5xx. Run it with
//
//	go test ./internal/api -run '^$' -fuzz FuzzQuery -fuzztime 30s
func FuzzQuery(f *testing.F) {
	seeds := []string{
		"/api/today", "/api/month?month=2026-03", "/api/month?month=2026-13",
		"/api/range?from_date=2026-03-01&to_date=2026-03-08", "/api/range?from=2026-03-08&to=2026-03-01",
		"/api/days?from=2016-01-01&to=2026-01-01", "/api/hours?date=2025-11-02", "/api/top?limit=5",
		"/api/events?limit=3&from=2026-03-01", "/api/cost?cost_per_gb=1e308", "/api/export?format=csv",
		"/api/export?format=toon", "/api/export/llm", "/api/export/wrapup?year=2026&format=toon",
		"/api/exports/generate?range_type=custom&start_date=2026-03-01&end_date=2026-03-08&format=markdown",
		"/api/exports/generate?range_type=all", "/api/interfaces", "/api/summary", "/metrics", "/api/health",
		"/api/storage", "/api/live", "/api/live/stream", "/dashboard/../api/today", "/api/%2e%2e/metrics",
		"/api/month?month=%00", "/api/range?from_date=2026-03-01;to_date=2026-03-02", "//api//today",
	}
	for i, s := range seeds {
		f.Add(s, byte(i))
	}
	fx := newFixture(f, false)
	h := fx.srv.Handler()
	methods := []string{"GET", "HEAD", "POST", "OPTIONS", "PUT"}
	f.Fuzz(func(t *testing.T, target string, m byte) {
		method := methods[int(m)%len(methods)]
		if method == "POST" && strings.Contains(target, "cleanup") {
			method = "GET" // pruning the fixture would change later runs
		}
		if !strings.HasPrefix(target, "/") {
			target = "/" + target
		}
		u, err := url.ParseRequestURI(target)
		if err != nil {
			return // not a request line a server would accept
		}
		req := httptest.NewRequest("GET", "/", nil)
		req.Method = method
		req.URL = u
		req.RequestURI = target
		req.Host = testHost
		// The stream runs until the client leaves: give it a short life.
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		if !strings.Contains(u.Path, "stream") {
			ctx = context.Background()
		}
		req = req.WithContext(ctx)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %q: status %d: %s", method, target, rec.Code, rec.Body)
		}
		if rec.Code >= 400 && !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
			t.Fatalf("%s %q: error %d is not JSON: %q", method, target, rec.Code, rec.Body)
		}
	})
}

// TestFuzzSeedsQuick runs the seeds and a few hostile shapes as a plain
// test, so CI covers them without -fuzz.
func TestFuzzSeedsQuick(t *testing.T) {
	fx := newFixture(t, false)
	for _, target := range []string{
		"/api/hours?date=2026-03-08&date=2026-03-09",
		"/api/top?limit=" + strings.Repeat("9", 300),
		"/api/cost?cost_per_gb=" + strings.Repeat("1", 400),
		"/api/range?from_date=2026-03-01&to_date=2026-03-01&from_date=x",
	} {
		rec := do(t, fx.srv.Handler(), "GET", target)
		if rec.Code >= 500 {
			t.Errorf("GET %s: %d", target, rec.Code)
		}
	}
	_ = http.StatusOK
}
