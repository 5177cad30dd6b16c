package counter

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// windowsTable is what GetIfTable2Ex(MibIfTableNormal) returns on a typical
// laptop with Hyper-V, WireGuard and an Npcap install: every adapter, plus
// one row per NDIS filter module bound to it, each repeating its bytes.
func windowsTable() []winRow {
	mac := []byte{0x3c, 0x52, 0x82, 0x11, 0x22, 0x33}
	wifiMAC := []byte{0x8c, 0xc6, 0x81, 0xaa, 0xbb, 0xcc}
	const hw, filter = winFlagHardware, winFlagFilter
	const connector = 0x04
	return []winRow{
		{LUID: 1, Index: 1, Alias: "Loopback Pseudo-Interface 1", Description: "Software Loopback Interface 1", Type: 24, OperStatus: 1},
		{LUID: 2, Index: 7, Alias: "Ethernet", Description: "Intel(R) Ethernet Connection (7) I219-V", Type: 6, Flags: hw | connector, OperStatus: 1,
			PhysicalMediumType: 14, PhysAddr: mac, TransmitLinkSpeed: 1_000_000_000, InOctets: 5 << 32, OutOctets: 1 << 30},
		{LUID: 3, Index: 21, Alias: "Ethernet-WFP Native MAC Layer LightWeight Filter-0000", Description: "Intel(R) Ethernet Connection (7) I219-V-WFP Native MAC Layer LightWeight Filter-0000",
			Type: 6, Flags: filter, OperStatus: 1, PhysAddr: mac, InOctets: 5 << 32, OutOctets: 1 << 30},
		{LUID: 4, Index: 22, Alias: "Ethernet-QoS Packet Scheduler-0000", Description: "Intel(R) Ethernet Connection (7) I219-V-QoS Packet Scheduler-0000",
			Type: 6, Flags: filter, OperStatus: 1, PhysAddr: mac, InOctets: 5 << 32, OutOctets: 1 << 30},
		// A filter row whose driver left FilterInterface clear: caught by
		// its alias.
		{LUID: 5, Index: 23, Alias: "Ethernet-Npcap Packet Driver (NPCAP)-0000", Description: "Intel(R) Ethernet Connection (7) I219-V-Npcap Packet Driver (NPCAP)-0000",
			Type: 6, OperStatus: 1, PhysAddr: mac, InOctets: 5 << 32, OutOctets: 1 << 30},
		{LUID: 6, Index: 12, Alias: "Wi-Fi", Description: "Intel(R) Wi-Fi 6 AX201 160MHz", Type: 71, Flags: hw | connector, OperStatus: 1,
			PhysicalMediumType: 9, PhysAddr: wifiMAC, TransmitLinkSpeed: 866_700_000, InOctets: 123456789, OutOctets: 98765},
		{LUID: 7, Index: 24, Alias: "Wi-Fi-Native WiFi Filter Driver-0000", Description: "Intel(R) Wi-Fi 6 AX201 160MHz-Native WiFi Filter Driver-0000",
			Type: 71, Flags: filter, OperStatus: 1, InOctets: 123456789, OutOctets: 98765},
		{LUID: 8, Index: 25, Alias: "Wi-Fi-WFP 802.3 MAC Layer LightWeight Filter-0000", Description: "x",
			Type: 71, Flags: filter, OperStatus: 1, InOctets: 123456789, OutOctets: 98765},
		{LUID: 9, Index: 15, Alias: "Local Area Connection* 1", Description: "Microsoft Wi-Fi Direct Virtual Adapter", Type: 71, OperStatus: 2},
		{LUID: 10, Index: 30, Alias: "vEthernet (Default Switch)", Description: "Hyper-V Virtual Ethernet Adapter", Type: 6, OperStatus: 1, InOctets: 4096, OutOctets: 8192},
		{LUID: 11, Index: 31, Alias: "WireGuard Tunnel", Description: "WireGuard Tunnel", Type: 53, OperStatus: 1, InOctets: 1 << 20, OutOctets: 1 << 19},
		{LUID: 12, Index: 32, Alias: "Cellular", Description: "Qualcomm Snapdragon X55 5G", Type: 243, Flags: hw, OperStatus: 1, InOctets: 42, OutOctets: 43},
		{LUID: 13, Index: 4, Alias: "Teredo Tunneling Pseudo-Interface", Description: "Teredo Tunneling Pseudo-Interface", Type: 131, OperStatus: 1},
		{LUID: 14, Index: 5, Alias: "", Description: "WAN Miniport (IP)", Type: 6, OperStatus: 1},
		{LUID: 15, Index: 6, Alias: "", Description: "", Type: 1, OperStatus: 1},
		// A removed USB adapter Windows still lists.
		{LUID: 16, Index: 40, Alias: "Ethernet 2", Description: "ASIX AX88179 USB 3.0 to Gigabit Ethernet Adapter", Type: 6, Flags: hw, OperStatus: winOperNotPresent},
		// The same LUID twice must not count twice.
		{LUID: 2, Index: 7, Alias: "Ethernet", Type: 6, Flags: hw, OperStatus: 1, InOctets: 5 << 32, OutOctets: 1 << 30},
		// Two rows with one alias keep distinct names.
		{LUID: 17, Index: 41, Alias: "Wi-Fi", Description: "other", Type: 6, Flags: hw, OperStatus: 1, InOctets: 1, OutOctets: 2},
		{LUID: 18, Index: 42, Alias: "Remote NDIS", Description: "Remote NDIS based Internet Sharing Device", Type: 6, Flags: hw, OperStatus: 1,
			PhysicalMediumType: 0, InOctets: 10, OutOctets: 20},
	}
}

