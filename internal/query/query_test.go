package query

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/store"
	"github.com/packetbuddy/pb/internal/usage"
)

var nyc = func() *time.Location {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		panic(err)
	}
	return loc
}()

// now is noon on the spring-forward day (23 hours) in New York.
var now = time.Date(2026, 3, 8, 12, 0, 0, 0, nyc)

// history is 120 days of traffic on three interfaces (two counted), one
// delta every 20 minutes each, flushed in batches of 1,000 like a daemon's
// writes, and the sums a reader must find, worked out here by brute force.
type history struct {
	st      *store.Store
	deltas  []usage.Delta
	counted map[string]bool
}

func newHistory(t *testing.T) *history {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "pb.db"), store.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h := &history{st: st, counted: map[string]bool{"eth0": true, "wlan0": true, "docker0": false}}
	ifaces := []usage.Interface{
		{Name: "eth0", Kind: "ethernet", Counted: true},
		{Name: "wlan0", Kind: "wifi", Counted: true},
		{Name: "docker0", Kind: "virtual", Counted: false},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	start := now.Add(-120 * 24 * time.Hour).UTC().Truncate(time.Hour)
	for b := start; b.Before(now.Add(-time.Hour)); b = b.Add(20 * time.Minute) {
		for _, it := range ifaces {
			h.deltas = append(h.deltas, usage.Delta{Iface: it.Name, Bucket: b, Totals: usage.Totals{Rx: rng.Uint64N(50_000_000), Tx: rng.Uint64N(5_000_000)}})
		}
	}
	for i := 0; i < len(h.deltas); i += 1000 {
		batch := usage.Batch{Interfaces: ifaces, Deltas: h.deltas[i:min(i+1000, len(h.deltas))]}
		if err := st.Flush(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// sum adds the deltas in [from, to) of the interfaces f selects.
func (h *history) sum(from, to time.Time, f usage.Filter) usage.Totals {
	var t usage.Totals
	for _, d := range h.deltas {
		if d.Bucket.Before(from) || !d.Bucket.Before(to) {
			continue
		}
		if (len(f.Ifaces) == 0 && h.counted[d.Iface]) || (len(f.Ifaces) > 0 && f.Ifaces[0] == d.Iface) {
			t = t.Add(d.Totals)
		}
	}
	return t
}

// pending is a daemon's unwritten last minutes.
func pending() *usage.Unwritten {
	m := now.Add(-2 * time.Minute).UTC().Truncate(time.Minute)
	return &usage.Unwritten{
		Deltas: []usage.UnwrittenDelta{
			{Delta: usage.Delta{Iface: "eth0", Bucket: m, Totals: usage.Totals{Rx: 1_000_003, Tx: 7}}, Counted: true},
			{Delta: usage.Delta{Iface: "docker0", Bucket: m, Totals: usage.Totals{Rx: 500, Tx: 500}}, Counted: false},
		},
	}
}

func TestEngineSumsStoredAndPending(t *testing.T) {
	h := newHistory(t)
	ctx := context.Background()
	p := pending()
	for _, tc := range []struct {
		name  string
		scope usage.Filter
		pend  usage.Totals
	}{
		{"counted", usage.Filter{}, usage.Totals{Rx: 1_000_003, Tx: 7}},
		{"docker0", usage.Filter{Ifaces: []string{"docker0"}}, usage.Totals{Rx: 500, Tx: 500}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := New(Deps{Store: h.st, Pending: p, Location: nyc, Scope: tc.scope})
			today := usage.DateOf(now)
			dayStart, dayEnd := today.Start(nyc), today.AddDays(1).Start(nyc)

			d, err := e.Today(ctx, now)
			if err != nil {
				t.Fatal(err)
			}
			if want := h.sum(dayStart, dayEnd, tc.scope).Add(tc.pend); d.Totals != want {
				t.Errorf("Today = %+v, want %+v", d.Totals, want)
			}

			hrs, err := e.Hours(ctx, today)
			if err != nil {
				t.Fatal(err)
			}
			if len(hrs.Hours) != 23 || hrs.Totals != d.Totals {
				t.Errorf("Hours: %d hours summing to %+v, want 23 summing to today's %+v", len(hrs.Hours), hrs.Totals, d.Totals)
			}

			// A month of every day, each checked on its own.
			m, err := e.Month(ctx, now, usage.Date{Year: 2026, Month: time.February, Day: 1})
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Days) != 28 {
				t.Fatalf("February has %d days", len(m.Days))
			}
			var sum usage.Totals
			for _, day := range m.Days {
				if want := h.sum(day.Date.Start(nyc), day.Date.AddDays(1).Start(nyc), tc.scope); day.Totals != want {
					t.Errorf("%s = %+v, want %+v", day.Date, day.Totals, want)
				}
				sum = sum.Add(day.Totals)
			}
			if m.Totals != sum {
				t.Errorf("February total %+v, days sum to %+v", m.Totals, sum)
			}

			l, err := e.Lifetime(ctx, now)
			if err != nil {
				t.Fatal(err)
			}
			if want := h.sum(Epoch, FarAway, tc.scope).Add(tc.pend); l.Totals != want {
				t.Errorf("Lifetime = %+v, want %+v", l.Totals, want)
			}
			if l.DaysTracked() < 120 || l.Last != today {
				t.Errorf("tracked %d days to %s", l.DaysTracked(), l.Last)
			}

			years, ysum, err := e.Years(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(years) != 2 || ysum != l.Totals {
				t.Errorf("%d years summing to %+v, want 2 summing to the lifetime %+v", len(years), ysum, l.Totals)
			}

			top, err := e.TopDays(ctx, now, 5)
			if err != nil {
				t.Fatal(err)
			}
			all, err := e.Range(ctx, now, l.First, l.Last)
			if err != nil {
				t.Fatal(err)
			}
			var best usage.DayTotals
			for _, day := range all.Days {
				if day.Total() > best.Total() {
					best = day
				}
			}
			if len(top) != 5 || top[0].Date != best.Date || top[0].Totals != best.Totals {
				t.Errorf("top day %+v, want %+v", top[0], best)
			}
			if all.Totals != l.Totals {
				t.Errorf("every day sums to %+v, lifetime %+v", all.Totals, l.Totals)
			}
		})
	}
}

// TestEngineCacheFollowsGeneration: the stored part is read once per
// generation (the daemon's last flush); a write under the same generation
// is not seen until the generation moves, which is what keeps the hot
// answers off the database between flushes, while pending traffic is
// added on every call.
func TestEngineCacheFollowsGeneration(t *testing.T) {
	h := newHistory(t)
	ctx := context.Background()
	gen := Generation{Started: now.Add(-time.Hour), LastFlush: now.Add(-time.Minute)}
	p := &usage.Unwritten{}
	e := New(Deps{Store: h.st, Pending: p, Location: nyc, Generation: func() Generation { return gen }})
	before, err := e.Today(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	extra := usage.Delta{Iface: "eth0", Bucket: now.Add(-30 * time.Minute).UTC().Truncate(time.Minute), Totals: usage.Totals{Rx: 4242, Tx: 42}}
	if err := h.st.Flush(ctx, usage.Batch{Interfaces: []usage.Interface{{Name: "eth0", Kind: "ethernet", Counted: true}}, Deltas: []usage.Delta{extra}}); err != nil {
		t.Fatal(err)
	}
	p.Deltas = append(p.Deltas, usage.UnwrittenDelta{Delta: usage.Delta{Iface: "eth0", Bucket: now.UTC().Truncate(time.Minute), Totals: usage.Totals{Rx: 1, Tx: 1}}, Counted: true})
	same, err := e.Today(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	if want := before.Totals.Add(usage.Totals{Rx: 1, Tx: 1}); same.Totals != want {
		t.Errorf("same generation: %+v, want the cached stored part plus pending %+v", same.Totals, want)
	}
	gen.LastFlush = now
	after, err := e.Today(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	if want := same.Totals.Add(extra.Totals); after.Totals != want {
		t.Errorf("new generation: %+v, want %+v", after.Totals, want)
	}
}
