package monitor

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/packetbuddy/pb/internal/counter"
	"github.com/packetbuddy/pb/internal/logbuf"
	"github.com/packetbuddy/pb/internal/usage"
)

// fakeReader serves counters set by the test.
type fakeReader struct {
	counters map[string]counter.Counter
	infos    map[string]counter.Info
	err      error
}

func (r *fakeReader) Read(dst []counter.Counter) ([]counter.Counter, error) {
	if r.err != nil {
		return dst, r.err
	}
	names := make([]string, 0, len(r.counters))
	for n := range r.counters {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		dst = append(dst, r.counters[n])
	}
	return dst, nil
}

func (r *fakeReader) Info(name string) (counter.Info, error) {
	if i, ok := r.infos[name]; ok {
		return i, nil
	}
	return counter.Info{}, errors.New("no such interface")
}

// fakeStore keeps what was flushed, like the real store: deltas add up, the
// snapshot is replaced.
type fakeStore struct {
	totals  map[string]usage.Totals
	buckets map[time.Time]usage.Totals
	events  []usage.Event
	peaks   map[time.Time]uint64
	snap    usage.Snapshot
	hasSnap bool
	failN   int // fail this many flushes
	flushes int
}

func newFakeStore() *fakeStore {
	return &fakeStore{totals: map[string]usage.Totals{}, buckets: map[time.Time]usage.Totals{}, peaks: map[time.Time]uint64{}}
}

func (s *fakeStore) Flush(_ context.Context, b usage.Batch) error {
	if s.failN > 0 {
		s.failN--
		return errors.New("disk full")
	}
	s.flushes++
	for _, d := range b.Deltas {
		s.totals[d.Iface] = s.totals[d.Iface].Add(d.Totals)
		s.buckets[d.Bucket] = s.buckets[d.Bucket].Add(d.Totals)
	}
	for _, p := range b.Peaks {
		s.peaks[p.Bucket] = max(s.peaks[p.Bucket], p.BytesPerSec)
	}
	s.events = append(s.events, b.Events...)
	s.snap, s.hasSnap = b.Snapshot, true
	return nil
}

func (s *fakeStore) Snapshot(context.Context) (usage.Snapshot, bool, error) {
	return s.snap, s.hasSnap, nil
}

type fakeClock struct{ now Instant }

func (c *fakeClock) Now() Instant { return c.now }

// harness runs a monitor over a fake system.
type harness struct {
	t     *testing.T
	r     *fakeReader
	store *fakeStore
	clock *fakeClock
	boot  string
	m     *Monitor
}

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func newHarness(t *testing.T) *harness {
	h := &harness{
		t:     t,
		r:     &fakeReader{counters: map[string]counter.Counter{}, infos: map[string]counter.Info{}},
		store: newFakeStore(),
		clock: &fakeClock{now: Instant{Wall: t0, Mono: time.Hour}},
		boot:  "boot-1",
	}
	return h
}

// iface adds an interface with its counters and description.
func (h *harness) iface(name string, kind counter.Kind, speedBits uint64, bits int, mac string, rx, tx uint64) {
	h.r.infos[name] = counter.Info{Name: name, Kind: kind, SpeedBits: speedBits, Bits: bits, MAC: mac}
	h.r.counters[name] = counter.Counter{Name: name, RxBytes: rx, TxBytes: tx}
}

func (h *harness) set(name string, rx, tx uint64) {
	c := h.r.counters[name] // keeps the index
	c.Name, c.RxBytes, c.TxBytes = name, rx, tx
	h.r.counters[name] = c
}

// incarnate makes name an interface with this index and MAC (a 1 Gb/s
// ethernet link with 64-bit counters), as when it is created again.
func (h *harness) incarnate(name string, index uint32, mac string, rx, tx uint64) {
	h.r.infos[name] = counter.Info{Name: name, Kind: counter.KindEthernet, SpeedBits: gig, Bits: 64, MAC: mac}
	h.r.counters[name] = counter.Counter{Name: name, Index: index, RxBytes: rx, TxBytes: tx}
}

func (h *harness) remove(name string) { delete(h.r.counters, name) }

// start builds a new monitor (a daemon start) on the same store.
func (h *harness) start() {
	h.t.Helper()
	h.m = New(h.r, h.store, h.clock, Config{PollInterval: time.Second, FlushInterval: 30 * time.Second, BootID: h.boot, Location: time.UTC}, nil)
	if err := h.m.Start(context.Background()); err != nil {
		h.t.Fatalf("start: %v", err)
	}
}