func TestSelectWinRows(t *testing.T) {
	s := newWinSelector()
	got := selectWinRows(s, windowsTable())
	want := []Counter{
		{Name: "Loopback Pseudo-Interface 1", Index: 1, RxBytes: 0, TxBytes: 0},
		{Name: "Ethernet", Index: 7, RxBytes: 5 << 32, TxBytes: 1 << 30},
		{Name: "Wi-Fi", Index: 12, RxBytes: 123456789, TxBytes: 98765},
		{Name: "Local Area Connection* 1", Index: 15, RxBytes: 0, TxBytes: 0},
		{Name: "vEthernet (Default Switch)", Index: 30, RxBytes: 4096, TxBytes: 8192},
		{Name: "WireGuard Tunnel", Index: 31, RxBytes: 1 << 20, TxBytes: 1 << 19},
		{Name: "Cellular", Index: 32, RxBytes: 42, TxBytes: 43},
		{Name: "Teredo Tunneling Pseudo-Interface", Index: 4, RxBytes: 0, TxBytes: 0},
		{Name: "WAN Miniport (IP)", Index: 5, RxBytes: 0, TxBytes: 0},
		{Name: "if6", Index: 6, RxBytes: 0, TxBytes: 0},
		{Name: "Wi-Fi #41", Index: 41, RxBytes: 1, TxBytes: 2},
		{Name: "Remote NDIS", Index: 42, RxBytes: 10, TxBytes: 20},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("selectWinRows (-want +got):\n%s", diff)
	}
	// The next poll reuses the selector: nothing from the first table may
	// leak into it (no " #7" suffixes, no rows dropped as duplicates).
	if diff := cmp.Diff(want, selectWinRows(s, windowsTable())); diff != "" {
		t.Errorf("second table (-want +got):\n%s", diff)
	}
}

