package notify

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/plan"
)

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

func (b blockSender) Deliver(ctx context.Context, _ plan.Alert) error {
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
