package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

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
