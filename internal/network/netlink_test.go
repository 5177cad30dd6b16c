package network

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/packetbuddy/pb/internal/counter"
	"github.com/packetbuddy/pb/internal/usage"
)

// linuxExpected is what the recorded Linux fixtures decode to.
type linuxExpected struct {
	Iface           string `json:"iface"`
	Index           uint32 `json:"index"`
	Gateway         string `json:"gateway"`
	GatewayMAC      string `json:"gateway_mac"`
	OtherGateway    string `json:"other_gateway"`
	OtherGatewayMAC string `json:"other_gateway_mac"`
}

// fixtureSeq is the sequence number of each recorded dump.
var fixtureSeq = map[string]uint32{"route_dump": 1, "neigh_dump": 2, "link_dump": 3}

func littleEndian(t *testing.T) {
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("the netlink fixtures were recorded on a little-endian machine")
	}
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "linux", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestLinuxRecordedDumps decodes route, neighbour and link dumps recorded
// from a client namespace with two gateways (TestRecordLinuxFixtures), and
// chooses the network from them.
func TestLinuxRecordedDumps(t *testing.T) {
	littleEndian(t)
	var exp linuxExpected
	if err := json.Unmarshal(readFixture(t, "expected.json"), &exp); err != nil {
		t.Fatal(err)
	}
	routes, done, err := ParseRoutes(readFixture(t, "route_dump.bin"), fixtureSeq["route_dump"], nil)
	if err != nil || !done {
		t.Fatalf("ParseRoutes: done %v, %v", done, err)
	}
	want := []Route{{Index: exp.Index, Gateway: netip.MustParseAddr(exp.Gateway)}}
	if fmt.Sprint(routes) != fmt.Sprint(want) {
		t.Errorf("routes = %+v, want %+v (only the main table's default route)", routes, want)
	}
	neighs, done, err := ParseNeighbours(readFixture(t, "neigh_dump.bin"), fixtureSeq["neigh_dump"], nil)
	if err != nil || !done {
		t.Fatalf("ParseNeighbours: done %v, %v", done, err)
	}
	found := map[string]string{}
	for _, n := range neighs {
		if n.Index == exp.Index {
			found[n.IP.String()] = n.MAC
		}
	}
	if found[exp.Gateway] != exp.GatewayMAC || found[exp.OtherGateway] != exp.OtherGatewayMAC {
		t.Errorf("neighbours of %s = %v, want %s at %s and %s at %s", exp.Iface, found, exp.GatewayMAC, exp.Gateway, exp.OtherGatewayMAC, exp.OtherGateway)
	}
	links, _, err := counter.ParseLinkDump(readFixture(t, "link_dump.bin"), fixtureSeq["link_dump"], nil)
	if err != nil {
		t.Fatal(err)
	}
	tab := Tables{Links: map[uint32]string{}, Routes: routes, Neighbours: neighs}
	for _, l := range links {
		tab.Links[l.Index] = l.Name
	}
	got := map[string]usage.Attachment{}
	Choose(tab, got)
	wantAtt := map[string]usage.Attachment{exp.Iface: {Gateway: exp.Gateway, GatewayMAC: exp.GatewayMAC, SSIDStatus: usage.SSIDNotAvailable}}
	if fmt.Sprint(got) != fmt.Sprint(wantAtt) {
		t.Errorf("Choose = %+v, want %+v", got, wantAtt)
	}
	if fp := got[exp.Iface].Fingerprint(); fp != "gw="+exp.GatewayMAC {
		t.Errorf("fingerprint = %q", fp)
	}
	// The notifications of a route change and an ARP exchange.
	var c Change
	if err := ParseNotifications(readFixture(t, "notify.bin"), &c); err != nil {
		t.Fatal(err)
	}
	if !c.Topology {
		t.Error("a recorded route change is not seen as a topology change")
	}
	seen := false
	for _, n := range c.Neighbours {
		seen = seen || (n.Index == exp.Index && n.IP.String() == exp.Gateway && n.MAC == exp.GatewayMAC)
	}
	if !seen {
		t.Errorf("no notification resolves gateway %s to %s: %+v", exp.Gateway, exp.GatewayMAC, c.Neighbours)
	}
}

// nlmsg builds a netlink message (for fixtures of what cannot be recorded
// here).
func nlmsg(typ, flags uint16, seq uint32, fixed []byte, attrs ...[]byte) []byte {
	body := append([]byte(nil), fixed...)
	for _, a := range attrs {
		body = append(body, a...)
	}
	return request(typ, flags, seq, body)
}

func attr(typ uint16, val []byte) []byte { return appendAttr(nil, typ, val) }

func u32(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }

