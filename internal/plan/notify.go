package plan

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// Sender delivers one alert in one attempt. Notifier adds the queue and the
// retries, so a Sender only has to say whether the attempt worked.
type Sender interface {
	Deliver(ctx context.Context, a Alert) error
}

// WebhookFormat selects the request a Webhook sends.
type WebhookFormat string

// Webhook formats.
const (
	// FormatJSON posts a WebhookBody as application/json (the default).
	FormatJSON WebhookFormat = "json"
	// FormatNtfy posts the message as a plain-text body with Title, Tags and
	// Priority headers, as ntfy.sh topics expect.
	FormatNtfy WebhookFormat = "ntfy"
	// FormatSlack posts {"text": "..."}, which Slack, Mattermost and
	// Discord's /slack endpoints accept as an incoming webhook.
	FormatSlack WebhookFormat = "slack"
)

// WebhookBody is the documented JSON a FormatJSON webhook receives:
//
//	{"plan": "Home fibre", "kind": "threshold", "threshold": 80,
//	 "used_bytes": 80000000000, "cap_bytes": 100000000000, "percent": 80,
//	 "cycle_start": "2026-03-01T00:00:00+01:00", "cycle_end": "2026-04-01T00:00:00+02:00",
//	 "forecast_bytes": 120000000000, "title": "...", "message": "..."}
//
// kind is "threshold" or "forecast" (threshold is 0 for a forecast alert);
// times are RFC 3339 in the zone the cycle was computed in.
type WebhookBody struct {
	Plan          string    `json:"plan"`
	Kind          AlertKind `json:"kind"`
	Threshold     int       `json:"threshold"`
	UsedBytes     uint64    `json:"used_bytes"`
	CapBytes      uint64    `json:"cap_bytes"`
	Percent       float64   `json:"percent"`
	CycleStart    time.Time `json:"cycle_start"`
	CycleEnd      time.Time `json:"cycle_end"`
	ForecastBytes uint64    `json:"forecast_bytes"`
	Title         string    `json:"title"`
	Message       string    `json:"message"`
}

// Webhook sends alerts as HTTP POSTs.
type Webhook struct {
	URL     string
	Format  WebhookFormat     // "" is FormatJSON
	Headers map[string]string // extra headers, e.g. Authorization for a private ntfy topic
	Client  *http.Client      // nil: a client with a 15 s timeout
}

// defaultClient bounds every attempt: a webhook that hangs must not hold the
// queue for ever.
var defaultClient = &http.Client{Timeout: 15 * time.Second}