func TestWinInfo(t *testing.T) {
	rows := windowsTable()
	kinds := map[string]Kind{}
	s := newWinSelector()
	for i := range rows {
		name, ok := s.pick(&rows[i])
		if !ok {
			continue
		}
		info := winInfo(&rows[i], name)
		kinds[name] = info.Kind
		if info.Bits != 64 || info.Name != name {
			t.Errorf("winInfo(%q) = %+v", name, info)
		}
		switch name {
		case "Ethernet":
			want := Info{Name: "Ethernet", MAC: "3c:52:82:11:22:33", Kind: KindEthernet, SpeedBits: 1_000_000_000, Bits: 64}
			if diff := cmp.Diff(want, info); diff != "" {
				t.Errorf("winInfo(Ethernet) (-want +got):\n%s", diff)
			}
		case "Wi-Fi":
			if info.MAC != "8c:c6:81:aa:bb:cc" || info.SpeedBits != 866_700_000 {
				t.Errorf("winInfo(Wi-Fi) = %+v", info)
			}
		}
	}
	want := map[string]Kind{
		"Loopback Pseudo-Interface 1":       KindLoopback,
		"Ethernet":                          KindEthernet,
		"Wi-Fi":                             KindWiFi,
		"Local Area Connection* 1":          KindVirtual,
		"vEthernet (Default Switch)":        KindVirtual,
		"WireGuard Tunnel":                  KindTunnel,
		"Cellular":                          KindCellular,
		"Teredo Tunneling Pseudo-Interface": KindTunnel,
		"WAN Miniport (IP)":                 KindVirtual,
		"if6":                               KindOther,
		"Wi-Fi #41":                         KindEthernet,
		"Remote NDIS":                       KindEthernet,
	}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("kinds (-want +got):\n%s", diff)
	}
}

func TestWinKind(t *testing.T) {
	for _, tc := range []struct {
		name string
		row  winRow
		want Kind
	}{
		{"ppp", winRow{Type: 23, Flags: winFlagHardware}, KindTunnel},
		{"wwanpp2", winRow{Type: 244}, KindCellular},
		{"ethernet modem", winRow{Type: 6, Flags: winFlagHardware, PhysicalMediumType: ndisMediumWirelessWAN}, KindCellular},
		{"ethernet-typed wifi", winRow{Type: 6, Flags: winFlagHardware, PhysicalMediumType: ndisMediumNative80211}, KindWiFi},
		{"tap-windows", winRow{Type: 6, Flags: winFlagHardware, Description: "TAP-Windows Adapter V9"}, KindTunnel},
		{"tailscale", winRow{Type: 53, Alias: "Tailscale", Description: "Tailscale Tunnel"}, KindTunnel},
		{"prop virtual", winRow{Type: 53, Description: "Some Virtual Thing"}, KindVirtual},
		{"vmware", winRow{Type: 6, Flags: winFlagHardware, Description: "VMware Virtual Ethernet Adapter for VMnet8"}, KindVirtual},
		{"unknown type, known name", winRow{Type: 1, Alias: "wg0"}, KindTunnel},
		{"unknown", winRow{Type: 1, Alias: "Thing"}, KindOther},
	} {
		if got := winKind(&tc.row); got != tc.want {
			t.Errorf("%s: winKind = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestWinFilterAlias(t *testing.T) {
	for alias, want := range map[string]bool{
		"Ethernet-WFP Native MAC Layer LightWeight Filter-0000": true,
		"Ethernet 2-QoS Packet Scheduler-0001":                  true,
		"Wi-Fi-Virtual WiFi Filter Driver-000A":                 true,
		"Ethernet":                                              false,
		"Wi-Fi":                                                 false,
		"Lab-1234":                                              false, // no filter word
		"Filter-Room-12345":                                     false,
		"":                                                      false,
	} {
		if got := winFilterAlias(alias); got != want {
			t.Errorf("winFilterAlias(%q) = %v, want %v", alias, got, want)
		}
	}
}

func TestWinInfoSpeed(t *testing.T) {
	for _, tc := range []struct {
		speed, want uint64
	}{
		{0, 0},
		{^uint64(0), 0},
		{10_000_000_000, 10_000_000_000},
	} {
		if got := winInfo(&winRow{Type: 6, TransmitLinkSpeed: tc.speed}, "x").SpeedBits; got != tc.want {
			t.Errorf("TransmitLinkSpeed %d: SpeedBits = %d, want %d", tc.speed, got, tc.want)
		}
	}
}
