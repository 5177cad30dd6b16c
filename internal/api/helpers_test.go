package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/golden"
	"github.com/packetbuddy/pb/internal/monitor"
	"github.com/packetbuddy/pb/internal/store"
	"github.com/packetbuddy/pb/internal/usage"
)

// The fixture's clock: noon on the spring-forward day in New York, a day of
// 23 hours.
var (
	nyc      = golden.Location("America/New_York")
	fixedNow = time.Date(2026, 3, 8, 12, 0, 0, 0, nyc)
)

// at is a local New York time.
func at(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, nyc)
}

// fakeMonitor is a Monitor with set values; Pending filters like the real
// one (zero Filter: counted interfaces).
type fakeMonitor struct {
	mu      sync.Mutex
	live    monitor.Live
	status  monitor.Status
	pending []pendingDelta
	peaks   map[int64]uint64
	subs    map[chan monitor.Live]struct{}
}

var fixtureHome = usage.Attachment{Gateway: "192.168.1.1", GatewayMAC: "02:aa:00:00:00:01", SSIDStatus: usage.SSIDWired}

// Attachments is the monitor's current networks: eth0 on the home network.
func (f *fakeMonitor) Attachments() map[string]usage.Attachment {
	return map[string]usage.Attachment{"eth0": fixtureHome}
}

type pendingDelta struct {
	iface   string
	counted bool
	bucket  time.Time
	t       usage.Totals
}

var _ Monitor = (*fakeMonitor)(nil)

func (f *fakeMonitor) Live() monitor.Live {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.live
	l.Interfaces = append([]monitor.IfaceRate(nil), l.Interfaces...)
	return l
}

func (f *fakeMonitor) Subscribe() (<-chan monitor.Live, func()) {
	ch := make(chan monitor.Live, 1)
	f.mu.Lock()
	if f.subs == nil {
		f.subs = map[chan monitor.Live]struct{}{}
	}
	f.subs[ch] = struct{}{}
	f.mu.Unlock()
	return ch, func() {
		f.mu.Lock()
		delete(f.subs, ch)
		f.mu.Unlock()
	}
}

// publish sends l to every subscriber, like a poll.
func (f *fakeMonitor) publish(l monitor.Live) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.live = l
	f.status.Polls++
	for ch := range f.subs {
		select {
		case ch <- l:
		default:
		}
	}
}

func (f *fakeMonitor) subscribers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs)
}

func (f *fakeMonitor) Status() monitor.Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.status
}

func (f *fakeMonitor) Pending(from, to time.Time, flt usage.Filter) usage.Totals {
	f.mu.Lock()
	defer f.mu.Unlock()
	var t usage.Totals
	for _, p := range f.pending {
		if p.bucket.Before(from) || !p.bucket.Before(to) {
			continue
		}
		switch {
		case flt.All:
		case len(flt.Ifaces) > 0:
			found := false
			for _, n := range flt.Ifaces {
				found = found || n == p.iface
			}
			if !found {
				continue
			}
		case !p.counted:
			continue
		}
		t = t.Add(p.t)
	}
	return t
}

func (f *fakeMonitor) PendingPeak(from, to time.Time) uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	var m uint64
	for ts, v := range f.peaks {
		if ts >= from.Unix() && ts < to.Unix() {
			m = max(m, v)
		}
	}
	return m
}

func (f *fakeMonitor) Unwritten(from, to time.Time) usage.Unwritten {
	f.mu.Lock()
	defer f.mu.Unlock()
	var u usage.Unwritten
	for _, p := range f.pending {
		if !p.bucket.Before(from) && p.bucket.Before(to) {
			u.Deltas = append(u.Deltas, usage.UnwrittenDelta{Delta: usage.Delta{Iface: p.iface, Bucket: p.bucket.UTC(), Totals: p.t}, Counted: p.counted})
		}
	}
	for ts, v := range f.peaks {
		if ts >= from.Unix() && ts < to.Unix() {
			u.Peaks = append(u.Peaks, usage.Peak{Bucket: time.Unix(ts, 0).UTC(), BytesPerSec: v})
		}
	}
	slices.SortFunc(u.Peaks, func(a, b usage.Peak) int { return a.Bucket.Compare(b.Bucket) })
	return u
}