// tick advances both clocks and polls.
func (h *harness) tick(d time.Duration) {
	h.t.Helper()
	h.clock.now.Wall = h.clock.now.Wall.Add(d)
	h.clock.now.Mono += d
	if h.clock.now.Boot > 0 {
		h.clock.now.Boot += d
	}
	if err := h.m.Poll(); err != nil {
		h.t.Fatalf("poll: %v", err)
	}
}

// jump moves only the wall clock (NTP step, manual change) then polls after
// mono has advanced by monoStep.
func (h *harness) jump(wall, monoStep time.Duration) {
	h.t.Helper()
	h.clock.now.Wall = h.clock.now.Wall.Add(wall)
	h.clock.now.Mono += monoStep
	if err := h.m.Poll(); err != nil {
		h.t.Fatalf("poll: %v", err)
	}
}

func (h *harness) flush() {
	h.t.Helper()
	if err := h.m.Flush(context.Background()); err != nil {
		h.t.Fatalf("flush: %v", err)
	}
}

// stop is a daemon shutdown: a last poll and flush.
func (h *harness) stop() {
	h.t.Helper()
	if err := h.m.Poll(); err != nil {
		h.t.Fatalf("final poll: %v", err)
	}
	h.flush()
}

const gig = 1_000_000_000

func TestCountingRules(t *testing.T) {
	tests := []struct {
		name       string
		run        func(h *harness)
		want       map[string]usage.Totals
		wantEvents []usage.EventKind // must all be present
	}{
		{
			name: "plain increments",
			run: func(h *harness) {
				h.iface("eth0", counter.KindEthernet, 1*gig, 64, "aa", 1000, 500)
				h.start()
				h.set("eth0", 3000, 800)
				h.tick(time.Second)
				h.set("eth0", 4000, 900)
				h.tick(time.Second)
				h.stop()
			},
			want:       map[string]usage.Totals{"eth0": {Rx: 3000, Tx: 400}},
			wantEvents: []usage.EventKind{usage.EventFirstRun},
		},
		{
			name: "64-bit wrap",
			run: func(h *harness) {
				h.iface("eth0", counter.KindEthernet, 0, 64, "aa", math.MaxUint64-99, 10)
				h.start()
				h.set("eth0", 50, 20)
				h.tick(time.Second)
				h.stop()
			},
			want:       map[string]usage.Totals{"eth0": {Rx: 150, Tx: 10}},
			wantEvents: []usage.EventKind{usage.EventWrap},
		},
		{
			name: "32-bit wrap, width reported",
			run: func(h *harness) {
				h.iface("eth0", counter.KindEthernet, 0, 32, "aa", math.MaxUint32-99, 10)
				h.start()
				h.set("eth0", 50, 20)
				h.tick(time.Second)
				h.stop()
			},
			want:       map[string]usage.Totals{"eth0": {Rx: 150, Tx: 10}},
			wantEvents: []usage.EventKind{usage.EventWrap},
		},
		{
			name: "32-bit wrap, width unknown, inferred from the value",
			run: func(h *harness) {
				h.iface("eth0", counter.KindEthernet, 0, 0, "aa", 4_000_000_000, 0)
				h.start()
				h.set("eth0", 1000, 0)
				h.tick(time.Second)
				h.stop()
			},
			want:       map[string]usage.Totals{"eth0": {Rx: (1 << 32) - 4_000_000_000 + 1000}},
			wantEvents: []usage.EventKind{usage.EventWrap},
		},
		{
			name: "counter reset to zero then traffic since the reset",
			run: func(h *harness) {
				h.iface("eth0", counter.KindEthernet, 0, 64, "aa", 5*gig, 2*gig)
				h.start()
				h.set("eth0", 0, 0)
				h.tick(time.Second)
				h.set("eth0", 1234, 56)
				h.tick(time.Second)
				h.stop()
			},
			want:       map[string]usage.Totals{"eth0": {Rx: 1234, Tx: 56}},
			wantEvents: []usage.EventKind{usage.EventReset},
		},
		{
			name: "reset with traffic already since the reset",
			run: func(h *harness) {
				h.iface("usb0", counter.KindEthernet, 0, 64, "aa", 9*gig, 9*gig)
				h.start()
				h.set("usb0", 700, 300)
				h.tick(time.Second)
				h.stop()
			},
			want:       map[string]usage.Totals{"usb0": {Rx: 700, Tx: 300}},
			wantEvents: []usage.EventKind{usage.EventReset},
		},
		{
			name: "interface vanishes and returns with its counters intact",
			run: func(h *harness) {
				h.iface("wlan0", counter.KindWiFi, 0, 64, "bb", 100, 100)
				h.start()
				h.set("wlan0", 200, 150)
				h.tick(time.Second)
				h.remove("wlan0")
				h.tick(time.Second)
				h.tick(time.Minute)
				h.set("wlan0", 500, 400)
				h.tick(time.Second)
				h.stop()
			},
			want: map[string]usage.Totals{"wlan0": {Rx: 400, Tx: 300}},
		},
		{
			name: "interface vanishes and returns re-created (counters from zero)",
			run: func(h *harness) {
				h.iface("usb0", counter.KindEthernet, 0, 64, "cc", 100, 100)
				h.start()
				h.set("usb0", 300, 200)
				h.tick(time.Second)
				h.remove("usb0")
				h.tick(time.Second)
				h.set("usb0", 40, 30)
				h.tick(time.Second)
				h.stop()
			},
			want:       map[string]usage.Totals{"usb0": {Rx: 240, Tx: 130}},
			wantEvents: []usage.EventKind{usage.EventReset},
		},
		{
			name: "spike above link speed is discarded and recorded",
			run: func(h *harness) {
				h.iface("eth0", counter.KindEthernet, 1*gig, 64, "aa", 1000, 1000)
				h.start()
				h.set("eth0", 2000, 1500)
				h.tick(time.Second)
				h.set("eth0", 2000+50*gig, 1600) // 50 GB in a second on a 1 Gb/s link
				h.tick(time.Second)
				h.set("eth0", 3000+50*gig, 1700) // counting goes on from the new baseline
				h.tick(time.Second)
				h.stop()
			},
			want:       map[string]usage.Totals{"eth0": {Rx: 1000 + 1000, Tx: 500 + 100}},
			wantEvents: []usage.EventKind{usage.EventSpike},
		},
		{
			name: "traffic just under link speed is kept",
			run: func(h *harness) {
				h.iface("eth0", counter.KindEthernet, 1*gig, 64, "aa", 0, 0)
				h.start()
				h.set("eth0", 125_000_000, 0) // exactly 1 Gb/s for a second
				h.tick(time.Second)
				h.stop()
			},
			want: map[string]usage.Totals{"eth0": {Rx: 125_000_000}},
		},
		{
			name: "long gap (suspend): monotonic clock stood still, wall clock moved 8 hours",
			run: func(h *harness) {
				h.iface("eth0", counter.KindEthernet, 1*gig, 64, "aa", 0, 0)
				h.start()
				h.set("eth0", 600*1_000_000, 10) // more than one second of link speed
				h.jump(8*time.Hour, time.Second)
				h.stop()
			},
			want:       map[string]usage.Totals{"eth0": {Rx: 600_000_000, Tx: 10}},
			wantEvents: []usage.EventKind{usage.EventGap},
		},
		{
			name: "clock jumps backwards: traffic still counted once",
			run: func(h *harness) {
				h.iface("eth0", counter.KindEthernet, 1*gig, 64, "aa", 0, 0)
				h.start()
				h.set("eth0", 1000, 10)
				h.tick(time.Second)
				h.set("eth0", 3000, 20)
				h.jump(-2*time.Hour, time.Second)
				h.set("eth0", 4000, 30)
				h.tick(time.Second)
				h.stop()
			},
			want: map[string]usage.Totals{"eth0": {Rx: 4000, Tx: 30}},
		},
		{
			name: "clock jumps forwards: traffic still counted once",
			run: func(h *harness) {
				h.iface("eth0", counter.KindEthernet, 1*gig, 64, "aa", 0, 0)
				h.start()
				h.set("eth0", 1000, 10)
				h.jump(3*time.Hour, time.Second)
				h.set("eth0", 2500, 20)
				h.tick(time.Second)
				h.stop()
			},
			want: map[string]usage.Totals{"eth0": {Rx: 2500, Tx: 20}},
		},
		{
			name: "first run back-fills nothing",
			run: func(h *harness) {
				h.iface("eth0", counter.KindEthernet, 0, 64, "aa", 77*gig, 12*gig)
				h.start()
				h.tick(time.Second)
				h.stop()
			},
			want:       map[string]usage.Totals{},
			wantEvents: []usage.EventKind{usage.EventFirstRun},
		},
		{
			name: "restart in the same boot counts the stopped time once",
			run: func(h *harness) {
				h.iface("eth0", counter.KindEthernet, 0, 64, "aa", 1000, 1000)
				h.start()
				h.set("eth0", 2000, 1500)
				h.tick(time.Second)
				h.stop()
				// stopped for ten minutes while 5000/700 bytes passed
				h.clock.now.Wall = h.clock.now.Wall.Add(10 * time.Minute)
				h.clock.now.Mono = time.Minute // a new process: its own monotonic origin
				h.set("eth0", 7000, 2200)
				h.start()
				h.set("eth0", 7100, 2250)
				h.tick(time.Second)
				h.stop()
			},
			want:       map[string]usage.Totals{"eth0": {Rx: 6100, Tx: 1250}},
			wantEvents: []usage.EventKind{usage.EventFirstRun, usage.EventRestart},
		},
		{
			name: "restart without a final flush (crash) still counts exactly once",
			run: func(h *harness) {
				h.iface("eth0", counter.KindEthernet, 0, 64, "aa", 1000, 1000)
				h.start()
				h.set("eth0", 2000, 1500)
				h.tick(time.Second)
				h.flush()
				h.set("eth0", 2500, 1600) // polled, never flushed: lost with the crash...
				h.tick(time.Second)
				h.set("eth0", 3000, 1700)
				h.clock.now.Wall = h.clock.now.Wall.Add(time.Minute)
				h.start() // ...but recovered from the counters at the next start
				h.stop()
			},
			want:       map[string]usage.Totals{"eth0": {Rx: 2000, Tx: 700}},
			wantEvents: []usage.EventKind{usage.EventRestart},
		},
		{
			name: "reboot counts the counters since boot",
			run: func(h *harness) {
				h.iface("eth0", counter.KindEthernet, 0, 64, "aa", 1000, 1000)
				h.start()
				h.set("eth0", 9000, 5000)
				h.tick(time.Second)
				h.stop()
				h.boot = "boot-2"
				h.clock.now.Wall = h.clock.now.Wall.Add(time.Hour)
				h.set("eth0", 300, 200) // counters since boot
				h.start()
				h.set("eth0", 400, 250)
				h.tick(time.Second)
				h.stop()
			},
			want:       map[string]usage.Totals{"eth0": {Rx: 8000 + 400, Tx: 4000 + 250}},
			wantEvents: []usage.EventKind{usage.EventReboot},
		},
		{
			name: "interface created while the daemon was stopped is counted whole",
			run: func(h *harness) {
				h.iface("eth0", counter.KindEthernet, 0, 64, "aa", 10, 10)
				h.start()
				h.stop()
				h.iface("usb0", counter.KindEthernet, 0, 64, "dd", 5000, 3000)
				h.clock.now.Wall = h.clock.now.Wall.Add(time.Minute)
				h.start()
				h.stop()
			},
			want: map[string]usage.Totals{"usb0": {Rx: 5000, Tx: 3000}},
		},
		{
			name: "hot-plugged interface is counted from its creation",
			run: func(h *harness) {
				h.iface("eth0", counter.KindEthernet, 0, 64, "aa", 10, 10)
				h.start()
				h.tick(time.Second)
				h.iface("usb0", counter.KindEthernet, 0, 64, "dd", 800, 200)
				h.tick(time.Second)
				h.set("usb0", 900, 300)
				h.tick(time.Second)
				h.stop()
			},
			want:       map[string]usage.Totals{"usb0": {Rx: 900, Tx: 300}},
			wantEvents: []usage.EventKind{usage.EventAppear},
		},
		{
			name: "same name, another adapter (new MAC) starts from its own zero",
			run: func(h *harness) {
				h.iface("usb0", counter.KindEthernet, 0, 64, "dd", 100, 100)
				h.start()
				h.set("usb0", 5000, 5000)
				h.tick(time.Second)
				h.remove("usb0") // unplugged...
				h.tick(time.Second)
				h.iface("usb0", counter.KindEthernet, 0, 64, "ee", 7000, 6000) // ...and another phone, with a higher count
				h.tick(time.Second)
				h.stop()
			},
			want: map[string]usage.Totals{"usb0": {Rx: 4900 + 7000, Tx: 4900 + 6000}},
		},
		{
			name: "re-created within one poll with another MAC: counted once, also after the details refresh",
			run: func(h *harness) {
				h.incarnate("usb0", 7, "dd", 100, 100)
				h.start()
				h.set("usb0", 5000, 5000)
				h.tick(time.Second)
				h.incarnate("usb0", 8, "ee", 3000, 2000) // unplugged and plugged again between two polls
				h.tick(time.Second)
				h.set("usb0", 3500, 2100)
				h.tick(time.Minute) // the details refresh: the MAC is "ee" still
				h.tick(time.Second)
				h.stop()
			},
			want:       map[string]usage.Totals{"usb0": {Rx: 4900 + 3500, Tx: 4900 + 2100}},
			wantEvents: []usage.EventKind{usage.EventReset},
		},
		{
			name: "re-created within one poll with the same MAC and more traffic than before: counted from zero",
			run: func(h *harness) {
				h.incarnate("veth1", 3, "aa", 0, 0)
				h.start()
				h.set("veth1", 1000, 1000)
				h.tick(time.Second)
				h.incarnate("veth1", 9, "aa", 50_000, 40_000) // a container restarted, busy at once
				h.tick(time.Second)
				h.stop()
			},
			want: map[string]usage.Totals{"veth1": {Rx: 1000 + 50_000, Tx: 1000 + 40_000}},
		},
		{
			name: "same index, MAC set by hand: the counters go on",
			run: func(h *harness) {
				h.incarnate("eth0", 2, "aa", 100, 100)
				h.start()
				h.set("eth0", 200, 200)
				h.tick(time.Second)
				h.incarnate("eth0", 2, "bb", 300, 300)
				h.tick(time.Minute) // refresh sees the new MAC
				h.stop()
			},
			want: map[string]usage.Totals{"eth0": {Rx: 200, Tx: 200}},
		},
		{
			name: "restart with the wall clock behind the snapshot and a lower counter (same MAC, no index): a reset, never a 64-bit wrap",
			run: func(h *harness) {
				h.iface("eth0", counter.KindEthernet, 0, 64, "aa", 1<<40, 1<<40)
				h.start()
				h.set("eth0", 1<<40+500, 1<<40+500)
				h.tick(time.Second)
				h.stop()
				h.clock.now.Wall = h.clock.now.Wall.Add(-48 * time.Hour) // the snapshot is two days "in the future"
				h.iface("eth0", counter.KindEthernet, 0, 64, "aa", 7000, 3000)
				h.start()
				h.set("eth0", 7100, 3100)
				h.tick(time.Second)
				h.stop()
			},
			want:       map[string]usage.Totals{"eth0": {Rx: 500 + 7100, Tx: 500 + 3100}},
			wantEvents: []usage.EventKind{usage.EventReset},
		},
		{
			name: "restart: the boot clock, not the wall clock, bounds the stopped time",
			run: func(h *harness) {
				h.clock.now.Boot = time.Hour
				h.incarnate("eth0", 2, "aa", 0, 0)
				h.start()
				h.stop()
				// Ten seconds really passed; the wall clock jumped two days
				// ahead. 1 TB in 10 s on a 1 Gb/s link is impossible.
				h.clock.now.Boot += 10 * time.Second
				h.clock.now.Wall = h.clock.now.Wall.Add(48 * time.Hour)
				h.set("eth0", 1e12, 1e9)
				h.start()
				h.set("eth0", 1e12+500, 1e9+300) // and from there on, counting goes on
				h.tick(time.Second)
				h.stop()
			},
			want:       map[string]usage.Totals{"eth0": {Rx: 500, Tx: 300}},
			wantEvents: []usage.EventKind{usage.EventSpike, usage.EventRestart},
		},
		{
			name: "failed flushes keep the data and write it once later",
			run: func(h *harness) {
				h.iface("eth0", counter.KindEthernet, 0, 64, "aa", 0, 0)
				h.start()
				h.set("eth0", 100, 10)
				h.tick(time.Second)
				h.store.failN = 2
				if err := h.m.Flush(context.Background()); err == nil {
					h.t.Fatal("flush did not fail")
				}
				h.set("eth0", 300, 30)
				h.tick(time.Minute)
				if err := h.m.Flush(context.Background()); err == nil {
					h.t.Fatal("flush did not fail")
				}
				if h.m.Status().FlushErrors != 2 {
					h.t.Fatalf("flush errors = %d, want 2", h.m.Status().FlushErrors)
				}
				h.set("eth0", 600, 60)
				h.tick(time.Second)
				h.flush()
				h.flush() // nothing pending: writes nothing again
				h.stop()
			},
			want: map[string]usage.Totals{"eth0": {Rx: 600, Tx: 60}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			tc.run(h)
			if diff := cmp.Diff(tc.want, h.store.totals); diff != "" {
				t.Errorf("stored totals (-want +got):\n%s", diff)
			}
			kinds := map[usage.EventKind]bool{}
			for _, e := range h.store.events {
				kinds[e.Kind] = true
			}
			for _, k := range tc.wantEvents {
				if !kinds[k] {
					t.Errorf("no %q event among %v", k, h.store.events)
				}
			}
			if p := h.m.Status().Pending; p != 0 {
				t.Errorf("%d buckets still pending after the final flush", p)
			}
		})
	}
}

