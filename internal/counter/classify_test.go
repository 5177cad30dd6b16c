package counter

import "testing"

func TestClassifyName(t *testing.T) {
	tests := []struct {
		name string
		kind Kind
		ok   bool
	}{
		{"lo", KindLoopback, true},
		{"lo0", KindLoopback, true},
		{"lowpan0", KindOther, false},
		{"eth0", KindEthernet, true},
		{"enp3s0", KindEthernet, true},
		{"eno1", KindEthernet, true},
		{"enx00e04c680001", KindEthernet, true},
		{"en0", KindEthernet, true},
		{"usb0", KindEthernet, true},
		{"wlan0", KindWiFi, true},
		{"wlp2s0", KindWiFi, true},
		{"eth0.100", KindVirtual, true},
		{"wlan0.5", KindVirtual, true},
		{"wwan0", KindCellular, true},
		{"rmnet_data0", KindCellular, true},
		{"pdp_ip0", KindCellular, true},
		{"ccmni1", KindCellular, true},
		{"veth1a2b3c4", KindVirtual, true},
		{"docker0", KindVirtual, true},
		{"docker_gwbridge", KindVirtual, true},
		{"br-0123456789ab", KindVirtual, true},
		{"bridge0", KindVirtual, true},
		{"virbr0", KindVirtual, true},
		{"virbr0-nic", KindVirtual, true},
		{"vmnet8", KindVirtual, true},
		{"vboxnet0", KindVirtual, true},
		{"vnet3", KindVirtual, true},
		{"cni0", KindVirtual, true},
		{"flannel.1", KindVirtual, true},
		{"cali1234abcd", KindVirtual, true},
		{"cilium_host", KindVirtual, true},
		{"lxcbr0", KindVirtual, true},
		{"dummy0", KindVirtual, true},
		{"ifb0", KindVirtual, true},
		{"bond0", KindVirtual, true},
		{"awdl0", KindVirtual, true},
		{"llw0", KindVirtual, true},
		{"anpi0", KindVirtual, true},
		{"ap1", KindVirtual, true},
		{"tun0", KindTunnel, true},
		{"tunl0", KindTunnel, true},
		{"tap0", KindTunnel, true},
		{"wg0", KindTunnel, true},
		{"tailscale0", KindTunnel, true},
		{"utun3", KindTunnel, true},
		{"ppp0", KindTunnel, true},
		{"zt5u4xxxxx", KindTunnel, true},
		{"gif0", KindTunnel, true},
		{"stf0", KindTunnel, true},
		{"sit0", KindTunnel, true},
		{"gre0", KindTunnel, true},
		{"gretap0", KindTunnel, true},
		{"ip6tnl0", KindTunnel, true},
		{"ipsec0", KindTunnel, true},
		{"", KindOther, false},
		{"apple", KindOther, false},
		{"ap", KindOther, false},
		{"can0", KindOther, false},
		{"Ethernet", KindOther, false}, // Windows aliases are classified by type, not name
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kind, ok := ClassifyName(tc.name)
			if kind != tc.kind || ok != tc.ok {
				t.Errorf("ClassifyName(%q) = %q, %v; want %q, %v", tc.name, kind, ok, tc.kind, tc.ok)
			}
		})
	}
}

func TestFormatMAC(t *testing.T) {
	tests := []struct {
		in   []byte
		want string
	}{
		{[]byte{0xaa, 0xBB, 0x0c, 0, 0x01, 0xff}, "aa:bb:0c:00:01:ff"},
		{[]byte{0, 0, 0, 0, 0, 0}, ""},
		{[]byte{1, 2, 3, 4}, ""},
		{nil, ""},
	}
	for _, tc := range tests {
		if got := formatMAC(tc.in); got != tc.want {
			t.Errorf("formatMAC(% x) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestNormalizeMAC(t *testing.T) {
	tests := []struct{ in, want string }{
		{"52:54:00:AB:cd:EF\n", "52:54:00:ab:cd:ef"},
		{"00:00:00:00:00:00\n", ""},
		{"00:00:00:00\n", ""}, // sit: an IPv4 address, not a MAC
		{"", ""},
		{"80:00:02:08:fe:80:00:00:00:00:00:00:00:11:22:33:44:55:66:77", ""}, // InfiniBand
		{"52-54-00-ab-cd-ef", ""},
		{"52:54:00:ab:cd:eg", ""},
	}
	for _, tc := range tests {
		if got := normalizeMAC(tc.in); got != tc.want {
			t.Errorf("normalizeMAC(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
