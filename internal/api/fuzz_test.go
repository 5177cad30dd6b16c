package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/web"
)

// FuzzQuery drives the whole handler, the API and the dashboard's file
// server, with arbitrary paths, query strings and methods, as an API client
// or as a browser (Accept: text/html): no input may cause a panic or a 5xx,
// and every error is JSON, or a page for a browser outside /api/. Run it with
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
		"/dashboard/", "/dashboard/js/app.js", "/dashboard/%ff", "/dashboard/%c0%ae%c0%ae/etc/passwd",
		"/dashboard/a%00b", "/dashboard/..%5c..%5cwin.ini", "/dashboard/" + strings.Repeat("%e2%82", 300),
		"/dashboard/js/", "/dashboard/app.css.gz", "/docs", "/dashboard/docs.html", "/favicon.ico",
	}
	for i, s := range seeds {
		f.Add(s, byte(i))
		f.Add(s, byte(i)|0x80)
	}
	fx := newFixture(f, false, func(d *Deps) { d.Dashboard = web.FS() })
	h := fx.srv.Handler()
	methods := []string{"GET", "HEAD", "POST", "OPTIONS", "PUT"}
	f.Fuzz(func(t *testing.T, target string, m byte) {
		method := methods[int(m&0x7f)%len(methods)]
		browser := m&0x80 != 0
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
		if browser {
			req.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
			req.Header.Set("Accept-Encoding", "gzip, deflate, br")
		}
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
		ct := rec.Header().Get("Content-Type")
		page := browser && !strings.HasPrefix(u.Path, "/api/") && u.Path != "/metrics"
		if rec.Code >= 400 && !strings.HasPrefix(ct, "application/json") && !(page && strings.HasPrefix(ct, "text/html")) {
			t.Fatalf("%s %q (browser %v): error %d is %q: %q", method, target, browser, rec.Code, ct, rec.Body)
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