func TestCounterDelta(t *testing.T) {
	tests := []struct {
		name      string
		prev, cur uint64
		bits      int
		limit     uint64
		want      uint64
		wantMove  movement
	}{
		{"up", 10, 25, 64, maxDelta, 15, moveNormal},
		{"flat", 10, 10, 64, 100, 0, moveNormal},
		{"over the limit", 10, 1000, 64, 100, 990, moveSpike},
		{"64-bit wrap", math.MaxUint64 - 4, 5, 64, 100, 10, moveWrap},
		{"32-bit wrap", math.MaxUint32 - 4, 5, 32, 100, 10, moveWrap},
		{"32-bit wrap too big is a reset", math.MaxUint32 - 4000, 5, 32, 100, 5, moveReset},
		{"unknown width, low prev: reset", 1000, 5, 0, maxDelta, 5, moveReset},
		{"unknown width, top-half prev: wrap", 3_000_000_000, 5, 0, maxDelta, (1 << 32) - 3_000_000_000 + 5, moveWrap},
		{"64-bit drop with no time known is a reset, never a wrap of 1.8e19", 1 << 40, 7, 64, maxDelta, 7, moveReset},
		{"64-bit drop of a counter past 2^32, unknown width", 5 << 32, 3 << 32, 0, maxDelta, 3 << 32, moveReset},
		{"jump beyond any link", 0, maxDelta + 1, 64, maxDelta, maxDelta + 1, moveSpike},
		{"64-bit reset", 1 << 40, 7, 64, 1000, 7, moveReset},
		{"reset over the limit is a spike", 1 << 40, 1 << 30, 64, 1000, 1 << 30, moveSpike},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, mv := counterDelta(tc.prev, tc.cur, tc.bits, tc.limit)
			if got != tc.want || mv != tc.wantMove {
				t.Fatalf("counterDelta(%d, %d, %d, %d) = %d %v, want %d %v", tc.prev, tc.cur, tc.bits, tc.limit, got, mv, tc.want, tc.wantMove)
			}
		})
	}
}

