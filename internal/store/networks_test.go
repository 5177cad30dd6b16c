package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/packetbuddy/pb/internal/plan"
	"github.com/packetbuddy/pb/internal/store"
	"github.com/packetbuddy/pb/internal/usage"
)

var (
	home    = usage.Attachment{Gateway: "192.168.1.1", GatewayMAC: "02:00:00:00:01:01", SSID: "home", SSIDStatus: usage.SSIDRead}
	hotspot = usage.Attachment{Gateway: "10.0.0.1", GatewayMAC: "02:00:00:00:02:02", SSIDStatus: usage.SSIDNotAvailable}
	cafe    = usage.Attachment{Gateway: "172.16.0.1", GatewayMAC: "02:00:00:00:03:03", SSIDStatus: usage.SSIDNotAvailable}
)

func netDelta(a usage.Attachment, at time.Time, rx, tx uint64) usage.NetworkDelta {
	return usage.NetworkDelta{Network: a, Iface: eth0.Name, MAC: eth0.MAC, Bucket: at, Totals: tot(rx, tx)}
}

// networkTotals is NetworkTotals as name -> totals.
func networkTotals(t *testing.T, s *store.Store, from, to time.Time) map[string]usage.Totals {
	t.Helper()
	got, err := s.NetworkTotals(ctx, from, to, usage.Filter{Ifaces: []string{eth0.Name}})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]usage.Totals{}
	var sum usage.Totals
	for _, n := range got {
		out[n.Name] = n.Totals
		sum = sum.Add(n.Totals)
	}
	if iface, err := s.Totals(ctx, from, to, usage.Filter{Ifaces: []string{eth0.Name}}); err != nil || iface != sum {
		t.Errorf("networks add up to %+v, the interface's total is %+v (%v)", sum, iface, err)
	}
	return out
}

func TestNetworkTotalsAddUp(t *testing.T) {
	t0 := utc(2025, 3, 1, 10, 0)
	s, _ := mustOpen(t, newClock(t0))
	// History from before networks were identified: all unknown.
	mustFlush(t, s, usage.Batch{Interfaces: []usage.Interface{eth0}, Deltas: []usage.Delta{delta(t0.Add(-time.Hour), 5000, 500)}})
	// One bucket shared by two networks and some unknown traffic.
	mustFlush(t, s, usage.Batch{
		Deltas:   []usage.Delta{delta(t0, 1000, 100), delta(t0.Add(time.Minute), 300, 30)},
		Networks: []usage.NetworkDelta{netDelta(home, t0, 700, 60), netDelta(hotspot, t0.Add(time.Minute), 300, 30)},
	})
	mustFlush(t, s, usage.Batch{
		Deltas:   []usage.Delta{delta(t0.Add(20*time.Minute), 40, 4)},
		Networks: []usage.NetworkDelta{netDelta(home, t0.Add(20*time.Minute), 40, 4)},
	})
	got := networkTotals(t, s, t0.Add(-2*time.Hour), t0.Add(time.Hour))
	want := map[string]usage.Totals{"home": tot(740, 64), "gateway 02:00:00:00:02:02": tot(300, 30), usage.UnknownNetwork: tot(5000+300, 500+40)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("networks (-want +got):\n%s", diff)
	}
	// Per bucket: the known networks never exceed the interface.
	buckets, err := s.NetworkBuckets(ctx, eth0.Name, t0.Add(-2*time.Hour), t0.Add(time.Hour))
	if err != nil || len(buckets) != 2 || len(buckets[t0.Unix()]) != 2 {
		t.Fatalf("buckets = %+v, %v; want two buckets, the first with two networks", buckets, err)
	}
	nets, err := s.Networks(ctx)
	if err != nil || len(nets) != 2 || nets[1].Name != "home" || nets[1].SSID != "home" || nets[0].SSIDStatus != usage.SSIDNotAvailable ||
		nets[0].GatewayMAC != hotspot.GatewayMAC || nets[0].Gateway != "10.0.0.1" || !nets[0].FirstSeen.Equal(t0) {
		t.Errorf("Networks = %+v, %v", nets, err)
	}
}

