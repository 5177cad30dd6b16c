package network

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// macOS routing-socket layouts (<net/route.h>, <net/if_dl.h>,
// <netinet/in.h>), spelled here so the decoder builds and is tested on
// every OS. Every macOS machine is little-endian.
const (
	darwinRtMsghdrLen = 92 // struct rt_msghdr
	darwinRTMVersion  = 5
	darwinRTFGateway  = 0x2
	darwinRTFLLInfo   = 0x400
	darwinAFInet      = 2
	darwinAFInet6     = 30
	darwinAFLink      = 18
	darwinRTAXDst     = 0 // sockaddr order: RTA_DST, RTA_GATEWAY, RTA_NETMASK, ...
	darwinRTAXGateway = 1
	darwinRTAXNetmask = 2
	darwinRTAXMax     = 8
)

// ParseDarwinRoutes parses the answer of the NET_RT_FLAGS sysctl (a run of
// rt_msghdr messages, each followed by the socket addresses its rtm_addrs
// names, each padded to 4 bytes): default routes with a gateway
// (RTF_GATEWAY, destination 0.0.0.0/0 or ::/0) become Routes, and
// neighbour entries (RTF_LLINFO with a link-layer gateway address) become
// Neighbours. Metric is 0: macOS orders default routes by service order,
// which the table alone does not tell.
func ParseDarwinRoutes(b []byte, routes []Route, neighs []Neighbour) ([]Route, []Neighbour, error) {
	le := binary.LittleEndian
	for off := 0; off < len(b); {
		if len(b)-off < 4 {
			return routes, neighs, fmt.Errorf("parse route table at byte %d: %d bytes left", off, len(b)-off)
		}
		n := int(le.Uint16(b[off:]))
		if n < darwinRtMsghdrLen || n > len(b)-off {
			return routes, neighs, fmt.Errorf("parse route table at byte %d: message length %d does not fit", off, n)
		}
		msg := b[off : off+n]
		off += n
		if msg[2] != darwinRTMVersion {
			continue
		}
		index := uint32(le.Uint16(msg[4:]))
		flags := le.Uint32(msg[8:])
		addrs := le.Uint32(msg[12:])
		var sa [darwinRTAXMax][]byte
		rest := msg[darwinRtMsghdrLen:]
		for i := 0; i < darwinRTAXMax && len(rest) > 0; i++ {
			if addrs&(1<<i) == 0 {
				continue
			}
			l := int(rest[0])
			step := 4
			if l > 0 {
				step = 1 + ((l - 1) | 3)
			}
			if l > len(rest) {
				return routes, neighs, fmt.Errorf("parse route table: socket address of %d bytes does not fit %d", l, len(rest))
			}
			sa[i] = rest[:l]
			rest = rest[min(step, len(rest)):]
		}
		switch {
		case flags&darwinRTFLLInfo != 0:
			ip, ok := darwinIP(sa[darwinRTAXDst])
			mac, idx := darwinLink(sa[darwinRTAXGateway])
			if ok && mac != nil && !allZero(mac) {
				if idx == 0 {
					idx = index
				}
				neighs = append(neighs, Neighbour{Index: idx, IP: ip, MAC: formatMAC(mac)})
			}
		case flags&darwinRTFGateway != 0:
			dst, ok := darwinIP(sa[darwinRTAXDst])
			gw, gok := darwinIP(sa[darwinRTAXGateway])
			if ok && gok && dst.IsUnspecified() && darwinMaskZero(sa[darwinRTAXNetmask]) {
				routes = append(routes, Route{Index: index, Gateway: gw})
			}
		}
	}
	return routes, neighs, nil
}

// darwinIP decodes a sockaddr_in or sockaddr_in6 (the KAME scope id that
// macOS embeds in a link-local address's second 16 bits is dropped).
func darwinIP(sa []byte) (netip.Addr, bool) {
	if len(sa) < 2 {
		return netip.Addr{}, false
	}
	switch sa[1] {
	case darwinAFInet:
		if len(sa) >= 8 {
			return netip.AddrFrom4([4]byte(sa[4:8])), true
		}
	case darwinAFInet6:
		if len(sa) >= 24 {
			a := [16]byte(sa[8:24])
			if a[0] == 0xfe && a[1]&0xc0 == 0x80 {
				a[2], a[3] = 0, 0
			}
			return netip.AddrFrom16(a), true
		}
	}
	return netip.Addr{}, false
}

// darwinLink decodes a sockaddr_dl: its hardware address and index.
func darwinLink(sa []byte) ([]byte, uint32) {
	// sdl_len, sdl_family, sdl_index u16, sdl_type, sdl_nlen, sdl_alen, sdl_slen, sdl_data
	if len(sa) < 8 || sa[1] != darwinAFLink {
		return nil, 0
	}
	nlen, alen := int(sa[5]), int(sa[6])
	if alen == 0 || 8+nlen+alen > len(sa) {
		return nil, 0
	}
	return sa[8+nlen : 8+nlen+alen], uint32(binary.LittleEndian.Uint16(sa[2:]))
}

// darwinMaskZero reports whether a route's netmask is /0: absent, or a
// sockaddr whose address bytes are all zero (macOS shortens masks, often
// to a bare length byte).
func darwinMaskZero(sa []byte) bool {
	if len(sa) <= 4 {
		return true
	}
	return allZero(sa[4:])
}
