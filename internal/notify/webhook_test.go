package notify

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/plan"
)

func sampleAlert() plan.Alert {
	loc := time.FixedZone("CET", 3600)
	return plan.Alert{Plan: "Home fibre", Kind: plan.AlertThreshold, Threshold: 80, Used: 80e9, Cap: 100e9, Percent: 80,
		Forecast: 120e9, CycleStart: time.Date(2026, 3, 1, 0, 0, 0, 0, loc), CycleEnd: time.Date(2026, 4, 1, 0, 0, 0, 0, loc),
		Title: "Home fibre: 80% of the data cap used", Message: "80.00 GB of 100.00 GB used"}
}

type request struct {
	header http.Header
	body   string
	at     time.Time
}

// recorder is an httptest handler that answers with codes in turn (the last
// one repeating) and records every request.
type recorder struct {
	mu    sync.Mutex
	codes []int
	reqs  []request
	got   chan struct{}
}

func newRecorder(codes ...int) *recorder {
	return &recorder{codes: codes, got: make(chan struct{}, 100)}
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.reqs = append(r.reqs, request{req.Header.Clone(), string(b), time.Now()})
	code := r.codes[min(len(r.reqs), len(r.codes))-1]
	r.mu.Unlock()
	w.WriteHeader(code)
	r.got <- struct{}{}
}

func (r *recorder) wait(t *testing.T, n int) []request {
	t.Helper()
	for range n {
		select {
		case <-r.got:
		case <-time.After(5 * time.Second):
			t.Fatalf("timed out waiting for request %d", n)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]request(nil), r.reqs...)
}

func TestWebhookFormats(t *testing.T) {
	a := sampleAlert()
	tests := []struct {
		format WebhookFormat
		check  func(t *testing.T, r request)
	}{
		{FormatJSON, func(t *testing.T, r request) {
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(r.body), &got); err != nil {
				t.Fatal(err)
			}
			want := map[string]any{"plan": "Home fibre", "kind": "threshold", "threshold": 80.0, "used_bytes": 80e9,
				"cap_bytes": 100e9, "percent": 80.0, "cycle_start": "2026-03-01T00:00:00+01:00",
				"cycle_end": "2026-04-01T00:00:00+01:00", "forecast_bytes": 120e9,
				"title": a.Title, "message": a.Message}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s = %#v, want %#v", k, got[k], v)
				}
			}
			if len(got) != len(want) {
				t.Errorf("body has %d fields, want %d: %s", len(got), len(want), r.body)
			}
		}},
		{FormatNtfy, func(t *testing.T, r request) {
			if r.body != a.Message || r.header.Get("Title") != a.Title || r.header.Get("Tags") != "warning" ||
				!strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
				t.Errorf("ntfy request: headers %v body %q", r.header, r.body)
			}
		}},
		{FormatSlack, func(t *testing.T, r request) {
			var got map[string]string
			if err := json.Unmarshal([]byte(r.body), &got); err != nil {
				t.Fatal(err)
			}
			if got["text"] != "*"+a.Title+"*\n"+a.Message || len(got) != 1 {
				t.Errorf("slack body %s", r.body)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.format), func(t *testing.T) {
			rec := newRecorder(200)
			srv := httptest.NewServer(rec)
			defer srv.Close()
			w := &Webhook{URL: srv.URL, Format: tt.format, Headers: map[string]string{"Authorization": "Bearer tk"}}
			if err := w.Deliver(context.Background(), a); err != nil {
				t.Fatal(err)
			}
			r := rec.wait(t, 1)[0]
			if r.header.Get("Authorization") != "Bearer tk" {
				t.Errorf("extra header lost: %v", r.header)
			}
			tt.check(t, r)
		})
	}
}

func TestWebhookNtfyUnicodeTitleAndUrgency(t *testing.T) {
	rec := newRecorder(200)
	srv := httptest.NewServer(rec)
	defer srv.Close()
	a := sampleAlert()
	a.Title, a.Threshold = "Café Wi-Fi: 100%", 100
	if err := (&Webhook{URL: srv.URL, Format: FormatNtfy}).Deliver(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	r := rec.wait(t, 1)[0]
	if h := r.header.Get("Title"); !strings.HasPrefix(h, "=?utf-8?q?") || r.header.Get("Tags") != "rotating_light" || r.header.Get("Priority") != "high" {
		t.Errorf("headers %v", r.header)
	}
}

func TestWebhookErrors(t *testing.T) {
	for _, tt := range []struct {
		code      int
		permanent bool
	}{{500, false}, {503, false}, {429, false}, {408, false}, {404, true}, {401, true}} {
		srv := httptest.NewServer(newRecorder(tt.code))
		err := (&Webhook{URL: srv.URL}).Deliver(context.Background(), sampleAlert())
		srv.Close()
		var perm permanentError
		if err == nil || errors.As(err, &perm) != tt.permanent {
			t.Errorf("HTTP %d: err %v, permanent want %v", tt.code, err, tt.permanent)
		}
	}
	err := (&Webhook{URL: "http://127.0.0.1:1/hook?token=s3cret"}).Deliver(context.Background(), sampleAlert())
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("unreachable webhook: %v (must not show the URL's secret)", err)
	}
}