func TestRatesUseMonotonicElapsed(t *testing.T) {
	h := newHarness(t)
	h.iface("eth0", counter.KindEthernet, 0, 64, "aa", 0, 0)
	h.iface("lo", counter.KindLoopback, 0, 64, "", 0, 0)
	h.start()
	h.set("eth0", 4000, 2000)
	h.set("lo", 1_000_000, 1_000_000)
	// The wall clock jumps an hour, but only two seconds really passed.
	h.jump(time.Hour, 2*time.Second)
	l := h.m.Live()
	if l.Total != (Rate{RxPerSec: 2000, TxPerSec: 1000}) {
		t.Fatalf("total rate = %+v, want 2000/1000 (loopback excluded, 2 s elapsed)", l.Total)
	}
	if l.PeakToday != 3000 {
		t.Fatalf("peak today = %d, want 3000", l.PeakToday)
	}
	if len(l.Interfaces) != 2 || l.Interfaces[1].Name != "lo" || l.Interfaces[1].Counted {
		t.Fatalf("interfaces = %+v", l.Interfaces)
	}
}

func TestPendingVisibleBeforeFlush(t *testing.T) {
	h := newHarness(t)
	h.iface("eth0", counter.KindEthernet, 0, 64, "aa", 0, 0)
	h.iface("docker0", counter.KindVirtual, 0, 64, "", 0, 0)
	h.start()
	h.set("eth0", 500, 50)
	h.set("docker0", 9, 9)
	h.tick(time.Second)
	day := t0.Truncate(24 * time.Hour)
	if got := h.m.Pending(day, day.Add(24*time.Hour), usage.Filter{}); got != (usage.Totals{Rx: 500, Tx: 50}) {
		t.Fatalf("pending counted = %+v", got)
	}
	if got := h.m.Pending(day, day.Add(24*time.Hour), usage.Filter{All: true}); got != (usage.Totals{Rx: 509, Tx: 59}) {
		t.Fatalf("pending all = %+v", got)
	}
	// The same set, handed out whole for readers in another process.
	u := h.m.Unwritten(day, day.Add(24*time.Hour))
	if len(u.Deltas) != 2 || u.Deltas[0].Iface != "docker0" || u.Deltas[0].Counted || u.Deltas[1].Iface != "eth0" || !u.Deltas[1].Counted || u.Deltas[1].MAC != "aa" {
		t.Fatalf("unwritten deltas = %+v", u.Deltas)
	}
	for _, f := range []usage.Filter{{}, {All: true}, {Ifaces: []string{"docker0"}}} {
		if got, want := u.Pending(day, day.Add(24*time.Hour), f), h.m.Pending(day, day.Add(24*time.Hour), f); got != want {
			t.Fatalf("unwritten Pending(%+v) = %+v, monitor %+v", f, got, want)
		}
	}
	if got, want := u.PendingPeak(day, day.Add(24*time.Hour)), h.m.PendingPeak(day, day.Add(24*time.Hour)); got != want {
		t.Fatalf("unwritten peak %d, monitor %d", got, want)
	}
	if u := h.m.Unwritten(day.Add(24*time.Hour), day.Add(48*time.Hour)); len(u.Deltas) != 0 {
		t.Fatalf("unwritten outside the range = %+v", u)
	}
	h.flush()
	if got := h.m.Pending(day, day.Add(24*time.Hour), usage.Filter{All: true}); got != (usage.Totals{}) {
		t.Fatalf("pending after flush = %+v", got)
	}
}

