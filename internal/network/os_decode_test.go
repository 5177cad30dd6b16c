package network

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"testing"

	"github.com/packetbuddy/pb/internal/usage"
)

// The macOS and Windows tables below are built byte by byte from the SDK
// headers' layouts (<net/route.h>, <net/if_dl.h>; netioapi.h): there is no
// Mac or Windows machine to record them on. Each builder writes the
// fields at the documented offsets and nothing else.

// darwinMsg is one rt_msghdr with its socket addresses.
func darwinMsg(index uint16, flags uint32, sas ...[]byte) []byte {
	h := make([]byte, darwinRtMsghdrLen)
	h[2], h[3] = darwinRTMVersion, 4 // RTM_GET
	binary.LittleEndian.PutUint16(h[4:], index)
	binary.LittleEndian.PutUint32(h[8:], flags)
	var addrs uint32
	for i, sa := range sas {
		if sa == nil {
			continue
		}
		addrs |= 1 << i
		pad := 4
		if len(sa) > 0 {
			pad = 1 + ((len(sa) - 1) | 3)
		}
		h = append(h, sa...)
		h = append(h, make([]byte, pad-len(sa))...)
	}
	binary.LittleEndian.PutUint32(h[12:], addrs)
	binary.LittleEndian.PutUint16(h[0:], uint16(len(h)))
	return h
}

func sin(ip string) []byte {
	a := netip.MustParseAddr(ip).As4()
	b := make([]byte, 16)
	b[0], b[1] = 16, darwinAFInet
	copy(b[4:], a[:])
	return b
}

func sin6(ip string, scope byte) []byte {
	a := netip.MustParseAddr(ip).As16()
	a[3] = scope // KAME: the scope id embedded in a link-local address
	b := make([]byte, 28)
	b[0], b[1] = 28, darwinAFInet6
	copy(b[8:], a[:])
	return b
}

func sdl(index uint16, name string, mac string) []byte {
	hw, _ := net.ParseMAC(mac)
	b := []byte{0, darwinAFLink, 0, 0, 6, byte(len(name)), byte(len(hw)), 0}
	binary.LittleEndian.PutUint16(b[2:], index)
	b = append(b, name...)
	b = append(b, hw...)
	b[0] = byte(len(b))
	return b
}

