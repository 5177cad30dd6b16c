package network

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// Windows IP Helper table layouts (netioapi.h, ws2ipdef.h), 64-bit and
// 32-bit alike (the rows hold a NET_LUID, so they are 8-byte aligned
// either way); Windows is little-endian on every architecture Go builds.
const (
	winTableHeader    = 8   // ULONG NumEntries, padded to the rows' alignment
	winForwardRowLen  = 104 // MIB_IPFORWARD_ROW2
	winNetRowLen      = 88  // MIB_IPNET_ROW2
	winAFInet         = 2
	winAFInet6        = 23
	winNlStateIncompl = 1 // NlnsIncomplete
	winNlStateUnreach = 0 // NlnsUnreachable
)

// winSockaddr decodes a SOCKADDR_INET (28 bytes).
func winSockaddr(b []byte) (netip.Addr, bool) {
	switch binary.LittleEndian.Uint16(b) {
	case winAFInet:
		return netip.AddrFrom4([4]byte(b[4:8])), true
	case winAFInet6:
		return netip.AddrFrom16([16]byte(b[8:24])), true
	}
	return netip.Addr{}, false
}

// ParseWindowsForwardTable parses a MIB_IPFORWARD_TABLE2 as
// GetIpForwardTable2 returns it (NumEntries, then the rows) and returns its
// default routes with a gateway: DestinationPrefix 0.0.0.0/0 or ::/0 and a
// NextHop that is not unspecified. Metric is the row's route metric.
func ParseWindowsForwardTable(b []byte, dst []Route) ([]Route, error) {
	rows, err := winRows(b, winForwardRowLen, "forward")
	if err != nil {
		return dst, err
	}
	le := binary.LittleEndian
	for _, r := range rows {
		// InterfaceLuid 0, InterfaceIndex 8, DestinationPrefix 12
		// (SOCKADDR_INET + PrefixLength at 40), NextHop 44, Metric 84.
		prefix, ok := winSockaddr(r[12:40])
		gw, gok := winSockaddr(r[44:72])
		if !ok || !gok || r[40] != 0 || !prefix.IsUnspecified() || gw.IsUnspecified() {
			continue
		}
		dst = append(dst, Route{Index: le.Uint32(r[8:]), Gateway: gw, Metric: le.Uint32(r[84:])})
	}
	return dst, nil
}

// ParseWindowsNetTable parses a MIB_IPNET_TABLE2 as GetIpNetTable2
// returns it and returns the entries with a usable hardware address (not
// unreachable, not incomplete).
func ParseWindowsNetTable(b []byte, dst []Neighbour) ([]Neighbour, error) {
	rows, err := winRows(b, winNetRowLen, "neighbour")
	if err != nil {
		return dst, err
	}
	le := binary.LittleEndian
	for _, r := range rows {
		// Address 0, InterfaceIndex 28, InterfaceLuid 32,
		// PhysicalAddress[32] 40, PhysicalAddressLength 72, State 76.
		ip, ok := winSockaddr(r[0:28])
		n := le.Uint32(r[72:])
		state := le.Uint32(r[76:])
		if !ok || n == 0 || n > 32 || state == winNlStateUnreach || state == winNlStateIncompl || allZero(r[40:40+n]) {
			continue
		}
		dst = append(dst, Neighbour{Index: le.Uint32(r[28:]), IP: ip, MAC: formatMAC(r[40 : 40+n])})
	}
	return dst, nil
}

func winRows(b []byte, rowLen int, what string) ([][]byte, error) {
	if len(b) < winTableHeader {
		return nil, fmt.Errorf("parse %s table: %d bytes, want at least %d", what, len(b), winTableHeader)
	}
	n := int(binary.LittleEndian.Uint32(b))
	if n > (len(b)-winTableHeader)/rowLen {
		return nil, fmt.Errorf("parse %s table: %d rows do not fit %d bytes", what, n, len(b))
	}
	rows := make([][]byte, n)
	for i := range rows {
		rows[i] = b[winTableHeader+i*rowLen : winTableHeader+(i+1)*rowLen]
	}
	return rows, nil
}
