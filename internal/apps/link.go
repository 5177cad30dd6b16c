package apps

// LinkHeader is the bytes an interface of the given kind (counter.Kind)
// counts for each packet before its network header: the Ethernet header on
// Ethernet, Wi-Fi (which Linux presents as Ethernet), veth, bridges and
// loopback; nothing on tunnels and cellular (raw IP) links. VLAN tags (4
// bytes) are not known here and end up unattributed.
func LinkHeader(kind string) uint64 {
	switch kind {
	case "ethernet", "wifi", "loopback", "virtual", "other":
		return 14
	}
	return 0
}