func TestDarwinRouteTable(t *testing.T) {
	var tab []byte
	// Default route via 192.168.1.1 on en0 (index 4), the netmask a bare
	// length byte as macOS shortens it; a host route via a gateway (not
	// default); an IPv6 default route via fe80::1%en0.
	tab = append(tab, darwinMsg(4, darwinRTFGateway|0x1, sin("0.0.0.0"), sin("192.168.1.1"), []byte{0})...)
	tab = append(tab, darwinMsg(4, darwinRTFGateway|0x1, sin("10.9.0.0"), sin("192.168.1.254"), []byte{6, 2, 0, 0, 255, 255})...)
	tab = append(tab, darwinMsg(4, darwinRTFGateway|0x1, sin6("::", 0), sin6("fe80::1", 4), sin6("::", 0))...)
	// ARP entries: the gateway (resolved), one incomplete (no address).
	tab = append(tab, darwinMsg(4, darwinRTFLLInfo|0x1, sin("192.168.1.1"), sdl(4, "", "a4:91:b1:00:00:01"))...)
	tab = append(tab, darwinMsg(4, darwinRTFLLInfo|0x1, sin("192.168.1.77"), []byte{20, darwinAFLink, 4, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})...)
	routes, neighs, err := ParseDarwinRoutes(tab, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantR := []Route{{Index: 4, Gateway: netip.MustParseAddr("192.168.1.1")}, {Index: 4, Gateway: netip.MustParseAddr("fe80::1")}}
	wantN := []Neighbour{{Index: 4, IP: netip.MustParseAddr("192.168.1.1"), MAC: "a4:91:b1:00:00:01"}}
	if fmt.Sprint(routes) != fmt.Sprint(wantR) || fmt.Sprint(neighs) != fmt.Sprint(wantN) {
		t.Fatalf("routes %+v, neighbours %+v; want %+v, %+v", routes, neighs, wantR, wantN)
	}
	got := map[string]usage.Attachment{}
	Choose(Tables{Links: map[uint32]string{4: "en0"}, Routes: routes, Neighbours: neighs}, got)
	if a := got["en0"]; a.GatewayMAC != "a4:91:b1:00:00:01" || a.SSIDStatus != usage.SSIDNotAvailable || a.Fingerprint() != "gw=a4:91:b1:00:00:01" {
		t.Errorf("en0 = %+v: the gateway fingerprint alone, SSID not available", a)
	}
	if _, _, err := ParseDarwinRoutes(tab[:50], nil, nil); err == nil {
		t.Error("a truncated table parsed")
	}
}

// winSockaddrInet is a SOCKADDR_INET.
func winSockaddrInet(ip string) []byte {
	b := make([]byte, 28)
	a := netip.MustParseAddr(ip)
	if a.Is4() {
		binary.LittleEndian.PutUint16(b, winAFInet)
		v := a.As4()
		copy(b[4:], v[:])
	} else {
		binary.LittleEndian.PutUint16(b, winAFInet6)
		v := a.As16()
		copy(b[8:], v[:])
	}
	return b
}

func winTable(rowLen int, rows ...[]byte) []byte {
	b := make([]byte, winTableHeader)
	binary.LittleEndian.PutUint32(b, uint32(len(rows)))
	for _, r := range rows {
		b = append(b, r...)
	}
	return b
}

func winForwardRow(index uint32, prefix string, plen byte, nextHop string, metric uint32) []byte {
	r := make([]byte, winForwardRowLen)
	binary.LittleEndian.PutUint64(r[0:], 0x0006000001000000) // InterfaceLuid
	binary.LittleEndian.PutUint32(r[8:], index)
	copy(r[12:], winSockaddrInet(prefix))
	r[40] = plen
	copy(r[44:], winSockaddrInet(nextHop))
	binary.LittleEndian.PutUint32(r[84:], metric)
	return r
}

func winNetRow(index uint32, ip, mac string, state uint32) []byte {
	r := make([]byte, winNetRowLen)
	copy(r[0:], winSockaddrInet(ip))
	binary.LittleEndian.PutUint32(r[28:], index)
	hw, _ := net.ParseMAC(mac)
	copy(r[40:], hw)
	binary.LittleEndian.PutUint32(r[72:], uint32(len(hw)))
	binary.LittleEndian.PutUint32(r[76:], state)
	return r
}

func TestWindowsTables(t *testing.T) {
	fwd := winTable(winForwardRowLen,
		winForwardRow(12, "0.0.0.0", 0, "192.168.0.1", 25),   // Wi-Fi default route
		winForwardRow(12, "192.168.0.0", 24, "0.0.0.0", 281), // on-link
		winForwardRow(7, "0.0.0.0", 0, "10.0.0.1", 5),        // Ethernet default route
		winForwardRow(7, "::", 0, "fe80::1", 5),              // IPv6 default
		winForwardRow(1, "127.0.0.0", 8, "0.0.0.0", 331),     // loopback
	)
	routes, err := ParseWindowsForwardTable(fwd, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantR := []Route{{Index: 12, Gateway: netip.MustParseAddr("192.168.0.1"), Metric: 25}, {Index: 7, Gateway: netip.MustParseAddr("10.0.0.1"), Metric: 5}, {Index: 7, Gateway: netip.MustParseAddr("fe80::1"), Metric: 5}}
	if fmt.Sprint(routes) != fmt.Sprint(wantR) {
		t.Errorf("routes = %+v, want %+v", routes, wantR)
	}
	nets := winTable(winNetRowLen,
		winNetRow(12, "192.168.0.1", "f4:f2:6d:00:00:01", 5), // reachable
		winNetRow(7, "10.0.0.1", "00:00:00:00:00:00", 1),     // incomplete
		winNetRow(12, "192.168.0.9", "f4:f2:6d:00:00:09", 4), // stale
	)
	neighs, err := ParseWindowsNetTable(nets, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantN := []Neighbour{{Index: 12, IP: netip.MustParseAddr("192.168.0.1"), MAC: "f4:f2:6d:00:00:01"}, {Index: 12, IP: netip.MustParseAddr("192.168.0.9"), MAC: "f4:f2:6d:00:00:09"}}
	if fmt.Sprint(neighs) != fmt.Sprint(wantN) {
		t.Errorf("neighbours = %+v, want %+v", neighs, wantN)
	}
	got := map[string]usage.Attachment{}
	Choose(Tables{Links: map[uint32]string{12: "Wi-Fi", 7: "Ethernet"}, Routes: routes, Neighbours: neighs}, got)
	if a, ok := got["Wi-Fi"]; !ok || a.GatewayMAC != "f4:f2:6d:00:00:01" || a.SSIDStatus != usage.SSIDNotAvailable {
		t.Errorf("Wi-Fi = %+v", a)
	}
	if a, ok := got["Ethernet"]; ok {
		t.Errorf("Ethernet's gateway is not resolved, yet it is on %+v", a)
	}
	if _, err := ParseWindowsForwardTable(fwd[:100], nil); err == nil {
		t.Error("a truncated table parsed")
	}
}

func FuzzOSTables(f *testing.F) {
	f.Add(darwinMsg(4, darwinRTFGateway, sin("0.0.0.0"), sin("192.168.1.1"), []byte{0}))
	f.Add(winTable(winNetRowLen, winNetRow(12, "192.168.0.1", "f4:f2:6d:00:00:01", 5)))
	f.Fuzz(func(t *testing.T, b []byte) {
		ParseDarwinRoutes(b, nil, nil)
		ParseWindowsForwardTable(b, nil)
		ParseWindowsNetTable(b, nil)
	})
}
