package network

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"github.com/packetbuddy/pb/internal/counter"
)

// Netlink, rtnetlink, generic netlink and nl80211 numbers from
// include/uapi/linux/{netlink,rtnetlink,neighbour,genetlink,nl80211}.h.
// They are fixed by the kernel ABI and spelled here so that the decoders
// build (and are tested) on every OS.
const (
	nlmsgHdrLen = 16
	rtmsgLen    = 12 // struct rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type u8; flags u32
	ndmsgLen    = 12 // struct ndmsg: family u8, pad u8, pad u16, ifindex s32, state u16, flags u8, type u8
	genlHdrLen  = 4  // struct genlmsghdr: cmd u8, version u8, reserved u16

	nlmsgError   = 2
	nlmsgDone    = 3
	nlmFRequest  = 0x1
	nlmFDumpIntr = 0x10
	nlmFDump     = 0x300

	rtmNewLink  = 16
	rtmDelLink  = 17
	rtmNewAddr  = 20
	rtmDelAddr  = 21
	rtmNewRoute = 24
	rtmDelRoute = 25
	rtmGetRoute = 26
	rtmNewNeigh = 28
	rtmDelNeigh = 29
	rtmGetNeigh = 30

	rtaDst      = 1
	rtaOif      = 4
	rtaGateway  = 5
	rtaPriority = 6
	rtaTable    = 15

	rtTableMain = 254
	rtnUnicast  = 1

	ndaDst    = 1
	ndaLLAddr = 2

	nudIncomplete = 0x01
	nudFailed     = 0x20
	nudNoARP      = 0x40

	afInet  = 2
	afInet6 = 10

	// Multicast groups as bind(2) bits: 1 << (RTNLGRP_x - 1).
	groupLink      = 1             // RTNLGRP_LINK (1 << 0)
	groupNeigh     = 1 << (3 - 1)  // RTNLGRP_NEIGH
	groupIPv4Addr  = 1 << (5 - 1)  // RTNLGRP_IPV4_IFADDR
	groupIPv4Route = 1 << (7 - 1)  // RTNLGRP_IPV4_ROUTE
	groupIPv6Addr  = 1 << (9 - 1)  // RTNLGRP_IPV6_IFADDR
	groupIPv6Route = 1 << (11 - 1) // RTNLGRP_IPV6_ROUTE
	// Groups is every group whose messages may change an identification.
	Groups = groupLink | groupNeigh | groupIPv4Addr | groupIPv4Route | groupIPv6Addr | groupIPv6Route

	genlIDCtrl          = 16 // GENL_ID_CTRL
	ctrlCmdGetFamily    = 3
	ctrlAttrFamilyID    = 1
	ctrlAttrFamilyName  = 2
	nl80211CmdGetIface  = 5
	nl80211CmdNewIface  = 7
	nl80211AttrIfindex  = 3
	nl80211AttrIfname   = 4
	nl80211AttrSSID     = 52
	nl80211FamilyString = "nl80211"
)

// Route is a default route: the interface (ifindex) it leaves by, its
// gateway and its metric.
type Route struct {
	Index   uint32
	Gateway netip.Addr
	Metric  uint32
}

// Neighbour is a neighbour-table entry with a hardware address.
type Neighbour struct {
	Index uint32
	IP    netip.Addr
	MAC   string // lower-case, colon-separated
}

// KernelError is a request the kernel refused (NLMSG_ERROR): the counter
// reader's type, shared.
type KernelError = counter.KernelError

// ErrDumpInterrupted says the kernel flagged a dump as inconsistent (the
// table changed while it was taken); the caller dumps again.
var ErrDumpInterrupted = errors.New("netlink dump interrupted by a change; dump again")

// walk calls fn with each message of sequence number seq (any when seq is
// 0, as for notifications) in one datagram. done reports NLMSG_DONE.
func walk(data []byte, seq uint32, what string, fn func(typ uint16, msg []byte) error) (done bool, err error) {
	ne := binary.NativeEndian
	for off := 0; off < len(data); {
		if len(data)-off < nlmsgHdrLen {
			return false, fmt.Errorf("parse %s at byte %d: %d bytes left, want a %d-byte header", what, off, len(data)-off, nlmsgHdrLen)
		}
		n := int(ne.Uint32(data[off:]))
		if n < nlmsgHdrLen || n > len(data)-off {
			return false, fmt.Errorf("parse %s at byte %d: message length %d does not fit the %d bytes left", what, off, n, len(data)-off)
		}
		msg := data[off : off+n]
		off += align4(n)
		if seq != 0 && ne.Uint32(msg[8:]) != seq {
			continue
		}
		if seq != 0 && ne.Uint16(msg[6:])&nlmFDumpIntr != 0 {
			return false, ErrDumpInterrupted
		}
		switch typ := ne.Uint16(msg[4:]); typ {
		case nlmsgDone:
			return true, nil
		case nlmsgError:
			code := int32(0)
			if len(msg) >= nlmsgHdrLen+4 {
				code = int32(ne.Uint32(msg[nlmsgHdrLen:]))
			}
			if code == 0 { // an acknowledgement
				continue
			}
			return false, &KernelError{Dump: what, Errno: -code}
		default:
			if err := fn(typ, msg); err != nil {
				return false, err
			}
		}
	}
	return false, nil
}

