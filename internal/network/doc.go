// Package network identifies the network each interface is attached to, by
// a fingerprint that stays the same from one visit to the next: the default
// gateway's hardware address from the neighbour table, plus the Wi-Fi SSID
// where the OS gives it without extra rights (usage.Attachment).
//
// On Linux a Source re-identifies only when the kernel says something that
// decides the answer may have changed: a link, an address, a route, or the
// neighbour entry of a gateway (rtnetlink notifications, drained without
// waiting once per poll: at rest that is one system call that finds
// nothing). The SSID comes from nl80211 over generic netlink. macOS reads
// the routing and ARP tables with the NET_RT_FLAGS sysctl, Windows with
// GetIpForwardTable2 and GetIpNetTable2; neither gives an SSID here, so
// their fingerprint is the gateway's alone ("SSID not available").
//
// The decoders of each OS's messages build and are tested on every OS
// (recorded and constructed fixtures in testdata); only the system calls
// are per OS.
package network
