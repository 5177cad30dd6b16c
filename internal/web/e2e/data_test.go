package e2e

// The known data the browser test runs on: a real store filled through
// store.Flush, and a fake live source standing in for the monitor.

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/api"
	"github.com/packetbuddy/pb/internal/monitor"
	"github.com/packetbuddy/pb/internal/store"
	"github.com/packetbuddy/pb/internal/usage"
)

// fillStore writes about 75 days of traffic up to now (every fifth day
// empty, so the month chart has zero days), one day in each month of the
// previous year (for the year view), an excluded interface, peaks and
// events. It returns the total bytes of the counted interfaces.
func fillStore(ctx context.Context, t *testing.T, st *store.Store, loc *time.Location, now time.Time) uint64 {
	t.Helper()
	today := usage.DateOf(now.In(loc))
	b := usage.Batch{
		Interfaces: []usage.Interface{
			{Name: "eth0", MAC: "02:00:00:00:00:01", Kind: "ethernet", Counted: true},
			{Name: "wlan0", MAC: "02:00:00:00:00:02", Kind: "wifi", Counted: true},
			{Name: "docker0", MAC: "02:00:00:00:00:03", Kind: "virtual", Counted: false},
			{Name: "lo", Kind: "loopback", Counted: false},
		},
	}
	var counted uint64
	add := func(iface, mac string, at time.Time, rx, tx uint64) {
		b.Deltas = append(b.Deltas, usage.Delta{Iface: iface, MAC: mac, Bucket: at.UTC().Truncate(usage.FineBucket), Totals: usage.Totals{Rx: rx, Tx: tx}})
		if iface == "eth0" || iface == "wlan0" {
			counted += rx + tx
		}
	}
	for i := -75; i <= 0; i++ {
		if i%5 == 0 && i != 0 {
			continue // a day with no traffic at all
		}
		d := today.AddDays(i)
		n := uint64(76 + i)
		start := d.Start(loc)
		for k, h := range []uint64{(n*5 + 1) % 24, (n*5 + 9) % 24, (n*5 + 17) % 24} {
			at := start.Add(time.Duration(h)*time.Hour + 7*time.Minute)
			if i == 0 && at.After(now) {
				at = now.Add(-time.Duration(k+1) * time.Minute) // today: only the past
				if at.Before(start) {
					at = start
				}
			}
			f := uint64(k + 1)
			add("eth0", "02:00:00:00:00:01", at, n*37_000_000*f+123_456, n*9_000_000*f+7_891)
			if i%3 == 0 {
				wat := at.Add(2 * time.Minute)
				if wat.After(now) {
					// Today's traffic is all in the past: two minutes on
					// could reach into the next hour, which the page shows
					// as "not yet" while the API already has it.
					wat = at
				}
				add("wlan0", "02:00:00:00:00:02", wat, n*4_500_000+999_995, n*600_000+512)
			}
			add("docker0", "02:00:00:00:00:03", at, 2_000_000_000, 1_000_000_000) // never in the total
		}
		b.Peaks = append(b.Peaks, usage.Peak{Bucket: start.Add(time.Duration((n*5+1)%24) * time.Hour).UTC().Truncate(usage.CoarseBucket), BytesPerSec: n * 250_000})
	}
	for m := time.January; m <= time.December; m++ {
		d := usage.Date{Year: today.Year - 1, Month: m, Day: 15}
		add("eth0", "02:00:00:00:00:01", d.Start(loc).Add(14*time.Hour), uint64(m)*1_500_000_000, uint64(m)*250_000_000)
	}
	b.Events = []usage.Event{
		{Time: now.Add(-2 * time.Hour), Kind: usage.EventSpike, Iface: "eth0", Totals: usage.Totals{Rx: 9_000_000_000_000}, Message: "A jump of 9.00 TB in one second is faster than the link can carry; discarded."},
		{Time: now.Add(-26 * time.Hour), Kind: usage.EventRestart, Message: "The daemon restarted in the same boot; 12.30 MB that passed while it was stopped were counted."},
	}
	if err := st.Flush(ctx, b); err != nil {
		t.Fatal(err)
	}
	return counted
}

// fakeLive is the live source: it publishes a monitor.Live four times a
// second with the speed the test sets, like the monitor does after each poll.
type fakeLive struct {
	mu      sync.Mutex
	rate    monitor.Rate
	subs    map[chan monitor.Live]struct{}
	started time.Time
	polls   uint64
	stop    chan struct{}
}

var _ api.Monitor = (*fakeLive)(nil)

func newFakeLive() *fakeLive {
	f := &fakeLive{subs: map[chan monitor.Live]struct{}{}, started: time.Now(), stop: make(chan struct{})}
	go func() {
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-f.stop:
				return
			case <-tick.C:
				f.publish()
			}
		}
	}()
	return f
}

func (f *fakeLive) close() { close(f.stop) }

// set changes the speed of eth0 (counted); docker0 (excluded) always moves
// 1 MB/s, which must never show in the total.
func (f *fakeLive) set(rx, tx uint64) {
	f.mu.Lock()
	f.rate = monitor.Rate{RxPerSec: rx, TxPerSec: tx}
	f.mu.Unlock()
}

func (f *fakeLive) live() monitor.Live {
	return monitor.Live{
		Time:  time.Now(),
		Total: f.rate,
		Interfaces: []monitor.IfaceRate{
			{Name: "eth0", Kind: "ethernet", Counted: true, Rate: f.rate},
			{Name: "docker0", Kind: "virtual", Counted: false, Rate: monitor.Rate{RxPerSec: 1_000_000, TxPerSec: 1_000_000}},
		},
		PeakToday: 19_000_000,
	}
}

func (f *fakeLive) publish() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.polls++
	l := f.live()
	for ch := range f.subs {
		select {
		case ch <- l:
		default:
		}
	}
}

func (f *fakeLive) Live() monitor.Live {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.live()
}

func (f *fakeLive) Subscribe() (<-chan monitor.Live, func()) {
	ch := make(chan monitor.Live, 1)
	f.mu.Lock()
	f.subs[ch] = struct{}{}
	f.mu.Unlock()
	return ch, func() {
		f.mu.Lock()
		delete(f.subs, ch)
		f.mu.Unlock()
	}
}

func (f *fakeLive) Status() monitor.Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	return monitor.Status{Started: f.started, LastPoll: time.Now(), Polls: f.polls}
}

func (f *fakeLive) Pending(from, to time.Time, _ usage.Filter) usage.Totals { return usage.Totals{} }
func (f *fakeLive) PendingPeak(from, to time.Time) uint64                   { return 0 }
func (f *fakeLive) Unwritten(from, to time.Time) usage.Unwritten            { return usage.Unwritten{} }
