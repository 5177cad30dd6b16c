// Package notify delivers data-plan alerts: to a webhook (JSON, ntfy or
// Slack-style) over HTTP and as desktop notifications through the system's
// own command (notify-send, osascript, PowerShell). It holds the I/O that
// package plan, which only decides when an alert is due, must not: plan
// stays pure, so the store that saves plan state depends on no HTTP client
// or process runner. A Notifier queues alerts and retries in the
// background, so a slow endpoint never stalls the daemon's sampling loop.
package notify

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/packetbuddy/pb/internal/plan"
)

// Sender delivers one alert in one attempt. Notifier adds the queue and the
// retries, so a Sender only has to say whether the attempt worked.
type Sender interface {
	Deliver(ctx context.Context, a plan.Alert) error
}

// permanentError marks a failure a retry cannot fix (a 4xx other than 408
// and 429: wrong URL, bad token).
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

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
	queue   chan plan.Alert
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
	n := &Notifier{senders: senders, opts: opts, queue: make(chan plan.Alert, opts.QueueSize),
		ctx: ctx, cancel: cancel, done: make(chan struct{})}
	go n.run()
	return n
}

// Send queues an alert for delivery and returns at once. It returns false
// when the alert was dropped because the queue is full or the Notifier is
// closed.
func (n *Notifier) Send(a plan.Alert) bool {
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
func (n *Notifier) deliver(s Sender, a plan.Alert) error {
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