// openStore opens a real store in a temporary directory.
func openStore(tb testing.TB) *store.Store {
	tb.Helper()
	st, err := store.Open(context.Background(), filepath.Join(tb.TempDir(), "pb.db"), store.Options{Now: func() time.Time { return fixedNow }})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

// fixtureBatch is the known data every handler test reads. Expected
// numbers in the tests are worked out from it by hand.
func fixtureBatch() usage.Batch {
	d := func(iface string, t time.Time, rx, tx uint64) usage.Delta {
		return usage.Delta{Iface: iface, Bucket: t.UTC().Truncate(time.Minute), Totals: usage.Totals{Rx: rx, Tx: tx}}
	}
	return usage.Batch{
		Interfaces: []usage.Interface{
			{Name: "eth0", MAC: "aa:bb:cc:00:00:01", Kind: "ethernet", Counted: true},
			{Name: "wlan0", MAC: "aa:bb:cc:00:00:02", Kind: "wifi", Counted: true},
			{Name: "docker0", Kind: "virtual", Counted: false},
			{Name: "lo", Kind: "loopback", Counted: false},
		},
		Deltas: []usage.Delta{
			// The fall-back day 2025-11-02 (25 hours): 01:30 twice.
			{Iface: "eth0", MAC: "aa:bb:cc:00:00:01", Bucket: time.Date(2025, 11, 2, 5, 30, 0, 0, time.UTC), Totals: usage.Totals{Rx: 100, Tx: 10}}, // 01:30 EDT
			{Iface: "eth0", MAC: "aa:bb:cc:00:00:01", Bucket: time.Date(2025, 11, 2, 6, 30, 0, 0, time.UTC), Totals: usage.Totals{Rx: 200, Tx: 20}}, // 01:30 EST
			d("eth0", at(2026, 2, 15, 12, 0), 700, 300),
			d("eth0", at(2026, 3, 1, 10, 0), 1_000_000, 200_000),
			// 2026-03-02: nothing, a zero day.
			// Late local evening: the next day in UTC.
			d("wlan0", at(2026, 3, 3, 23, 50), 5_000_000_000, 1_000_000_000),
			d("eth0", at(2026, 3, 7, 8, 0), 999_995, 5),
			d("lo", at(2026, 3, 7, 8, 0), 123_456, 123_456),
			// Today, the spring-forward day: 01:30 EST, then 03:15 EDT.
			d("eth0", at(2026, 3, 8, 1, 30), 3_000, 1_000),
			d("eth0", at(2026, 3, 8, 3, 15), 40_000, 2_000),
			d("docker0", at(2026, 3, 8, 9, 0), 9_999_999, 9_999_999),
		},
		// Today's eth0 traffic (43,000/3,000) and the wlan0 evening split
		// per application; each interface's apps add up to its deltas.
		Apps: []usage.AppDelta{
			{App: usage.App{Path: "/usr/lib/firefox/firefox", Name: "firefox", Package: "flatpak:org.mozilla.firefox"}, Iface: "eth0", MAC: "aa:bb:cc:00:00:01", Bucket: at(2026, 3, 8, 3, 15), Totals: usage.Totals{Rx: 30_000, Tx: 2_500}},
			{App: usage.App{Path: "/usr/bin/curl", Name: "curl"}, Iface: "eth0", MAC: "aa:bb:cc:00:00:01", Bucket: at(2026, 3, 8, 1, 30), Totals: usage.Totals{Rx: 3_000, Tx: 400}},
			{App: usage.App{Path: "/usr/lib/systemd/systemd-resolved", Name: "systemd-resolve", Unit: "systemd-resolved.service"}, Iface: "eth0", MAC: "aa:bb:cc:00:00:01", Bucket: at(2026, 3, 8, 3, 15), Totals: usage.Totals{Rx: 7_000, Tx: 100}},
			{App: usage.Unattributed, Iface: "eth0", MAC: "aa:bb:cc:00:00:01", Bucket: at(2026, 3, 8, 3, 15), Totals: usage.Totals{Rx: 3_000}},
			{App: usage.App{Path: "/usr/lib/firefox/firefox", Name: "firefox", Package: "flatpak:org.mozilla.firefox"}, Iface: "wlan0", Bucket: at(2026, 3, 3, 23, 50), Totals: usage.Totals{Rx: 4_000_000_000, Tx: 900_000_000}},
			{App: usage.Unattributed, Iface: "wlan0", Bucket: at(2026, 3, 3, 23, 50), Totals: usage.Totals{Rx: 1_000_000_000, Tx: 100_000_000}},
		},
		// Today's eth0 traffic at 03:15 was on the home Wi-Fi... of a
		// wired interface (the rest of eth0 is the unknown network); the
		// wlan0 evening on a hotspot whose SSID could not be read.
		Networks: []usage.NetworkDelta{
			{Network: fixtureHome, Iface: "eth0", MAC: "aa:bb:cc:00:00:01", Bucket: at(2026, 3, 8, 3, 15), Totals: usage.Totals{Rx: 40_000, Tx: 2_000}},
			{Network: usage.Attachment{Gateway: "172.20.10.1", GatewayMAC: "02:aa:00:00:00:02", SSIDStatus: usage.SSIDNotAvailable}, Iface: "wlan0", MAC: "aa:bb:cc:00:00:02", Bucket: at(2026, 3, 3, 23, 50), Totals: usage.Totals{Rx: 5_000_000_000, Tx: 1_000_000_000}},
		},
		Peaks: []usage.Peak{
			{Bucket: at(2026, 3, 8, 3, 15).UTC(), BytesPerSec: 12_400_000},
			{Bucket: at(2026, 3, 3, 23, 45).UTC(), BytesPerSec: 50_000},
		},
		Events: []usage.Event{
			{Time: at(2026, 3, 7, 8, 0).UTC(), Kind: usage.EventSpike, Iface: "eth0", Totals: usage.Totals{Rx: 9e12}, Message: "discarded 9000000000000 bytes in 1s: faster than the link can carry"},
			{Time: at(2026, 3, 8, 6, 0).UTC(), Kind: usage.EventRestart, Message: "daemon restarted after 5s; traffic while it was stopped counted"},
		},
	}
}

// fixtureMonitor has unflushed traffic from the last minute and live speeds.
func fixtureMonitor() *fakeMonitor {
	minute := fixedNow.Add(-time.Minute).UTC().Truncate(time.Minute)
	return &fakeMonitor{
		live: monitor.Live{
			Time:  fixedNow,
			Total: monitor.Rate{RxPerSec: 1_500_000, TxPerSec: 250_000},
			Interfaces: []monitor.IfaceRate{
				{Name: "docker0", Kind: "virtual", Counted: false, Rate: monitor.Rate{RxPerSec: 10, TxPerSec: 20}},
				{Name: "eth0", Kind: "ethernet", Counted: true, Rate: monitor.Rate{RxPerSec: 1_500_000, TxPerSec: 250_000}},
				{Name: "usb0", Kind: "cellular", Counted: true, Rate: monitor.Rate{}},
			},
			PeakToday: 13_000_000,
		},
		status: monitor.Status{
			Started:     fixedNow.Add(-time.Hour),
			LastPoll:    fixedNow,
			LastFlush:   fixedNow.Add(-10 * time.Second),
			FlushErrors: 2,
			Discarded:   1,
			Pending:     3,
			Polls:       3600,
		},
		pending: []pendingDelta{
			{iface: "eth0", counted: true, bucket: minute, t: usage.Totals{Rx: 500, Tx: 50}},
			{iface: "docker0", counted: false, bucket: minute, t: usage.Totals{Rx: 77, Tx: 7}},
			{iface: "usb0", counted: true, bucket: minute, t: usage.Totals{Rx: 1, Tx: 2}},
		},
		peaks: map[int64]uint64{fixedNow.UTC().Truncate(15 * time.Minute).Unix(): 13_000_000},
	}
}

type fixture struct {
	store *store.Store
	mon   *fakeMonitor
	srv   *Server
}

// newFixture is a server on the filled store with the fake monitor. Pass
// empty to get an empty database and an idle monitor.
func newFixture(tb testing.TB, empty bool, tweak ...func(*Deps)) *fixture {
	tb.Helper()
	st := openStore(tb)
	mon := fixtureMonitor()
	if empty {
		mon = &fakeMonitor{status: monitor.Status{Started: fixedNow, LastPoll: fixedNow}}
	} else if err := st.Flush(context.Background(), fixtureBatch()); err != nil {
		tb.Fatal(err)
	}
	d := Deps{
		Store:       st,
		Monitor:     mon,
		Location:    nyc,
		DeviceID:    "0b6c9a0e-1f0e-4d4e-9a39-3c1e2f0a7d11",
		Hostname:    "test-host",
		OSType:      "Linux",
		Version:     "2.0.0-test",
		ReleaseDate: "2026-11-25",
		Settings:    Settings{FineRetentionDays: 7},
		Now:         func() time.Time { return fixedNow },
	}
	for _, f := range tweak {
		f(&d)
	}
	srv, err := New(d)
	if err != nil {
		tb.Fatal(err)
	}
	return &fixture{store: st, mon: mon, srv: srv}
}

// testHost is what a browser on the dashboard sends.
const testHost = "127.0.0.1:7373"

// do sends one request through the full handler (middleware included).
func do(tb testing.TB, h http.Handler, method, target string, hdr ...string) *httptest.ResponseRecorder {
	tb.Helper()
	req := httptest.NewRequest(method, target, nil)
	req.Host = testHost
	for i := 0; i+1 < len(hdr); i += 2 {
		if strings.EqualFold(hdr[i], "Host") {
			req.Host = hdr[i+1]
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// decode parses a JSON body into a generic value.
func decode(tb testing.TB, body io.Reader) map[string]any {
	tb.Helper()
	var m map[string]any
	dec := json.NewDecoder(body)
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		tb.Fatalf("body is not a JSON object: %v", err)
	}
	return m
}

// lookup follows a dotted path ("cost.total.cost_formatted"; "days.0.date").
func lookup(v any, path string) (any, bool) {
	for _, k := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[k]; !ok {
				return nil, false
			}
		case []any:
			i := 0
			for _, c := range k {
				if c < '0' || c > '9' {
					return nil, false
				}
				i = i*10 + int(c-'0')
			}
			if i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// liveIfaceRate is an idle interface present at the latest poll.
func liveIfaceRate(name string) monitor.IfaceRate {
	return monitor.IfaceRate{Name: name, Kind: "other"}
}

// httpRecorder serves req and records the response.
func httpRecorder(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}
