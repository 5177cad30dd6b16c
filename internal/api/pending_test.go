package api

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/packetbuddy/pb/internal/query"
	"github.com/packetbuddy/pb/internal/usage"
)

// TestPendingRoundTrip: GET /api/pending carries the monitor's pending set
// whole (counted flags, MACs, buckets, peaks), says whose it is, and
// DecodePending reads back exactly what the monitor holds, so a reader in
// another process sums what this server sums.
func TestPendingRoundTrip(t *testing.T) {
	f := newFixture(t, false, func(d *Deps) { d.DeviceID = "dev-1" })
	f.mon.peaks = map[int64]uint64{fixedNow.Add(-15 * time.Minute).UTC().Truncate(15 * time.Minute).Unix(): 13_000_000}
	rec := do(t, f.srv.Handler(), "GET", "/api/pending")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	ps, err := DecodePending(bytes.NewReader(rec.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if ps.DeviceID != "dev-1" || ps.Database != f.store.Path() || ps.PeakToday != 13_000_000 || !ps.PeakTime.Equal(fixedNow) {
		t.Errorf("identity and live peak: %+v", ps)
	}
	want := f.mon.Unwritten(epoch, farAway)
	if len(want.Deltas) != 3 || len(want.Peaks) != 1 {
		t.Fatalf("fixture: %+v", want)
	}
	if d := cmp.Diff(want, ps.Unwritten, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); d != "" {
		t.Errorf("decoded pending set differs (-monitor +decoded):\n%s", d)
	}
	day := usage.DateOf(fixedNow.In(nyc))
	from, to := day.Start(nyc), day.AddDays(1).Start(nyc)
	for _, flt := range []usage.Filter{{}, {All: true}, {Ifaces: []string{"docker0"}}} {
		if got, want := ps.Unwritten.Pending(from, to, flt), f.mon.Pending(from, to, flt); got != want {
			t.Errorf("Pending(%+v) = %+v from the decoded set, %+v from the monitor", flt, got, want)
		}
	}
	if got, want := ps.Unwritten.PendingPeak(from, to), f.mon.PendingPeak(from, to); got != want || got == 0 {
		t.Errorf("PendingPeak = %d decoded, %d from the monitor", got, want)
	}
	// The interfaces the daemon sees, with their speeds.
	wantLive := []query.LiveRate{
		{Name: "docker0", Kind: "virtual", Counted: false, RxPerSec: 10, TxPerSec: 20},
		{Name: "eth0", Kind: "ethernet", Counted: true, RxPerSec: 1_500_000, TxPerSec: 250_000},
		{Name: "usb0", Kind: "cellular", Counted: true},
	}
	if d := cmp.Diff(wantLive, ps.Live); d != "" {
		t.Errorf("decoded live rates differ (-want +decoded):\n%s", d)
	}
}

func TestPendingRange(t *testing.T) {
	f := newFixture(t, false)
	for _, tc := range []struct {
		target string
		code   int
		deltas int
	}{
		{"/api/pending?from=2026-03-08&to=2026-03-08", http.StatusOK, 3},
		{"/api/pending?to=2026-03-07", http.StatusOK, 0},
		{"/api/pending?from=2026-03-09", http.StatusOK, 0},
		{"/api/pending?from=2026-03-09&to=2026-03-08", http.StatusBadRequest, 0},
		{"/api/pending?from=yesterday", http.StatusBadRequest, 0},
	} {
		rec := do(t, f.srv.Handler(), "GET", tc.target)
		if rec.Code != tc.code {
			t.Errorf("%s: status %d, want %d: %s", tc.target, rec.Code, tc.code, rec.Body)
			continue
		}
		if tc.code != http.StatusOK {
			continue
		}
		ps, err := DecodePending(bytes.NewReader(rec.Body.Bytes()))
		if err != nil || len(ps.Unwritten.Deltas) != tc.deltas {
			t.Errorf("%s: %d deltas (%v), want %d", tc.target, len(ps.Unwritten.Deltas), err, tc.deltas)
		}
	}
}
