package network

import (
	"cmp"
	"net/netip"

	"github.com/packetbuddy/pb/internal/usage"
)

// Tables is what an OS says about its routing, from which Choose works out
// each interface's network.
type Tables struct {
	Links      map[uint32]string // interface names by index
	Routes     []Route           // default routes with a gateway
	Neighbours []Neighbour       // neighbour (ARP/NDP) entries with an address
	// Wifi lists the wireless interfaces and their SSIDs; WifiRead says the
	// list could be read at all (false: "SSID not available").
	Wifi     []WifiIface
	WifiRead bool
}

// Choose fills dst (cleared first) with the attachment of each interface
// that has a default route: its preferred gateway (the IPv4 route of the
// lowest metric, else the IPv6 one) and that gateway's hardware address
// from the neighbour table. A gateway not resolved yet (no entry, or one
// still incomplete) leaves the interface on the unknown network until its
// entry appears: nothing is sent to find it.
func Choose(t Tables, dst map[string]usage.Attachment) {
	choose(t, dst, nil)
}

// choose is Choose that also appends each interface's chosen gateway to
// gws, resolved or not.
func choose(t Tables, dst map[string]usage.Attachment, gws []gatewayOf) []gatewayOf {
	clear(dst)
	best := map[uint32]Route{}
	for _, r := range t.Routes {
		if b, ok := best[r.Index]; !ok || better(r, b) {
			best[r.Index] = r
		}
	}
	for idx, r := range best {
		name, ok := t.Links[idx]
		if !ok {
			continue
		}
		a := usage.Attachment{Gateway: r.Gateway.String(), SSIDStatus: usage.SSIDNotAvailable}
		for _, n := range t.Neighbours {
			if n.Index == idx && n.IP == r.Gateway {
				a.GatewayMAC = n.MAC
				break
			}
		}
		gws = append(gws, gatewayOf{Index: idx, IP: r.Gateway, MAC: a.GatewayMAC})
		if !a.Known() {
			continue
		}
		if t.WifiRead {
			a.SSIDStatus = usage.SSIDWired
			for _, w := range t.Wifi {
				if w.Index == idx {
					a.SSID, a.SSIDStatus = w.SSID, usage.SSIDRead
					if w.SSID == "" {
						a.SSIDStatus = usage.SSIDNotAvailable
					}
				}
			}
		}
		dst[name] = a
	}
	return gws
}

// better reports whether r is preferred to b as an interface's gateway:
// IPv4 first (an IPv6 router's MAC is often the same box's), then the
// lower metric, then the lower address so the choice is stable.
func better(r, b Route) bool {
	if r.Gateway.Is4() != b.Gateway.Is4() {
		return r.Gateway.Is4()
	}
	if c := cmp.Compare(r.Metric, b.Metric); c != 0 {
		return c < 0
	}
	return r.Gateway.Less(b.Gateway)
}

// gatewayOf is an interface's chosen gateway, for telling which neighbour
// notifications matter.
type gatewayOf struct {
	Index uint32
	IP    netip.Addr
	MAC   string
}