// TestNl80211Decode decodes the controller's and nl80211's answers, built
// from the kernel's nl80211.h layout (there is no Wi-Fi device on the
// machines these tests run on to record from): the SSID of a connected
// station, none for a disconnected one.
func TestNl80211Decode(t *testing.T) {
	fam := nlmsg(genlIDCtrl, 0, 7, []byte{1, 2, 0, 0},
		attr(ctrlAttrFamilyName, []byte("nl80211\x00")), attr(ctrlAttrFamilyID, []byte{0x1c, 0, 0, 0}))
	id, err := ParseFamilyID(fam, 7)
	if err != nil || id != binary.NativeEndian.Uint16([]byte{0x1c, 0}) {
		t.Fatalf("ParseFamilyID = %d, %v", id, err)
	}
	enoent := nlmsg(nlmsgError, 0, 8, u32(uint32(0xfffffffe))) // -ENOENT: no nl80211 here
	var ke *KernelError
	if _, err := ParseFamilyID(enoent, 8); !errors.As(err, &ke) || ke.Errno != 2 {
		t.Errorf("ENOENT answer: %v", err)
	}
	dumpAns := append(nlmsg(id, 2, 9, []byte{nl80211CmdNewIface, 1, 0, 0},
		attr(nl80211AttrIfindex, u32(3)), attr(nl80211AttrIfname, []byte("wlp2s0\x00")), attr(nl80211AttrSSID, []byte("Pixel hotspot"))),
		nlmsg(id, 2, 9, []byte{nl80211CmdNewIface, 1, 0, 0}, attr(nl80211AttrIfindex, u32(5)), attr(nl80211AttrIfname, []byte("wlan1\x00")))...)
	dumpAns = append(dumpAns, nlmsg(nlmsgDone, 2, 9, u32(0))...)
	ws, done, err := ParseWifiIfaces(dumpAns, 9, id, nil)
	want := []WifiIface{{Index: 3, Name: "wlp2s0", SSID: "Pixel hotspot"}, {Index: 5, Name: "wlan1"}}
	if err != nil || !done || fmt.Sprint(ws) != fmt.Sprint(want) {
		t.Fatalf("ParseWifiIfaces = %+v, %v, %v; want %+v", ws, done, err, want)
	}
	// With routes through both, the connected one carries its SSID.
	tab := Tables{
		Links:      map[uint32]string{3: "wlp2s0", 5: "wlan1", 2: "eth0"},
		Routes:     []Route{{Index: 3, Gateway: netip.MustParseAddr("10.0.0.1")}, {Index: 5, Gateway: netip.MustParseAddr("10.1.0.1")}, {Index: 2, Gateway: netip.MustParseAddr("192.168.1.1"), Metric: 100}},
		Neighbours: []Neighbour{{Index: 3, IP: netip.MustParseAddr("10.0.0.1"), MAC: "aa:00:00:00:00:01"}, {Index: 5, IP: netip.MustParseAddr("10.1.0.1"), MAC: "aa:00:00:00:00:02"}, {Index: 2, IP: netip.MustParseAddr("192.168.1.1"), MAC: "aa:00:00:00:00:03"}},
		Wifi:       ws, WifiRead: true,
	}
	got := map[string]usage.Attachment{}
	Choose(tab, got)
	if a := got["wlp2s0"]; a.SSID != "Pixel hotspot" || a.SSIDStatus != usage.SSIDRead || a.Fingerprint() != "ssid=Pixel hotspot;gw=aa:00:00:00:00:01" {
		t.Errorf("wlp2s0 = %+v", a)
	}
	if a := got["wlan1"]; a.SSIDStatus != usage.SSIDNotAvailable || a.Fingerprint() != "gw=aa:00:00:00:00:02" {
		t.Errorf("wlan1 = %+v", a)
	}
	if a := got["eth0"]; a.SSIDStatus != usage.SSIDWired {
		t.Errorf("eth0 = %+v", a)
	}
}

// TestChoosePrefersIPv4AndLowMetric checks the gateway choice and that an
// unresolved gateway leaves the interface on the unknown network.
func TestChoosePrefersIPv4AndLowMetric(t *testing.T) {
	tab := Tables{
		Links: map[uint32]string{2: "eth0", 3: "wlan0"},
		Routes: []Route{
			{Index: 2, Gateway: netip.MustParseAddr("fe80::1"), Metric: 1},
			{Index: 2, Gateway: netip.MustParseAddr("192.168.1.254"), Metric: 600},
			{Index: 2, Gateway: netip.MustParseAddr("192.168.1.1"), Metric: 100},
			{Index: 3, Gateway: netip.MustParseAddr("10.0.0.1")},
		},
		Neighbours: []Neighbour{
			{Index: 2, IP: netip.MustParseAddr("fe80::1"), MAC: "aa:00:00:00:00:06"},
			{Index: 2, IP: netip.MustParseAddr("192.168.1.1"), MAC: "aa:00:00:00:00:01"},
			{Index: 3, IP: netip.MustParseAddr("10.0.0.2"), MAC: "aa:00:00:00:00:02"}, // not the gateway
		},
	}
	got := map[string]usage.Attachment{"stale": {GatewayMAC: "x"}}
	Choose(tab, got)
	want := map[string]usage.Attachment{"eth0": {Gateway: "192.168.1.1", GatewayMAC: "aa:00:00:00:00:01", SSIDStatus: usage.SSIDNotAvailable}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Choose = %+v, want %+v", got, want)
	}
}

func FuzzParseNotifications(f *testing.F) {
	f.Add(nlmsg(rtmNewNeigh, 0, 0, make([]byte, ndmsgLen), attr(ndaDst, []byte{10, 0, 0, 1}), attr(ndaLLAddr, []byte{1, 2, 3, 4, 5, 6})))
	f.Fuzz(func(t *testing.T, b []byte) {
		var c Change
		ParseNotifications(b, &c)
		ParseRoutes(b, 0, nil)
		ParseNeighbours(b, 0, nil)
		ParseWifiIfaces(b, 0, 0x1c, nil)
	})
}