// permanentError marks a failure a retry cannot fix (a 4xx other than 408
// and 429: wrong URL, bad token).
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Deliver makes one POST. A non-2xx answer is an error; 4xx answers other
// than 408 and 429 are marked so Notifier does not retry them.
func (w *Webhook) Deliver(ctx context.Context, a Alert) error {
	var body []byte
	var err error
	header := http.Header{}
	switch w.Format {
	case FormatNtfy:
		body = []byte(a.Message)
		header.Set("Content-Type", "text/plain; charset=utf-8")
		// ntfy decodes RFC 2047 headers, so plan names need not be ASCII.
		header.Set("Title", mime.QEncoding.Encode("utf-8", a.Title))
		tags, prio := "warning", "default"
		if a.Kind == AlertThreshold && a.Threshold >= 100 {
			tags, prio = "rotating_light", "high"
		}
		header.Set("Tags", tags)
		header.Set("Priority", prio)
	case FormatSlack:
		body, err = json.Marshal(map[string]string{"text": "*" + a.Title + "*\n" + a.Message})
		header.Set("Content-Type", "application/json")
	case FormatJSON, "":
		body, err = json.Marshal(WebhookBody{
			Plan: a.Plan, Kind: a.Kind, Threshold: a.Threshold, UsedBytes: a.Used, CapBytes: a.Cap,
			Percent: a.Percent, CycleStart: a.CycleStart, CycleEnd: a.CycleEnd, ForecastBytes: a.Forecast,
			Title: a.Title, Message: a.Message,
		})
		header.Set("Content-Type", "application/json")
	default:
		return permanentError{fmt.Errorf("webhook: unknown format %q (use json, ntfy or slack)", w.Format)}
	}
	if err != nil {
		return permanentError{err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return permanentError{fmt.Errorf("webhook: %w", err)}
	}
	req.Header = header
	for k, v := range w.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("User-Agent", "PacketBuddy")
	client := w.Client
	if client == nil {
		client = defaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		// The URL may carry a secret token; *url.Error prints it, so say
		// only what went wrong.
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		return fmt.Errorf("webhook: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	if resp.StatusCode/100 == 2 {
		return nil
	}
	err = fmt.Errorf("webhook: HTTP %s", resp.Status)
	if resp.StatusCode/100 == 4 && resp.StatusCode != http.StatusRequestTimeout && resp.StatusCode != http.StatusTooManyRequests {
		return permanentError{err}
	}
	return err
}

// NotifierOptions tunes a Notifier; zero fields take the defaults.
type NotifierOptions struct {
	QueueSize  int           // alerts waiting for delivery; default 64
	Attempts   int           // tries per alert and sender; default 5
	Backoff    time.Duration // wait before the first retry, doubled after each; default 2 s
	MaxBackoff time.Duration // longest wait between tries; default 1 min
	// Log, if set, is told about each failed attempt and each alert given up on.
	Log func(format string, args ...any)
}

// Notifier delivers alerts in its own goroutine. Send never blocks: alerts
// wait in a bounded queue, and when it is full (every sender down for a long
// time) new alerts are dropped and counted rather than stalling the caller,
// which is the daemon's sampling loop.
type Notifier struct {
	senders []Sender
	opts    NotifierOptions
	queue   chan Alert
	ctx     context.Context
	cancel  context.CancelFunc
	done    chan struct{}

	mu     sync.Mutex // guards closed against Send racing Close
	closed bool

	delivered, failed, dropped atomic.Uint64
}

// NewNotifier starts a Notifier that hands each alert to every sender.
// Call Close to stop it.
func NewNotifier(opts NotifierOptions, senders ...Sender) *Notifier {
	if opts.QueueSize <= 0 {
		opts.QueueSize = 64
	}
	if opts.Attempts <= 0 {
		opts.Attempts = 5
	}
	if opts.Backoff <= 0 {
		opts.Backoff = 2 * time.Second
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = time.Minute
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := &Notifier{senders: senders, opts: opts, queue: make(chan Alert, opts.QueueSize),
		ctx: ctx, cancel: cancel, done: make(chan struct{})}
	go n.run()
	return n
}

// Send queues an alert for delivery and returns at once. It returns false
// when the alert was dropped because the queue is full or the Notifier is
// closed.
func (n *Notifier) Send(a Alert) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		n.dropped.Add(1)
		return false
	}
	select {
	case n.queue <- a:
		return true
	default:
		n.dropped.Add(1)
		return false
	}
}

// Delivered, Failed and Dropped count deliveries per sender that succeeded,
// that were given up on after the last attempt (or a permanent error), and
// alerts dropped by Send.
func (n *Notifier) Delivered() uint64 { return n.delivered.Load() }

// Failed: see Delivered.
func (n *Notifier) Failed() uint64 { return n.failed.Load() }

// Dropped: see Delivered.
func (n *Notifier) Dropped() uint64 { return n.dropped.Load() }

// Close stops accepting alerts and waits for the queue to drain. When ctx
// ends first, pending retries are abandoned and ctx's error is returned.
func (n *Notifier) Close(ctx context.Context) error {
	n.mu.Lock()
	if !n.closed {
		n.closed = true
		close(n.queue)
	}
	n.mu.Unlock()
	select {
	case <-n.done:
		n.cancel()
		return nil
	case <-ctx.Done():
		n.cancel()
		<-n.done
		return ctx.Err()
	}
}

func (n *Notifier) run() {
	defer close(n.done)
	for a := range n.queue {
		for _, s := range n.senders {
			if n.ctx.Err() != nil {
				n.failed.Add(1)
				continue
			}
			if err := n.deliver(s, a); err != nil {
				n.failed.Add(1)
				n.logf("plan %q: giving up on alert: %v", a.Plan, err)
			} else {
				n.delivered.Add(1)
			}
		}
	}
}

// deliver tries one sender with exponential backoff. No jitter: there is one
// daemon per user, so no herd of clients to spread out.
func (n *Notifier) deliver(s Sender, a Alert) error {
	wait := n.opts.Backoff
	var err error
	for attempt := 1; ; attempt++ {
		if err = s.Deliver(n.ctx, a); err == nil {
			return nil
		}
		var perm permanentError
		if errors.As(err, &perm) || attempt >= n.opts.Attempts {
			return err
		}
		n.logf("plan %q: alert delivery attempt %d failed, retrying in %v: %v", a.Plan, attempt, wait, err)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-n.ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (then: %w)", err, n.ctx.Err())
		}
		wait = min(wait*2, n.opts.MaxBackoff)
	}
}

func (n *Notifier) logf(format string, args ...any) {
	if n.opts.Log != nil {
		n.opts.Log(format, args...)
	}
}
