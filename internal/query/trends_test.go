package query

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/store"
	"github.com/packetbuddy/pb/internal/trend"
	"github.com/packetbuddy/pb/internal/usage"
)

// Unusual reads real hours from the store: on the day clocks go back the
// repeated hour is two samples, not one of twice the size, so a steady
// history raises nothing even with sensitive settings, and one injected
// hour is found alone. Written in batches of 1,000 like the daemon's
// flushes, ten weeks of history.
func TestEngineUnusualAcrossDST(t *testing.T) {
	ctx := context.Background()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	end := time.Date(2026, 11, 2, 0, 0, 0, 0, berlin)
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "pb.db"), store.Options{Now: func() time.Time { return end }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	eth0 := usage.Interface{Name: "eth0", Kind: "ethernet", Counted: true}
	start := end.AddDate(0, 0, -70)
	spike := time.Date(2026, 10, 28, 20, 0, 0, 0, berlin)
	var deltas []usage.Delta
	for b := start; b.Before(end); b = b.Add(15 * time.Minute) {
		n := uint64(25e6) // 100 MB an hour
		if !b.Before(spike) && b.Before(spike.Add(time.Hour)) {
			n += 62_500_000 // 250 MB more in the hour
		}
		deltas = append(deltas, usage.Delta{Iface: eth0.Name, Bucket: b, Totals: usage.Totals{Rx: n / 4 * 3, Tx: n - n/4*3}})
	}
	events := []usage.Event{{Time: start, Kind: usage.EventFirstRun}}
	for i := 0; i < len(deltas); i += 1000 {
		b := usage.Batch{Interfaces: []usage.Interface{eth0}, Deltas: deltas[i:min(i+1000, len(deltas))], Events: events}
		events = nil
		if err := st.Flush(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	e := New(Deps{Store: st, Location: berlin})
	sensitive := trend.Options{Weeks: 8, MinSamples: 4, Ratio: 1.6, K: 4, MinHour: 1e6, MinDay: 10e6}
	got, err := e.Unusual(ctx, time.Date(2026, 10, 19, 0, 0, 0, 0, berlin), end, sensitive)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Kind != trend.KindHour || !got[0].Start.Equal(spike) || got[0].Bytes != 350e6 || got[0].Usual != 100e6 {
		for _, a := range got {
			t.Logf("%s %v %d (usual %d)", a.Kind, a.Start, a.Bytes, a.Usual)
		}
		t.Fatalf("%d anomalies, want the one hour at %v of 350 MB (usual 100 MB)", len(got), spike)
	}
}

// constantStore is a store holding a constant rate on eth0 (1.2 MB a
// minute, 3:1 down:up) from install to end, with the first-run event.
func constantStore(t *testing.T, loc *time.Location, install, end time.Time) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "pb.db"), store.Options{Now: func() time.Time { return end }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	eth0 := usage.Interface{Name: "eth0", Kind: "ethernet", Counted: true}
	var deltas []usage.Delta
	for b := install; b.Before(end); b = b.Add(15 * time.Minute) {
		deltas = append(deltas, usage.Delta{Iface: eth0.Name, Bucket: b, Totals: usage.Totals{Rx: 13_500_000, Tx: 4_500_000}})
	}
	events := []usage.Event{{Time: install, Kind: usage.EventFirstRun}}
	for i := 0; i < len(deltas); i += 1000 {
		b := usage.Batch{Interfaces: []usage.Interface{eth0}, Deltas: deltas[i:min(i+1000, len(deltas))], Events: events}
		events = nil
		if err := st.Flush(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// With a constant rate every comparison is flat, every profile the rate
// times the hours, and a comparison with a time before the install is
// marked as not counted.
func TestEngineTrendsConstant(t *testing.T) {
	loc := time.UTC
	now := time.Date(2026, 5, 20, 15, 0, 0, 0, loc) // a Wednesday
	install := time.Date(2026, 2, 2, 0, 0, 0, 0, loc)
	st := constantStore(t, loc, install, now)
	e := New(Deps{Store: st, Location: loc})
	tr, err := e.Trends(context.Background(), now, "")
	if err != nil {
		t.Fatal(err)
	}
	perHour := uint64(72e6)
	span := func(a, b time.Time) uint64 { return uint64(b.Sub(a).Hours() * float64(perHour)) }
	for _, c := range []struct {
		name         string
		c            Comparison
		from, pf, pt time.Time
		samples      int
		counted      bool
	}{
		{"month", tr.Month, time.Date(2026, 5, 1, 0, 0, 0, 0, loc), time.Date(2026, 4, 1, 0, 0, 0, 0, loc), time.Date(2026, 4, 20, 15, 0, 0, 0, loc), 1, true},
		{"week", tr.Week, time.Date(2026, 5, 18, 0, 0, 0, 0, loc), time.Date(2026, 5, 11, 0, 0, 0, 0, loc), time.Date(2026, 5, 13, 15, 0, 0, 0, loc), 8, true},
		{"year", tr.Year, time.Date(2026, 1, 1, 0, 0, 0, 0, loc), time.Date(2025, 1, 1, 0, 0, 0, 0, loc), time.Date(2025, 5, 20, 15, 0, 0, 0, loc), 1, false},
	} {
		if !c.c.From.Equal(c.from) || !c.c.PrevFrom.Equal(c.pf) || !c.c.PrevTo.Equal(c.pt) || c.c.Samples != c.samples || c.c.Counted != c.counted {
			t.Errorf("%s: %+v", c.name, c.c)
		}
		from := c.from
		if from.Before(install) {
			from = install
		}
		if got, want := c.c.Current.Total(), span(from, now); got != want {
			t.Errorf("%s: current %d, want %d", c.name, got, want)
		}
		if pct, ok := c.c.Change(); ok != c.counted || ok && pct != 0 {
			t.Errorf("%s: change %v %v", c.name, pct, ok)
		}
	}
	for i, p := range tr.Weekdays {
		if p.Samples != 8 || p.Average.Total() != 24*perHour {
			t.Errorf("weekday %d: %+v", i, p)
		}
	}
	for h, p := range tr.Hours {
		if p.Samples != 28 || p.Average.Total() != perHour || p.Average.Rx != perHour/4*3 {
			t.Errorf("hour %d: %+v", h, p)
		}
	}
	if len(tr.Interfaces) != 1 || tr.Interfaces[0].Name != "eth0" || tr.Interfaces[0].Month.Current != tr.Month.Current {
		t.Errorf("interfaces %+v", tr.Interfaces)
	}
	if len(tr.Unusual) != 0 {
		t.Errorf("unusual %+v", tr.Unusual)
	}
	if _, err := e.Trends(context.Background(), now, "wlan9"); !errors.Is(err, ErrUnknownInterface) {
		t.Errorf("unknown interface: %v", err)
	}
}

// Minutes reads the fine tier, one point a minute.
func TestEngineMinutes(t *testing.T) {
	loc := time.UTC
	now := time.Date(2026, 5, 20, 15, 0, 0, 0, loc)
	st := constantStore(t, loc, now.Add(-36*time.Hour), now)
	e := New(Deps{Store: st, Location: loc})
	m, err := e.Minutes(context.Background(), now.Add(-2*time.Hour), now.Add(-time.Hour-30*time.Second), "eth0")
	if err != nil {
		t.Fatal(err)
	}
	// One 15-minute delta lands in its first minute.
	if len(m.Points) != 60 || m.Totals.Total() != 4*18e6 || m.Points[0].Total() != 18e6 || m.Points[1].Total() != 0 || m.Points[15].Total() != 18e6 {
		t.Errorf("%d points, total %d, first %+v", len(m.Points), m.Totals.Total(), m.Points[:2])
	}
	if _, err := e.Minutes(context.Background(), now.Add(-9*24*time.Hour), now, ""); err == nil {
		t.Error("a 9-day minute view was accepted")
	}
}
