package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/packetbuddy/pb/internal/golden"
	"github.com/packetbuddy/pb/internal/usage"
)

func TestAppTotalsAddUpAndPrune(t *testing.T) {
	ctx := context.Background()
	t0 := utc(2025, 3, 1, 10, 0)
	s, _ := mustOpen(t, newClock(t0))
	fx := usage.App{Path: "/usr/bin/firefox", Name: "firefox"}
	sd := usage.App{Path: "/usr/lib/systemd/systemd-resolved", Name: "systemd-resolve", Unit: "systemd-resolved.service"}
	app := func(a usage.App, iface string, at time.Time, rx, tx uint64) usage.AppDelta {
		return usage.AppDelta{App: a, Iface: iface, MAC: "aa", Bucket: at, Totals: tot(rx, tx)}
	}
	d := func(iface string, at time.Time, rx, tx uint64) usage.Delta {
		return usage.Delta{Iface: iface, MAC: "aa", Bucket: at, Totals: tot(rx, tx)}
	}
	// Two flushes into the same 15-minute bucket, a day of more buckets,
	// and a second interface.
	mustFlush(t, s, usage.Batch{
		Deltas: []usage.Delta{d("eth0", t0, 1000, 100), d("wlan0", t0, 50, 5)},
		Apps: []usage.AppDelta{
			app(fx, "eth0", t0, 700, 60), app(sd, "eth0", t0, 100, 10), app(usage.Unattributed, "eth0", t0, 200, 30),
			app(fx, "wlan0", t0, 50, 5),
		},
	})
	for h := range 24 {
		at := t0.Add(time.Duration(h)*time.Hour + time.Minute)
		mustFlush(t, s, usage.Batch{
			Deltas: []usage.Delta{d("eth0", at, 10, 1)},
			Apps:   []usage.AppDelta{app(fx, "eth0", at, 9, 1), app(usage.Unattributed, "eth0", at, 1, 0)},
		})
	}
	from, to := t0, t0.Add(25*time.Hour)
	got, err := s.AppTotals(ctx, from, to, usage.Filter{Ifaces: []string{"eth0"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []usage.AppTotals{{App: fx, Totals: tot(700+24*9, 60+24)}, {App: usage.Unattributed, Totals: tot(200+24, 30)}, {App: sd, Totals: tot(100, 10)}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("eth0 apps (-want +got):\n%s", diff)
	}
	var sum usage.Totals
	for _, a := range got {
		sum = sum.Add(a.Totals)
	}
	if iface, err := s.Totals(ctx, from, to, usage.Filter{Ifaces: []string{"eth0"}}); err != nil || iface != sum {
		t.Errorf("apps of eth0 add up to %+v, the interface's total is %+v (%v)", sum, iface, err)
	}
	all, err := s.AppTotals(ctx, from, to, usage.Filter{All: true})
	if err != nil || len(all) != 3 || all[0].App != fx || all[0].Totals != tot(750+24*9, 65+24) {
		t.Errorf("all interfaces: %+v, %v; want firefox first with both interfaces' traffic", all, err)
	}
	n, err := s.PruneApps(ctx, t0.Add(12*time.Hour))
	if err != nil || n != 4+11*2 { // hour 0 shares the first bucket
		t.Errorf("PruneApps deleted %d rows (%v), want %d", n, err, 4+11*2)
	}
	left, err := s.AppTotals(ctx, from, to, usage.Filter{Ifaces: []string{"eth0"}})
	if err != nil || len(left) != 2 || left[0].Totals != tot(12*9, 12) {
		t.Errorf("after pruning: %+v, %v; want the last 12 hours of firefox", left, err)
	}
	if iface, _ := s.Totals(ctx, from, to, usage.Filter{Ifaces: []string{"eth0"}}); iface != tot(1000+240, 100+24) {
		t.Errorf("pruning apps changed the interface total to %+v", iface)
	}
}

// TestAppDayTotals: one app's traffic per local day, zero days included,
// across a 23-hour day; an app never written is not known, unattributed
// always is.
func TestAppDayTotals(t *testing.T) {
	ctx := context.Background()
	nyc := golden.Location("America/New_York")
	s, _ := mustOpen(t, newClock(utc(2026, 3, 9, 12, 0)))
	fx := usage.App{Path: "/usr/bin/firefox", Name: "firefox"}
	at := func(d, h, m int) time.Time { return time.Date(2026, 3, d, h, m, 0, 0, nyc) }
	app := func(a usage.App, iface string, t time.Time, rx, tx uint64) usage.AppDelta {
		return usage.AppDelta{App: a, Iface: iface, MAC: "aa", Bucket: t, Totals: tot(rx, tx)}
	}
	mustFlush(t, s, usage.Batch{
		Interfaces: []usage.Interface{{Name: "eth0", MAC: "aa", Counted: true}, {Name: "veth1", MAC: "aa", Counted: false}},
		Apps: []usage.AppDelta{
			app(fx, "eth0", at(7, 23, 45), 1, 2),     // 04:45 UTC on the 8th
			app(fx, "eth0", at(8, 0, 0), 10, 20),     // the spring-forward day's first bucket
			app(fx, "eth0", at(8, 23, 45), 100, 200), // its last
			app(fx, "veth1", at(8, 12, 0), 5000, 5000),
			app(usage.Unattributed, "eth0", at(8, 12, 0), 7, 7),
		},
	})
	day := func(d int, rx, tx uint64) usage.DayTotals {
		return usage.DayTotals{Date: usage.Date{Year: 2026, Month: 3, Day: d}, Totals: tot(rx, tx)}
	}
	from, to := usage.Date{Year: 2026, Month: 3, Day: 6}, usage.Date{Year: 2026, Month: 3, Day: 9}
	got, known, err := s.AppDayTotals(ctx, fx, from, to, nyc, usage.Filter{Ifaces: []string{"eth0"}})
	if want := []usage.DayTotals{day(6, 0, 0), day(7, 1, 2), day(8, 110, 220), day(9, 0, 0)}; err != nil || !known || !cmp.Equal(want, got) {
		t.Errorf("firefox on eth0: %+v, known %v, %v; want %+v", got, known, err, want)
	}
	if got, _, _ := s.AppDayTotals(ctx, fx, from, to, nyc, usage.Filter{All: true}); got[2] != day(8, 5110, 5220) {
		t.Errorf("firefox on every interface on the 8th: %+v", got[2])
	}
	// Another path is another app.
	if got, known, err := s.AppDayTotals(ctx, usage.App{Name: "firefox"}, from, to, nyc, usage.Filter{}); err != nil || known || len(got) != 4 || got[1].Total() != 0 {
		t.Errorf("an app never written: %+v, known %v, %v", got, known, err)
	}
	empty, _ := mustOpen(t, newClock(utc(2026, 3, 9, 12, 0)))
	if got, known, err := empty.AppDayTotals(ctx, usage.Unattributed, from, from, nyc, usage.Filter{}); err != nil || !known || len(got) != 1 || got[0] != day(6, 0, 0) {
		t.Errorf("unattributed on an empty store: %+v, known %v, %v", got, known, err)
	}
	if _, _, err := s.AppDayTotals(ctx, fx, to, from, nyc, usage.Filter{}); err == nil {
		t.Error("a range that ends before it starts: no error")
	}
}
