package counter

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestClassifyLinux(t *testing.T) {
	ether := func(dev bool) linuxAttrs { return linuxAttrs{Type: arphrdEther, HasDevice: dev} }
	tests := []struct {
		name  string
		attrs linuxAttrs
		want  Kind
	}{
		{"lo", linuxAttrs{Type: arphrdLoopback}, KindLoopback},
		{"eth0", ether(true), KindEthernet},
		{"enp3s0", ether(true), KindEthernet},
		{"eth0", ether(false), KindEthernet}, // inside a container: a veth, but the only uplink
		{"mystery0", ether(true), KindEthernet},
		{"mystery0", ether(false), KindVirtual}, // no device behind it
		{"veth1a2b3c4", ether(false), KindVirtual},
		{"vethbad", ether(true), KindVirtual}, // the name wins among Ethernet-typed links
		{"dummy0", ether(false), KindVirtual},
		{"docker0", linuxAttrs{Type: arphrdEther, DevType: "bridge"}, KindVirtual},
		{"lan", linuxAttrs{Type: arphrdEther, DevType: "bridge"}, KindVirtual},
		{"bond0", linuxAttrs{Type: arphrdEther, DevType: "bond"}, KindVirtual},
		{"eth0.100", linuxAttrs{Type: arphrdEther, DevType: "vlan"}, KindVirtual},
		{"wlan0", linuxAttrs{Type: arphrdEther, DevType: "wlan", HasDevice: true}, KindWiFi},
		{"wlp2s0", linuxAttrs{Type: arphrdEther, Wireless: true, HasDevice: true}, KindWiFi},
		{"odd0", linuxAttrs{Type: arphrdEther, Wireless: true}, KindWiFi},
		{"mon0", linuxAttrs{Type: arphrdIEEE80211Radiotap}, KindWiFi},
		{"wwan0", linuxAttrs{Type: arphrdNone, DevType: "wwan"}, KindCellular},
		{"wwan0", linuxAttrs{Type: arphrdNone}, KindCellular}, // mhi_net without DEVTYPE: the name says modem
		{"wwp0s20f0u6", linuxAttrs{Type: arphrdEther, HasDevice: true, Driver: "qmi_wwan"}, KindCellular},
		{"rmnet_data0", linuxAttrs{Type: arphrdRawIP}, KindCellular},
		{"usb0", linuxAttrs{Type: arphrdEther, HasDevice: true, Driver: "rndis_host"}, KindEthernet},
		{"enx00e04c680001", linuxAttrs{Type: arphrdEther, HasDevice: true, Driver: "cdc_ether"}, KindEthernet},
		{"wg0", linuxAttrs{Type: arphrdNone, DevType: "wireguard"}, KindTunnel},
		{"tailscale0", linuxAttrs{Type: arphrdNone}, KindTunnel},
		{"tun0", linuxAttrs{Type: arphrdNone, DevType: "tuntap"}, KindTunnel},
		{"tap0", linuxAttrs{Type: arphrdEther, DevType: "tuntap"}, KindTunnel},
		{"ppp0", linuxAttrs{Type: arphrdPPP}, KindTunnel},
		{"sit0", linuxAttrs{Type: arphrdSit}, KindTunnel},
		{"tunl0", linuxAttrs{Type: arphrdTunnel}, KindTunnel},
		{"gre0", linuxAttrs{Type: arphrdIPGRE}, KindTunnel},
		{"ip6gre0", linuxAttrs{Type: arphrdIP6GRE}, KindTunnel},
		{"ib0", linuxAttrs{Type: 32, HasDevice: true}, KindOther},
		{"can0", linuxAttrs{Type: 280}, KindOther},
		{"eth9", linuxAttrs{Type: -1}, KindEthernet}, // unreadable type: the name decides
		{"x", linuxAttrs{Type: -1}, KindOther},
	}
	for _, tc := range tests {
		got := classifyLinux(tc.name, tc.attrs)
		if got.Kind != tc.want {
			t.Errorf("classifyLinux(%q, %+v).Kind = %q, want %q", tc.name, tc.attrs, got.Kind, tc.want)
		}
		if got.Name != tc.name {
			t.Errorf("classifyLinux(%q).Name = %q", tc.name, got.Name)
		}
	}
}

func TestClassifyLinuxFields(t *testing.T) {
	got := classifyLinux("eth0", linuxAttrs{Type: arphrdEther, HasDevice: true, Address: "52:54:00:AB:CD:EF\n", SpeedMbps: 2500})
	want := Info{Name: "eth0", MAC: "52:54:00:ab:cd:ef", Kind: KindEthernet, SpeedBits: 2_500_000_000, Bits: nativeBits}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Info (-want +got):\n%s", diff)
	}
}

