package monitor

import (
	"context"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/counter"
	"github.com/packetbuddy/pb/internal/usage"
)

// switchingNetworks hands out the map it holds; the test swaps it.
type switchingNetworks struct{ m map[string]usage.Attachment }

func (s *switchingNetworks) Attached() map[string]usage.Attachment { return s.m }

// TestHeavyJoin: moving to another network while the interface carries at
// least HeavyRate calls OnHeavyJoin once; a join at a low speed, an
// unchanged network and the networks found at start do not.
func TestHeavyJoin(t *testing.T) {
	home := usage.Attachment{Gateway: "192.168.1.1", GatewayMAC: "02:00:00:00:00:01"}
	hotspot := usage.Attachment{Gateway: "172.20.10.1", GatewayMAC: "02:00:00:00:00:02"}
	src := &switchingNetworks{m: map[string]usage.Attachment{"wlan0": home}}
	r := &steadyReader{step: 3_000_000, cs: []counter.Counter{{Name: "wlan0", Index: 3}, {Name: "eth0", Index: 2}}}
	clock := &fakeClock{now: Instant{Wall: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), Mono: time.Hour, Boot: time.Hour}}
	type join struct {
		iface string
		a     usage.Attachment
	}
	var joins []join
	m := New(r, newFakeStore(), clock, Config{BootID: "b", Networks: src, HeavyRate: 2_000_000,
		OnHeavyJoin: func(iface string, a usage.Attachment, _ Rate) { joins = append(joins, join{iface, a}) }}, nil)
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	poll := func(n int) {
		for range n {
			clock.now.Wall = clock.now.Wall.Add(time.Second)
			clock.now.Mono += time.Second
			clock.now.Boot += time.Second
			if err := m.Poll(); err != nil {
				t.Fatal(err)
			}
		}
	}
	poll(3) // heavy traffic on the network found at start: no join
	if len(joins) != 0 {
		t.Fatalf("joins at start: %+v", joins)
	}
	src.m = map[string]usage.Attachment{"wlan0": hotspot, "eth0": home}
	poll(3)
	// 4.5 MB/s (3 MB rx + 1.5 MB tx per second) on both: each joined once.
	if len(joins) != 2 {
		t.Fatalf("joins = %+v, want wlan0 on the hotspot and eth0 on home, once each", joins)
	}
	for _, j := range joins {
		if (j.iface == "wlan0" && j.a != hotspot) || (j.iface == "eth0" && j.a != home) {
			t.Errorf("join %+v", j)
		}
	}
	// A new map with the same networks is no join; a slow join is none.
	src.m = map[string]usage.Attachment{"wlan0": hotspot, "eth0": home}
	poll(2)
	r.step = 100
	src.m = map[string]usage.Attachment{"wlan0": home}
	poll(joinWatchPolls + 2)
	if len(joins) != 2 {
		t.Errorf("joins = %+v, want no more", joins)
	}
}
