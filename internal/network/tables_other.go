//go:build darwin || windows

package network

import "net"

// linkNames names the interfaces of routes by index (for the OSes whose
// tables carry indexes only).
func linkNames(routes []Route) map[uint32]string {
	out := map[uint32]string{}
	for _, r := range routes {
		if ifi, err := net.InterfaceByIndex(int(r.Index)); err == nil {
			out[r.Index] = ifi.Name
		}
	}
	return out
}

// unresolved reports whether a chosen gateway has no hardware address yet
// (the OSes without neighbour notifications look again now and then).
func unresolved(gws []gatewayOf) bool {
	for _, g := range gws {
		if g.MAC == "" {
			return true
		}
	}
	return false
}