func TestPendingIsBoundedWhileFlushesFail(t *testing.T) {
	h := newHarness(t)
	h.iface("eth0", counter.KindEthernet, 0, 64, "aa", 0, 0)
	h.m = New(h.r, h.store, h.clock, Config{BootID: h.boot, MaxPending: 10, Location: time.UTC}, nil)
	if err := h.m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	var rx uint64
	for i := 0; i < 24*60; i++ { // a day of minutes, never flushed
		rx += 100
		h.set("eth0", rx, 0)
		h.tick(time.Minute)
	}
	if p := h.m.Status().Pending; p > 10+24*4+1 { // a day of minutes touches 97 quarter-hours
		t.Fatalf("%d pending buckets, want at most the bound plus 15-minute buckets", p)
	}
	h.flush()
	if got := h.store.totals["eth0"].Rx; got != rx {
		t.Fatalf("stored %d, want %d", got, rx)
	}
}

func TestSameBoot(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"5f0c-1", "5f0c-1", true},
		{"5f0c-1", "5f0c-2", false},
		{"", "", false},
		{"boottime:1000", "boottime:1090", true},
		{"boottime:1000", "boottime:1200", false},
		{"boottime:1000", "5f0c-1", false},
	}
	for _, tc := range tests {
		if got := SameBoot(tc.a, tc.b); got != tc.want {
			t.Errorf("SameBoot(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestWriteRetries: after a failed write the next try comes in 1 s,
// doubling to 15 s (never past the flush interval); failures are logged at
// the 1st, 2nd, 4th, 8th... and recovery in one line.
func TestWriteRetries(t *testing.T) {
	var logs strings.Builder
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}))
	status := func() Status { return Status{Pending: 3} }
	var w writeFailures
	disk := errors.New("disk full")
	now := Instant{Wall: t0}
	var waits []time.Duration
	for i := range 7 {
		now.Wall = t0.Add(time.Duration(i) * time.Second)
		waits = append(waits, w.after(disk, now, 30*time.Second, log, status))
	}
	now.Wall = t0.Add(40 * time.Second)
	waits = append(waits, w.after(nil, now, 30*time.Second, log, status))
	waits = append(waits, w.after(disk, now, 4*time.Second, log, status), w.after(disk, now, 4*time.Second, log, status), w.after(disk, now, 4*time.Second, log, status))
	want := []time.Duration{1 * time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 15 * time.Second, 15 * time.Second, 15 * time.Second, 30 * time.Second, time.Second, 2 * time.Second, 4 * time.Second}
	if d := cmp.Diff(want, waits); d != "" {
		t.Errorf("waits (-want +got):\n%s", d)
	}
	wantLog := `level=ERROR msg="flush failed; keeping the data in memory and retrying" err="disk full" attempts=1 pending=3
level=ERROR msg="flush failed; keeping the data in memory and retrying" err="disk full" attempts=2 pending=3
level=ERROR msg="flush failed; keeping the data in memory and retrying" err="disk full" attempts=4 pending=3
level=INFO msg="writes recovered" failed_attempts=7 after=40s
level=ERROR msg="flush failed; keeping the data in memory and retrying" err="disk full" attempts=1 pending=3
level=ERROR msg="flush failed; keeping the data in memory and retrying" err="disk full" attempts=2 pending=3
`
	if logs.String() != wantLog {
		t.Errorf("log:\n%s\nwant:\n%s", logs.String(), wantLog)
	}
}