// attrs calls fn with each attribute's type (flags dropped) and value.
func attrs(b []byte, what string, fn func(typ uint16, val []byte)) error {
	ne := binary.NativeEndian
	for len(b) >= 4 {
		n := int(ne.Uint16(b))
		if n < 4 || n > len(b) {
			return fmt.Errorf("parse %s: attribute length %d does not fit %d bytes", what, n, len(b))
		}
		fn(ne.Uint16(b[2:])&0x3fff, b[4:n])
		b = b[min(align4(n), len(b)):]
	}
	return nil
}

func align4(n int) int { return (n + 3) &^ 3 }

// ParseRoutes parses one datagram of the answer to an RTM_GETROUTE dump
// (or route notifications, seq 0) and appends the default routes of the
// main table that have a gateway: those decide which network an interface
// reaches the rest of the world through.
func ParseRoutes(data []byte, seq uint32, dst []Route) ([]Route, bool, error) {
	start := len(dst)
	done, err := walk(data, seq, "route dump", func(typ uint16, msg []byte) error {
		if typ != rtmNewRoute {
			return nil
		}
		if len(msg) < nlmsgHdrLen+rtmsgLen {
			return fmt.Errorf("parse route dump: RTM_NEWROUTE of %d bytes, too short", len(msg))
		}
		h := msg[nlmsgHdrLen:]
		family, dstLen, table, typ2 := h[0], h[1], uint32(h[4]), h[7]
		if dstLen != 0 || typ2 != rtnUnicast || (family != afInet && family != afInet6) {
			return nil
		}
		var r Route
		err := attrs(h[rtmsgLen:], "route", func(t uint16, v []byte) {
			switch t {
			case rtaTable:
				if len(v) >= 4 {
					table = binary.NativeEndian.Uint32(v)
				}
			case rtaOif:
				if len(v) >= 4 {
					r.Index = binary.NativeEndian.Uint32(v)
				}
			case rtaPriority:
				if len(v) >= 4 {
					r.Metric = binary.NativeEndian.Uint32(v)
				}
			case rtaGateway:
				if a, ok := netip.AddrFromSlice(v); ok {
					r.Gateway = a
				}
			}
		})
		if err != nil {
			return err
		}
		if table == rtTableMain && r.Index != 0 && r.Gateway.IsValid() {
			dst = append(dst, r)
		}
		return nil
	})
	if err != nil {
		return dst[:start], false, err
	}
	return dst, done, nil
}

// ParseNeighbours parses one datagram of the answer to an RTM_GETNEIGH
// dump and appends the entries that hold a usable hardware address (not
// incomplete, not failed, not NOARP).
func ParseNeighbours(data []byte, seq uint32, dst []Neighbour) ([]Neighbour, bool, error) {
	start := len(dst)
	done, err := walk(data, seq, "neighbour dump", func(typ uint16, msg []byte) error {
		if typ != rtmNewNeigh {
			return nil
		}
		n, ok, err := parseNeigh(msg)
		if err == nil && ok {
			dst = append(dst, n)
		}
		return err
	})
	if err != nil {
		return dst[:start], false, err
	}
	return dst, done, nil
}

func parseNeigh(msg []byte) (Neighbour, bool, error) {
	if len(msg) < nlmsgHdrLen+ndmsgLen {
		return Neighbour{}, false, fmt.Errorf("parse neighbour: message of %d bytes, too short", len(msg))
	}
	h := msg[nlmsgHdrLen:]
	ne := binary.NativeEndian
	n := Neighbour{Index: ne.Uint32(h[4:])}
	state := ne.Uint16(h[8:])
	var mac []byte
	err := attrs(h[ndmsgLen:], "neighbour", func(t uint16, v []byte) {
		switch t {
		case ndaDst:
			if a, ok := netip.AddrFromSlice(v); ok {
				n.IP = a
			}
		case ndaLLAddr:
			mac = v
		}
	})
	if err != nil || state&(nudIncomplete|nudFailed|nudNoARP) != 0 || !n.IP.IsValid() || len(mac) == 0 || allZero(mac) {
		return n, false, err
	}
	n.MAC = formatMAC(mac)
	return n, true, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func formatMAC(b []byte) string {
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 3*len(b))
	for i, c := range b {
		if i > 0 {
			out = append(out, ':')
		}
		out = append(out, hex[c>>4], hex[c&15])
	}
	return string(out)
}