// TestLinuxReaderFixture runs the whole Linux reader on the fake /proc and
// /sys trees in testdata.
func TestLinuxReaderFixture(t *testing.T) {
	r := newLinuxReader("testdata/proc", "testdata/sys")
	got, err := r.Read(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 7 || got[0].Name != "lo" || got[6] != (Counter{Name: "eth1", RxBytes: 4294967296, TxBytes: 17179869184}) {
		t.Errorf("Read = %+v", got)
	}

	tests := []Info{
		{Name: "lo", Kind: KindLoopback},
		{Name: "eth0", MAC: "52:54:00:ab:cd:ef", Kind: KindEthernet, SpeedBits: 1_000_000_000},
		{Name: "wlan0", MAC: "a4:c3:f0:11:22:33", Kind: KindWiFi},
		{Name: "docker0", MAC: "02:42:ac:11:00:01", Kind: KindVirtual},
		{Name: "veth1a2b3c4", MAC: "ee:44:55:66:77:88", Kind: KindVirtual, SpeedBits: 10_000_000_000},
		{Name: "wg0", Kind: KindTunnel},
		{Name: "eth1", MAC: "02:42:ac:11:00:02", Kind: KindEthernet, SpeedBits: 10_000_000_000},
		{Name: "usb0", MAC: "d2:9f:2a:00:11:22", Kind: KindEthernet},
		{Name: "wwan0", Kind: KindCellular},
		{Name: "tun0", Kind: KindTunnel},
		{Name: "dummy0", MAC: "6a:3b:00:00:00:01", Kind: KindVirtual},
		{Name: "enp0s31f6.100", MAC: "52:54:00:ab:cd:ef", Kind: KindVirtual},
		{Name: "sit0", Kind: KindTunnel},
		{Name: "ppp0", Kind: KindTunnel},
		{Name: "rmnet_data0", Kind: KindCellular},
		{Name: "wwp0s20f0u6", MAC: "0a:1b:2c:3d:4e:5f", Kind: KindCellular},
		{Name: "enx00e04c680001", MAC: "00:e0:4c:68:00:01", Kind: KindEthernet, SpeedBits: 100_000_000},
		{Name: "ib0", Kind: KindOther, SpeedBits: 56_000_000_000},
		{Name: "gretap1", MAC: "aa:bb:cc:00:00:01", Kind: KindTunnel},
	}
	for _, want := range tests {
		want.Bits = nativeBits
		got, err := r.Info(want.Name)
		if err != nil {
			t.Errorf("Info(%q): %v", want.Name, err)
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Info(%q) (-want +got):\n%s", want.Name, diff)
		}
	}

	for _, name := range []string{"nope0", "", "..", "../../../etc", "a/b", "eth0:1", "abcdefghijklmnop"} {
		if _, err := r.Info(name); !errors.Is(err, ErrNoInterface) {
			t.Errorf("Info(%q) error = %v, want ErrNoInterface", name, err)
		}
	}
}

func TestLinuxReaderMissingFile(t *testing.T) {
	r := newLinuxReader(t.TempDir(), t.TempDir())
	if _, err := r.Read(nil); err == nil {
		t.Error("Read of a missing /proc/net/dev: no error")
	}
}

// TestLinuxReaderLargeFile makes the reader grow its buffer: a host with
// hundreds of containers has hundreds of veth lines.
func TestLinuxReaderLargeFile(t *testing.T) {
	proc := t.TempDir()
	if err := os.MkdirAll(filepath.Join(proc, "net"), 0o755); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString(procHeader)
	const n = 500
	for i := range n {
		fmt.Fprintf(&b, "veth%07d: %d 1 0 0 0 0 0 0 %d 1 0 0 0 0 0 0\n", i, i, 2*i)
	}
	if err := os.WriteFile(filepath.Join(proc, "net", "dev"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	r := newLinuxReader(proc, t.TempDir())
	for range 2 { // the second read reuses the grown buffer
		got, err := r.Read(nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != n || got[n-1] != (Counter{Name: fmt.Sprintf("veth%07d", n-1), RxBytes: n - 1, TxBytes: 2 * (n - 1)}) {
			t.Fatalf("Read: %d counters, last %+v", len(got), got[len(got)-1])
		}
	}
	if cap(r.buf) < b.Len() {
		t.Errorf("buffer cap %d after reading %d bytes: not kept", cap(r.buf), b.Len())
	}
}

// TestLinuxReaderConcurrent runs Read and Info at once, as the poller and an
// API handler do; run with -race.
func TestLinuxReaderConcurrent(t *testing.T) {
	r := newLinuxReader("testdata/proc", "testdata/sys")
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			var dst []Counter
			for range 50 {
				var err error
				if dst, err = r.Read(dst[:0]); err != nil || len(dst) != 7 {
					t.Errorf("Read: %d counters, %v", len(dst), err)
					return
				}
				if _, err := r.Info("eth0"); err != nil {
					t.Errorf("Info: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
}
