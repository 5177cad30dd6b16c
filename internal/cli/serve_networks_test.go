package cli

import (
	"context"
	"testing"

	"github.com/packetbuddy/pb/internal/monitor"
	"github.com/packetbuddy/pb/internal/plan"
	"github.com/packetbuddy/pb/internal/units"
	"github.com/packetbuddy/pb/internal/usage"
)

func TestMeteredAlert(t *testing.T) {
	hotspot := usage.Attachment{Gateway: "172.20.10.1", GatewayMAC: "02:aa:00:00:00:02", SSIDStatus: usage.SSIDNotAvailable}
	home := usage.Attachment{Gateway: "192.168.1.1", GatewayMAC: "02:aa:00:00:00:01"}
	nets := func(context.Context) ([]usage.Network, error) {
		return []usage.Network{
			{ID: 1, Name: "home", Fingerprints: []string{home.Fingerprint()}},
			{ID: 2, Name: "Pixel hotspot", Metered: true, Fingerprints: []string{"gw=02:aa:00:00:00:09", hotspot.Fingerprint()}},
		}, nil
	}
	al, ok, err := meteredAlert(context.Background(), nets, heavyJoin{"wlan0", hotspot, monitor.Rate{RxPerSec: 4_000_000, TxPerSec: 500_000}}, units.SI)
	if err != nil || !ok || al.Kind != plan.AlertMetered || al.Message != `wlan0 joined the metered network "Pixel hotspot" while 4.50 MB/s was moving.` {
		t.Errorf("metered join: %+v, %v, %v", al, ok, err)
	}
	if _, ok, _ := meteredAlert(context.Background(), nets, heavyJoin{"eth0", home, monitor.Rate{RxPerSec: 9e6}}, units.SI); ok {
		t.Error("an alert for a network that is not metered")
	}
	// The queue between the poll and the alerts never blocks the poll.
	send, ch := heavyJoins()
	for range cap(ch) + 3 {
		send("wlan0", hotspot, monitor.Rate{})
	}
	if len(ch) != cap(ch) {
		t.Errorf("queue holds %d, want %d", len(ch), cap(ch))
	}
}