// Change is what a datagram of notifications says: whether a link, an
// address or a route changed (any of which may change an identification),
// and which neighbour entries changed.
type Change struct {
	Topology   bool
	Neighbours []Neighbour // entries added or changed (with a usable address)
	NeighGone  []Neighbour // entries deleted or no longer usable (IP and Index only)
}

// ParseNotifications parses one datagram read from a socket subscribed to
// Groups, appending to c.
func ParseNotifications(data []byte, c *Change) error {
	_, err := walk(data, 0, "notification", func(typ uint16, msg []byte) error {
		switch typ {
		case rtmNewLink, rtmDelLink, rtmNewAddr, rtmDelAddr, rtmNewRoute, rtmDelRoute:
			c.Topology = true
		case rtmNewNeigh, rtmDelNeigh:
			n, ok, err := parseNeigh(msg)
			if err != nil {
				return err
			}
			if ok && typ == rtmNewNeigh {
				c.Neighbours = append(c.Neighbours, n)
			} else {
				c.NeighGone = append(c.NeighGone, Neighbour{Index: n.Index, IP: n.IP})
			}
		}
		return nil
	})
	return err
}

// request builds a netlink request: header, fixed part and attributes.
func request(typ, flags uint16, seq uint32, body []byte) []byte {
	b := make([]byte, nlmsgHdrLen+len(body))
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], uint32(len(b)))
	ne.PutUint16(b[4:], typ)
	ne.PutUint16(b[6:], flags)
	ne.PutUint32(b[8:], seq)
	copy(b[nlmsgHdrLen:], body)
	return b
}

func appendAttr(b []byte, typ uint16, val []byte) []byte {
	n := 4 + len(val)
	b = binary.NativeEndian.AppendUint16(b, uint16(n))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, val...)
	for range align4(n) - n {
		b = append(b, 0)
	}
	return b
}

// ParseFamilyID parses the controller's answer to familyRequest. An
// ENOENT answer means no nl80211 here (no Wi-Fi driver loaded).
func ParseFamilyID(data []byte, seq uint32) (uint16, error) {
	var id uint16
	_, err := walk(data, seq, "nl80211 family", func(typ uint16, msg []byte) error {
		if typ != genlIDCtrl || len(msg) < nlmsgHdrLen+genlHdrLen {
			return nil
		}
		return attrs(msg[nlmsgHdrLen+genlHdrLen:], "family", func(t uint16, v []byte) {
			if t == ctrlAttrFamilyID && len(v) >= 2 {
				id = binary.NativeEndian.Uint16(v)
			}
		})
	})
	if err != nil {
		return 0, err
	}
	if id == 0 {
		return 0, fmt.Errorf("nl80211 family: the answer has no family id")
	}
	return id, nil
}

// WifiIface is a wireless interface and the SSID it is connected to (""
// when it is not connected).
type WifiIface struct {
	Index uint32
	Name  string
	SSID  string
}

// ParseWifiIfaces parses one datagram of nl80211's answer to
// wifiDumpRequest (NL80211_CMD_NEW_INTERFACE messages).
func ParseWifiIfaces(data []byte, seq uint32, family uint16, dst []WifiIface) ([]WifiIface, bool, error) {
	start := len(dst)
	done, err := walk(data, seq, "nl80211 interface dump", func(typ uint16, msg []byte) error {
		if typ != family || len(msg) < nlmsgHdrLen+genlHdrLen || msg[nlmsgHdrLen] != nl80211CmdNewIface {
			return nil
		}
		var w WifiIface
		err := attrs(msg[nlmsgHdrLen+genlHdrLen:], "nl80211 interface", func(t uint16, v []byte) {
			switch t {
			case nl80211AttrIfindex:
				if len(v) >= 4 {
					w.Index = binary.NativeEndian.Uint32(v)
				}
			case nl80211AttrIfname:
				w.Name = cString(v)
			case nl80211AttrSSID:
				w.SSID = string(v)
			}
		})
		if err == nil && w.Index != 0 {
			dst = append(dst, w)
		}
		return err
	})
	if err != nil {
		return dst[:start], false, err
	}
	return dst, done, nil
}

func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
