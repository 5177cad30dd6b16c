//go:build linux

package monitor_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/counter"
	"github.com/packetbuddy/pb/internal/monitor"
	"github.com/packetbuddy/pb/internal/netlab"
	"github.com/packetbuddy/pb/internal/network"
	"github.com/packetbuddy/pb/internal/store"
	"github.com/packetbuddy/pb/internal/usage"
)

// TestNetworkSwitchIsAttributedWithinOnePoll runs the real monitor, counter
// reader and network source inside a client namespace whose interface has
// two gateways (two namespaces, two MACs). Moving the default route from one
// to the other must move the next poll's bytes to the other network, and
// the networks must add up exactly to the interface's kernel counters.
func TestNetworkSwitchIsAttributedWithinOnePoll(t *testing.T) {
	lab := netlab.NewGateways(t)
	lab.Use(t, 0)
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "pb.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	boot, err := monitor.BootID()
	if err != nil {
		t.Fatal(err)
	}
	src := network.NewSource(nil)
	defer src.Close()
	var m *monitor.Monitor
	// Every call runs in the client namespace: the sockets the reader and
	// the source open on their first call stay bound to it.
	in := func(fn func() error) {
		t.Helper()
		if err := netlab.InNS(lab.Client, fn); err != nil {
			t.Fatal(err)
		}
	}
	in(func() error {
		reader, err := counter.NewReader()
		if err != nil {
			return err
		}
		m = monitor.New(reader, st, monitor.SystemClock(), monitor.Config{BootID: boot, Networks: src}, nil)
		return m.Start(context.Background())
	})
	if got := m.Attachments()[lab.ClientIf]; got.GatewayMAC != lab.GW[0].MAC || got.Gateway != lab.GW[0].IP {
		t.Fatalf("at start %s is attached to %+v, want gateway 1 (%s, %s)", lab.ClientIf, got, lab.GW[0].IP, lab.GW[0].MAC)
	}
	rx0, tx0 := lab.Counters(t)
	prev := usage.Totals{Rx: rx0, Tx: tx0}
	want := map[string]usage.Totals{}
	// Each step: route through a gateway, send through it, wait for the
	// wire to be quiet, then one poll. That poll's bytes must all be on
	// that gateway's network.
	for step, gw := range []int{0, 1, 0, 1} {
		if step > 0 {
			lab.Use(t, gw)
			// A poll between the route change and the traffic: the second
			// gateway's MAC is not known until the traffic makes the
			// client ARP for it, so on the first visit the interface is
			// on no known network here, and the neighbour notification
			// must bring the network in time for the next poll.
			// A straggler of the last transfer (a late ACK) may pass
			// here: that poll's bytes belong to whatever network the
			// interface is on at that poll, measured like every poll.
			rx, tx := lab.Counters(t)
			in(m.Poll)
			got, ok := m.Attachments()[lab.ClientIf]
			if step == 1 && ok {
				t.Fatalf("before ARP for gateway 2, %s is attached to %+v", lab.ClientIf, got)
			}
			name := usage.UnknownNetwork
			if ok {
				name = "gateway " + got.GatewayMAC
			}
			if d := (usage.Totals{Rx: rx - prev.Rx, Tx: tx - prev.Tx}); d != (usage.Totals{}) {
				want[name] = want[name].Add(d)
			}
			prev = usage.Totals{Rx: rx, Tx: tx}
		}
		lab.Transfer(t, gw, 1<<20+step*10_007, 256<<10+step*3_001)
		lab.WaitQuiet(t)
		rx, tx := lab.Counters(t)
		in(m.Poll)
		if got := m.Attachments()[lab.ClientIf]; got.GatewayMAC != lab.GW[gw].MAC {
			t.Fatalf("step %d: after one poll %s is attached to %+v, want gateway %d's MAC %s", step, lab.ClientIf, got, gw+1, lab.GW[gw].MAC)
		}
		name := "gateway " + lab.GW[gw].MAC
		want[name] = want[name].Add(usage.Totals{Rx: rx - prev.Rx, Tx: tx - prev.Tx})
		prev = usage.Totals{Rx: rx, Tx: tx}
		in(func() error { return m.Flush(context.Background()) })
		got := networkTotals(t, st, lab.ClientIf)
		if len(got) != len(want) {
			t.Fatalf("step %d: networks %+v, want %+v", step, got, want)
		}
		for n, w := range want {
			if got[n] != w {
				t.Fatalf("step %d: network %q has %+v, the kernel counters moved %+v through it (all: %+v)", step, n, got[n], w, got)
			}
		}
	}
	// Exact: the networks add up to the interface's stored total and to
	// the kernel counters' movement.
	iface := storedTotals(t, st, lab.ClientIf)
	if kernel := (usage.Totals{Rx: prev.Rx - rx0, Tx: prev.Tx - tx0}); iface != kernel || kernel.Tx < 4<<20 {
		t.Fatalf("stored %+v for %s, kernel counters moved %+v", iface, lab.ClientIf, kernel)
	}
	var sum usage.Totals
	for _, v := range want {
		sum = sum.Add(v)
	}
	if sum != iface {
		t.Fatalf("networks add up to %+v, the interface's total is %+v", sum, iface)
	}
	nets, err := st.Networks(context.Background())
	if err != nil || len(nets) != 2 {
		t.Fatalf("networks = %+v, %v; want the two gateways", nets, err)
	}
	for _, n := range nets {
		if n.SSID != "" || n.SSIDStatus == usage.SSIDRead {
			t.Errorf("a veth's network %q has SSID %q (%s)", n.Name, n.SSID, n.SSIDStatus)
		}
	}
	// At rest nothing is identified again: polls without changes only
	// drain an empty notification queue.
	before := src.Identifications
	for range 20 {
		in(m.Poll)
		time.Sleep(10 * time.Millisecond)
	}
	if src.Identifications != before {
		t.Errorf("20 polls without a change identified the networks %d more times", src.Identifications-before)
	}
}

// networkTotals is the store's networks of one interface over a wide range,
// by name.
func networkTotals(t *testing.T, st *store.Store, iface string) map[string]usage.Totals {
	t.Helper()
	now := time.Now()
	got, err := st.NetworkTotals(context.Background(), now.Add(-24*time.Hour), now.Add(24*time.Hour), usage.Filter{Ifaces: []string{iface}})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]usage.Totals{}
	for _, n := range got {
		out[n.Name] = n.Totals
	}
	return out
}
