package counter

import "strings"

// namePattern is one rule of ClassifyName: a name equal to exact, or
// starting with prefix.
type namePattern struct {
	prefix string
	exact  bool
	kind   Kind
}

// namePatterns lists the naming conventions of Linux, macOS and BSD drivers
// and of the container, VM and VPN tools people run. Order matters only where
// one prefix starts another; the longer one comes first.
var namePatterns = []namePattern{
	// Loopback.
	{"lo", true, KindLoopback},
	{"lo0", true, KindLoopback},

	// Cellular modems: Linux wwan/qmi, Qualcomm rmnet, MediaTek ccmni,
	// macOS/iOS pdp_ip.
	{"wwan", false, KindCellular},
	{"rmnet", false, KindCellular},
	{"ccmni", false, KindCellular},
	{"pdp_ip", false, KindCellular},

	// Tunnels: bytes also cross the link beneath, wrapped.
	{"tailscale", false, KindTunnel},
	{"tunl", false, KindTunnel}, // ipip fallback device
	{"tun", false, KindTunnel},
	{"tap", false, KindTunnel},
	{"wg", false, KindTunnel},
	{"utun", false, KindTunnel},
	{"ppp", false, KindTunnel},
	{"zt", false, KindTunnel},
	{"nordlynx", false, KindTunnel},
	{"ipsec", false, KindTunnel},
	{"gif", false, KindTunnel},
	{"stf", false, KindTunnel},
	{"sit", false, KindTunnel},
	{"gretap", false, KindTunnel},
	{"gre", false, KindTunnel},
	{"ip6gre", false, KindTunnel},
	{"ip6tnl", false, KindTunnel},
	{"ip_vti", false, KindTunnel},
	{"ip6_vti", false, KindTunnel},
	{"vti", false, KindTunnel},
	{"erspan", false, KindTunnel},
	{"l2tp", false, KindTunnel},

	// Container, VM and aggregation plumbing: bytes already counted on a
	// physical link, or never leaving the machine.
	{"veth", false, KindVirtual},
	{"docker", false, KindVirtual},
	{"br-", false, KindVirtual},
	{"bridge", false, KindVirtual},
	{"virbr", false, KindVirtual},
	{"vmnet", false, KindVirtual},
	{"vmenet", false, KindVirtual}, // macOS Virtualization.framework
	{"vboxnet", false, KindVirtual},
	{"vnet", false, KindVirtual}, // libvirt guest taps
	{"cni", false, KindVirtual},
	{"flannel", false, KindVirtual},
	{"cali", false, KindVirtual},
	{"cilium", false, KindVirtual},
	{"lxc", false, KindVirtual},
	{"lxdbr", false, KindVirtual},
	{"podman", false, KindVirtual},
	{"weave", false, KindVirtual},
	{"vxlan", false, KindVirtual},
	{"kube-", false, KindVirtual},
	{"ovs-", false, KindVirtual},
	{"dummy", false, KindVirtual},
	{"ifb", false, KindVirtual},
	{"nlmon", false, KindVirtual},
	{"bond", false, KindVirtual},
	{"team", false, KindVirtual},
	{"macvlan", false, KindVirtual},
	{"macvtap", false, KindVirtual},
	{"awdl", false, KindVirtual}, // macOS AirDrop link over the Wi-Fi radio
	{"llw", false, KindVirtual},  // macOS low-latency WLAN, same
	{"anpi", false, KindVirtual}, // macOS internal link to the SoC's NIC
	{"feth", false, KindVirtual}, // macOS fake ethernet pairs

	// Physical links.
	{"wlan", false, KindWiFi},
	{"wl", false, KindWiFi}, // wlp3s0, wlo1, wlx...
	{"eth", false, KindEthernet},
	{"en", false, KindEthernet}, // enp3s0, eno1, ens3, enx..., macOS en0
	{"em", false, KindEthernet}, // biosdevname, BSD
	{"usb", false, KindEthernet},
	{"rndis", false, KindEthernet},
}

// ClassifyName classifies an interface by its name alone, from the naming
// conventions of common drivers and tools (veth*, docker*, wg*, utun*,
// wwan*, eth*, en*, ...). ok is false when the name follows no known
// convention, in which case kind is KindOther.
//
// Readers prefer what the OS says (sysfs type and DEVTYPE, if_data type,
// MIB_IF_ROW2 type) and use ClassifyName to refine or as a fallback. A VLAN
// sub-interface name such as "eth0.100" is virtual: its bytes are counted on
// the parent.
func ClassifyName(name string) (kind Kind, ok bool) {
	if name == "" {
		return KindOther, false
	}
	for _, p := range namePatterns {
		if p.exact {
			if name == p.prefix {
				return p.kind, true
			}
			continue
		}
		if strings.HasPrefix(name, p.prefix) {
			if p.kind == KindEthernet || p.kind == KindWiFi {
				// A VLAN on a physical link ("eth0.100") is virtual.
				if strings.IndexByte(name, '.') > 0 {
					return KindVirtual, true
				}
			}
			return p.kind, true
		}
	}
	// macOS "ap1" and Linux hostapd "ap0": an access point whose clients'
	// bytes are forwarded over the uplink, so already counted there.
	if len(name) > 2 && name[:2] == "ap" && name[2] >= '0' && name[2] <= '9' {
		return KindVirtual, true
	}
	return KindOther, false
}