func TestNetworkRenameMergeKeepHistory(t *testing.T) {
	t0 := utc(2025, 3, 1, 10, 0)
	c := newClock(t0)
	s, _ := mustOpen(t, c)
	flush := func(a usage.Attachment, at time.Time, rx, tx uint64) {
		mustFlush(t, s, usage.Batch{Interfaces: []usage.Interface{eth0}, Deltas: []usage.Delta{delta(at, rx, tx)}, Networks: []usage.NetworkDelta{netDelta(a, at, rx, tx)}})
	}
	flush(hotspot, t0, 1000, 100)
	flush(cafe, t0, 10, 1) // the same bucket: merging must add rows together
	flush(cafe, t0.Add(time.Hour), 20, 2)
	hs, cf := "gateway "+hotspot.GatewayMAC, "gateway "+cafe.GatewayMAC
	if err := s.RenameNetwork(ctx, hs, "Pixel hotspot"); err != nil {
		t.Fatal(err)
	}
	if err := s.RenameNetwork(ctx, cf, "Pixel hotspot"); !errors.Is(err, store.ErrNetworkNameUsed) {
		t.Errorf("renaming onto a used name: %v, want ErrNetworkNameUsed", err)
	}
	if err := s.RenameNetwork(ctx, "nope", "x"); !errors.Is(err, store.ErrNoNetwork) {
		t.Errorf("renaming an unknown network: %v, want ErrNoNetwork", err)
	}
	from, to := t0.Add(-time.Hour), t0.Add(2*time.Hour)
	if diff := cmp.Diff(map[string]usage.Totals{"Pixel hotspot": tot(1000, 100), cf: tot(30, 3)}, networkTotals(t, s, from, to)); diff != "" {
		t.Errorf("after rename (-want +got):\n%s", diff)
	}
	// A later visit to the renamed network keeps its new name.
	c.Set(t0.Add(2 * time.Hour))
	flush(hotspot, t0.Add(2*time.Hour), 5, 5)
	to = t0.Add(3 * time.Hour)
	if err := s.SetNetworkMetered(ctx, "Pixel hotspot", true); err != nil {
		t.Fatal(err)
	}
	if err := s.MergeNetworks(ctx, cf, "Pixel hotspot"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]usage.Totals{"Pixel hotspot": tot(1035, 108)}, networkTotals(t, s, from, to)); diff != "" {
		t.Errorf("after merge (-want +got):\n%s", diff)
	}
	// A visit to the merged-away fingerprint is counted as the network it
	// was merged into.
	flush(cafe, t0.Add(2*time.Hour), 1, 1)
	if diff := cmp.Diff(map[string]usage.Totals{"Pixel hotspot": tot(1036, 109)}, networkTotals(t, s, from, to)); diff != "" {
		t.Errorf("after a visit to the merged fingerprint (-want +got):\n%s", diff)
	}
	nets, err := s.Networks(ctx)
	if err != nil || len(nets) != 1 || !nets[0].Metered || len(nets[0].Fingerprints) != 2 || !nets[0].FirstSeen.Equal(t0) || !nets[0].LastSeen.Equal(t0.Add(2*time.Hour)) {
		t.Errorf("Networks after merge = %+v, %v", nets, err)
	}
	if err := s.MergeNetworks(ctx, "Pixel hotspot", "Pixel hotspot"); err == nil {
		t.Error("merging a network into itself succeeded")
	}
}

// TestPlanLimitedToNetwork: a [[plan]] with networks = ["Pixel hotspot"]
// counts that network's bytes only, before and after a rename of another
// network and a merge into it.
func TestPlanLimitedToNetwork(t *testing.T) {
	t0 := utc(2025, 3, 10, 10, 0)
	s, _ := mustOpen(t, newClock(t0))
	mustFlush(t, s, usage.Batch{
		Interfaces: []usage.Interface{eth0},
		Deltas:     []usage.Delta{delta(t0, 5000+1000+70, 500+100+7), delta(t0.Add(-48*time.Hour), 300, 30)},
		Networks: []usage.NetworkDelta{
			netDelta(home, t0, 5000, 500), netDelta(hotspot, t0, 1000, 100), netDelta(cafe, t0.Add(-48*time.Hour), 300, 30),
		},
	})
	if err := s.RenameNetwork(ctx, "gateway "+hotspot.GatewayMAC, "Pixel hotspot"); err != nil {
		t.Fatal(err)
	}
	specs, err := plan.Parse([]plan.RawSpec{
		{Name: "hotspot", Cap: "1GB", Networks: []string{"Pixel hotspot"}},
		{Name: "home and unknown", Networks: []string{"home", usage.UnknownNetwork}},
		{Name: "everything"},
		{Name: "not seen yet", Networks: []string{"Train Wi-Fi"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	used := func() []uint64 {
		t.Helper()
		tr := &plan.Tracker{Specs: specs, Loc: time.UTC, Days: s}
		st, err := tr.Statuses(ctx, t0.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		var out []uint64
		for _, x := range st {
			out = append(out, x.Used)
		}
		return out
	}
	if got, want := used(), []uint64{1100, 5500 + 77, 6677 + 330, 0}; !cmp.Equal(got, want) {
		t.Errorf("used = %v, want %v", got, want)
	}
	// Merging the cafe into the hotspot brings its history into the plan.
	if err := s.MergeNetworks(ctx, "gateway "+cafe.GatewayMAC, "Pixel hotspot"); err != nil {
		t.Fatal(err)
	}
	if got, want := used(), []uint64{1100 + 330, 5500 + 77, 6677 + 330, 0}; !cmp.Equal(got, want) {
		t.Errorf("after merge: used = %v, want %v", got, want)
	}
}