// steppingClock moves on by step at every reading, so that Run, on its
// real ticker, sees seconds pass in milliseconds.
type steppingClock struct {
	mu   sync.Mutex
	now  Instant
	step time.Duration
}

func (c *steppingClock) Now() Instant {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now.Wall = c.now.Wall.Add(c.step)
	c.now.Mono += c.step
	c.now.Boot += c.step
	return c.now
}

// TestRunRetriesFirstFlush: a start on a full disk retries its first write
// after 1 s, not after the whole flush interval, and says when writes
// recovered.
func TestRunRetriesFirstFlush(t *testing.T) {
	var logs logbuf.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}))
	r := &fakeReader{counters: map[string]counter.Counter{"eth0": {Name: "eth0", Index: 2, RxBytes: 10, TxBytes: 20}},
		infos: map[string]counter.Info{"eth0": {Name: "eth0", Kind: counter.KindEthernet, MAC: "02:00:00:00:00:01", Bits: 64}}}
	store := newFakeStore()
	store.failN = 1
	clock := &steppingClock{now: Instant{Wall: t0, Mono: time.Hour, Boot: time.Hour}, step: 100 * time.Millisecond}
	m := New(r, store, clock, Config{PollInterval: 5 * time.Millisecond, FlushInterval: time.Hour, BootID: "b", Location: time.UTC}, log)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- m.Run(ctx) }()
	// Long enough for several seconds on the stepping clock, far from the
	// hour of the flush interval.
	time.Sleep(300 * time.Millisecond)
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	// The retry and the last write at stop: two writes, not only the last.
	if store.flushes != 2 {
		t.Errorf("%d successful writes, want 2 (the retry after 1 s and the last one)\nlog:\n%s", store.flushes, logs.String())
	}
	if !strings.Contains(logs.String(), `level=INFO msg="writes recovered" failed_attempts=1`) {
		t.Errorf("no \"writes recovered\" line:\n%s", logs.String())
	}
}

