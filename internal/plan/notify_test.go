package plan

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"
)

func sampleAlert() Alert {
	loc := time.FixedZone("CET", 3600)
	return Alert{Plan: "Home fibre", Kind: AlertThreshold, Threshold: 80, Used: 80e9, Cap: 100e9, Percent: 80,
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

// A webhook answering 500 is retried with growing waits, while Send returns
// at once even though the endpoint is slow.
func TestNotifierRetriesWithBackoff(t *testing.T) {
	rec := newRecorder(500)
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(50 * time.Millisecond)
		rec.ServeHTTP(w, r)
	})
	srv := httptest.NewServer(slow)
	defer srv.Close()
	var logs []string
	var mu sync.Mutex
	n := NewNotifier(NotifierOptions{Attempts: 4, Backoff: 40 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
		Log: func(f string, args ...any) { mu.Lock(); logs = append(logs, f); mu.Unlock() }}, &Webhook{URL: srv.URL})
	begin := time.Now()
	if !n.Send(sampleAlert()) {
		t.Fatal("Send dropped the alert")
	}
	if d := time.Since(begin); d > 20*time.Millisecond {
		t.Errorf("Send took %v; it must not wait for delivery", d)
	}
	reqs := rec.wait(t, 4)
	// Waits between attempts: 40, 80, then 100 ms (capped), each plus the
	// handler's 50 ms.
	for i, min := range []time.Duration{90, 130, 150} {
		if gap := reqs[i+1].at.Sub(reqs[i].at); gap < min*time.Millisecond {
			t.Errorf("gap before attempt %d = %v, want at least %v ms", i+2, gap, min)
		}
	}
	if err := n.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-rec.got:
		t.Error("more attempts than Attempts")
	default:
	}
	if n.Failed() != 1 || n.Delivered() != 0 {
		t.Errorf("failed %d delivered %d", n.Failed(), n.Delivered())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(logs) != 4 { // three retries and the give-up
		t.Errorf("logged %d lines: %q", len(logs), logs)
	}
}

func TestNotifierRecoversAndSkipsPermanent(t *testing.T) {
	flaky := newRecorder(502, 500, 200)
	srv := httptest.NewServer(flaky)
	defer srv.Close()
	gone := newRecorder(404)
	srv404 := httptest.NewServer(gone)
	defer srv404.Close()
	n := NewNotifier(NotifierOptions{Attempts: 5, Backoff: time.Millisecond}, &Webhook{URL: srv.URL}, &Webhook{URL: srv404.URL})
	n.Send(sampleAlert())
	flaky.wait(t, 3)
	gone.wait(t, 1)
	if err := n.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n.Delivered() != 1 || n.Failed() != 1 || len(gone.reqs) != 1 {
		t.Errorf("delivered %d failed %d, 404 tried %d times", n.Delivered(), n.Failed(), len(gone.reqs))
	}
}

// blockSender blocks until released, to fill the queue.
type blockSender struct{ release chan struct{} }

func (b blockSender) Deliver(ctx context.Context, _ Alert) error {
	select {
	case <-b.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func TestNotifierQueueFullAndClose(t *testing.T) {
	b := blockSender{release: make(chan struct{})}
	n := NewNotifier(NotifierOptions{QueueSize: 2}, b)
	sent := 0
	for range 10 {
		if n.Send(sampleAlert()) {
			sent++
		}
	}
	// One alert in the worker, two queued; the rest dropped, none blocked.
	if sent > 3 || sent < 2 || n.Dropped() != uint64(10-sent) {
		t.Errorf("sent %d, dropped %d", sent, n.Dropped())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := n.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close = %v, want deadline exceeded", err)
	}
	if n.Send(sampleAlert()) {
		t.Error("Send after Close accepted an alert")
	}
	if n.Delivered() != 0 || n.Failed() != uint64(sent) {
		t.Errorf("delivered %d failed %d", n.Delivered(), n.Failed())
	}
}

func TestNotifierCloseCancelsBackoff(t *testing.T) {
	srv := httptest.NewServer(newRecorder(500))
	defer srv.Close()
	n := NewNotifier(NotifierOptions{Attempts: 3, Backoff: time.Hour}, &Webhook{URL: srv.URL})
	n.Send(sampleAlert())
	time.Sleep(50 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	begin := time.Now()
	_ = n.Close(ctx)
	if d := time.Since(begin); d > 2*time.Second {
		t.Errorf("Close waited %v through an hour-long backoff", d)
	}
}

type fakeRunner struct {
	name string
	args []string
	err  error
}

func (f *fakeRunner) Run(_ context.Context, name string, args ...string) error {
	f.name, f.args = name, args
	return f.err
}

func TestDesktopCommands(t *testing.T) {
	a := sampleAlert()
	a.Title = "-Bob's \"plan\" ‘x’"
	tests := []struct {
		os, name string
		check    func(t *testing.T, args []string)
	}{
		{"linux", "notify-send", func(t *testing.T, args []string) {
			if n := len(args); n < 3 || args[n-3] != "--" || args[n-2] != a.Title || args[n-1] != a.Message {
				t.Errorf("args %q", args)
			}
		}},
		{"darwin", "osascript", func(t *testing.T, args []string) {
			if n := len(args); args[n-2] != a.Title || args[n-1] != a.Message || strings.Contains(strings.Join(args[:n-2], " "), "Bob") {
				t.Errorf("args %q: title and message must be run arguments, not script text", args)
			}
		}},
		{"windows", "powershell.exe", func(t *testing.T, args []string) {
			if args[len(args)-2] != "-EncodedCommand" {
				t.Fatalf("args %q", args)
			}
			raw, err := base64.StdEncoding.DecodeString(args[len(args)-1])
			if err != nil || len(raw)%2 != 0 {
				t.Fatalf("bad -EncodedCommand: %v", err)
			}
			u := make([]uint16, len(raw)/2)
			for i := range u {
				u[i] = uint16(raw[2*i]) | uint16(raw[2*i+1])<<8
			}
			script := string(utf16.Decode(u))
			if !strings.Contains(script, "CreateTextNode("+psQuote(a.Title)+")") || !strings.Contains(script, psQuote(a.Message)) {
				t.Errorf("script does not carry the quoted title and message:\n%s", script)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.os, func(t *testing.T) {
			r := &fakeRunner{}
			if err := (&Desktop{Runner: r, OS: tt.os}).Deliver(context.Background(), a); err != nil {
				t.Fatal(err)
			}
			if r.name != tt.name {
				t.Errorf("ran %q, want %q", r.name, tt.name)
			}
			tt.check(t, r.args)
		})
	}
	r := &fakeRunner{}
	err := (&Desktop{Runner: r, OS: "plan9"}).Deliver(context.Background(), a)
	if !errors.Is(err, ErrNoDesktop) || r.name != "" {
		t.Errorf("plan9: err %v, ran %q", err, r.name)
	}
	boom := errors.New("no notification daemon")
	if err := (&Desktop{Runner: &fakeRunner{err: boom}, OS: "linux"}).Deliver(context.Background(), a); !errors.Is(err, boom) {
		t.Errorf("runner error lost: %v", err)
	}
}

func TestPSQuote(t *testing.T) {
	for in, want := range map[string]string{
		"plain":       "'plain'",
		"Bob's":       "'Bob''s'",
		"‘smart’":     "'‘‘smart’’'",
		`$(rm -rf) "`: `'$(rm -rf) "'`,
	} {
		if got := psQuote(in); got != want {
			t.Errorf("psQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