// TestRunAfterFlush: AfterFlush runs after every successful periodic write
// and after no failed one (nor the last write at stop).
func TestRunAfterFlush(t *testing.T) {
	r := &fakeReader{counters: map[string]counter.Counter{"eth0": {Name: "eth0", Index: 2, RxBytes: 10, TxBytes: 20}},
		infos: map[string]counter.Info{"eth0": {Name: "eth0", Kind: counter.KindEthernet, MAC: "02:00:00:00:00:01", Bits: 64}}}
	store := newFakeStore()
	store.failN = 2 // the write at start and the first retry
	clock := &steppingClock{now: Instant{Wall: t0, Mono: time.Hour, Boot: time.Hour}, step: 100 * time.Millisecond}
	var after atomic.Int64
	m := New(r, store, clock, Config{PollInterval: 5 * time.Millisecond, FlushInterval: 2 * time.Second, BootID: "b", Location: time.UTC,
		AfterFlush: func() { after.Add(1) }}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- m.Run(ctx) }()
	time.Sleep(300 * time.Millisecond)
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if store.flushes < 3 {
		t.Fatalf("%d successful writes, want several periodic ones and the last", store.flushes)
	}
	if got, want := after.Load(), int64(store.flushes-1); got != want {
		t.Errorf("AfterFlush ran %d times, want %d (the %d successful writes but the last)", got, want, store.flushes)
	}
}

// TestSpikeMessage: a spike after an unknown time says so, not "in -1ns".
func TestSpikeMessage(t *testing.T) {
	tests := []struct {
		elapsed time.Duration
		want    string
	}{
		{2400 * time.Millisecond, "discarded 5000 bytes in 2s: faster than the link can carry (limit 300 bytes)"},
		{unknownElapsed, "discarded 5000 bytes in an unknown time: faster than the link can carry (limit 300 bytes)"},
	}
	for _, tt := range tests {
		if got := spikeMessage(5000, tt.elapsed, 300); got != tt.want {
			t.Errorf("spikeMessage(%v) = %q, want %q", tt.elapsed, got, tt.want)
		}
	}
}
