package counter

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// linuxReader reads /proc/net/dev for counters and /sys/class/net for Info.
// It has no build tag: only readFileInto differs per OS, so the fixture
// tests under testdata/ run on any OS.
type linuxReader struct {
	devPath string // <procRoot>/net/dev
	sysNet  string // <sysRoot>/class/net

	mu  sync.Mutex
	buf []byte // reused between polls; grows to fit the file
}

// newLinuxReader returns a reader rooted at procRoot (normally "/proc") and
// sysRoot (normally "/sys"); tests point them at testdata.
func newLinuxReader(procRoot, sysRoot string) *linuxReader {
	return &linuxReader{
		devPath: filepath.Join(procRoot, "net", "dev"),
		sysNet:  filepath.Join(sysRoot, "class", "net"),
		buf:     make([]byte, 0, 4096),
	}
}

// Read re-reads /proc/net/dev (open, read, close: the kernel regenerates it
// on every read) and parses it.
func (r *linuxReader) Read(dst []Counter) ([]Counter, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	buf, err := readFileInto(r.devPath, r.buf[:0])
	if cap(buf) > cap(r.buf) {
		r.buf = buf[:0]
	}
	if err != nil {
		return dst, fmt.Errorf("read %s: %w", r.devPath, err)
	}
	return ParseProcNetDev(buf, dst)
}

// Info describes the interface from the files in /sys/class/net/<name>/.
func (r *linuxReader) Info(name string) (Info, error) {
	attrs, err := readLinuxAttrs(r.sysNet, name)
	if err != nil {
		return Info{}, err
	}
	return classifyLinux(name, attrs), nil
}

// linuxAttrs is what classifyLinux needs from /sys/class/net/<if>/.
type linuxAttrs struct {
	Address   string // "address": the hardware address, as text
	Type      int    // "type": ARPHRD_*; -1 if unreadable
	DevType   string // DEVTYPE= from "uevent": wlan, wwan, bridge, vlan, bond, wireguard, tuntap, ppp...
	Wireless  bool   // "wireless/" or "phy80211/" exists: a cfg80211/wext device
	HasDevice bool   // "device" exists: backed by a bus device (PCI, USB, virtio...)
	Driver    string // DRIVER= from "device/uevent", e.g. qmi_wwan, rndis_host
	SpeedMbps int64  // "speed" in Mb/s; 0 if unknown (-1, EINVAL on virtual or down links)
}

// ARPHRD_* values from include/uapi/linux/if_arp.h.
const (
	arphrdEther             = 1
	arphrdPPP               = 512
	arphrdRawIP             = 519 // raw IP modems: qmi_wwan raw_ip mode, rmnet
	arphrdTunnel            = 768 // ipip
	arphrdTunnel6           = 769
	arphrdSit               = 776
	arphrdIPGRE             = 778
	arphrdLoopback          = 772
	arphrdIEEE80211         = 801
	arphrdIEEE80211Prism    = 802
	arphrdIEEE80211Radiotap = 803
	arphrdIP6GRE            = 823
	arphrdNone              = 65534 // tun, wireguard: no link-layer header
)

// cellularDrivers are USB/PCI modem drivers whose netdev is an uplink over a
// mobile network even when the interface looks like plain Ethernet.
var cellularDrivers = map[string]bool{
	"qmi_wwan":       true,
	"cdc_mbim":       true,
	"huawei_cdc_ncm": true,
	"sierra_net":     true,
	"mhi_net":        true,
	"rmnet":          true,
	"ipa":            true,
}

// classifyLinux turns sysfs facts into an Info. What the kernel says wins
// over the name: loopback and DEVTYPE first, then the wireless directory,
// then the ARPHRD type; the name decides only among Ethernet-typed links,
// where a missing "device" link otherwise means virtual (veth, dummy, a
// bridge's own port...).
func classifyLinux(name string, a linuxAttrs) Info {
	info := Info{
		Name: name,
		MAC:  normalizeMAC(a.Address),
		Kind: linuxKind(name, a),
		Bits: nativeBits,
	}
	if a.SpeedMbps > 0 {
		info.SpeedBits = uint64(a.SpeedMbps) * 1_000_000
	}
	return info
}

func linuxKind(name string, a linuxAttrs) Kind {
	byName, known := ClassifyName(name)
	if a.Type == arphrdLoopback {
		return KindLoopback
	}
	switch a.DevType {
	case "wlan":
		return KindWiFi
	case "wwan":
		return KindCellular
	case "bridge", "bond", "vlan", "team", "macvlan", "macvtap", "ipvlan", "vxlan",
		"geneve", "macsec", "vrf", "dsa", "veth", "bareudp", "hsr":
		return KindVirtual
	case "wireguard", "tuntap", "ppp", "l2tp", "ipip", "gre", "sit":
		return KindTunnel
	}
	if a.Wireless {
		return KindWiFi
	}
	if cellularDrivers[a.Driver] {
		return KindCellular
	}
	switch a.Type {
	case arphrdIEEE80211, arphrdIEEE80211Prism, arphrdIEEE80211Radiotap:
		return KindWiFi
	case arphrdRawIP:
		return KindCellular
	case arphrdPPP, arphrdTunnel, arphrdTunnel6, arphrdSit, arphrdIPGRE, arphrdIP6GRE, arphrdNone:
		// A modem can show up as a headerless device (mhi_net "wwan0",
		// rmnet_data0); its name says so. Everything else here wraps bytes
		// that cross another link.
		if known && byName == KindCellular {
			return KindCellular
		}
		return KindTunnel
	case arphrdEther:
		if known {
			// The name is explicit about what this is: veth*, docker0,
			// vnet3, and eth0 inside a container (a veth without a
			// "device" link, but the container's only uplink).
			return byName
		}
		if a.HasDevice {
			return KindEthernet
		}
		return KindVirtual
	}
	if known {
		return byName
	}
	return KindOther
}

// readLinuxAttrs reads the sysfs files classifyLinux needs. A missing
// interface directory is ErrNoInterface; any other unreadable file only
// leaves its field at the zero or unknown value, because virtual devices lack
// many of them (speed gives EINVAL, no device/uevent...).
func readLinuxAttrs(sysNet, name string) (linuxAttrs, error) {
	if !validLinuxName(name) {
		return linuxAttrs{}, fmt.Errorf("interface %q: %w", name, ErrNoInterface)
	}
	dir := filepath.Join(sysNet, name)
	if _, err := os.Stat(dir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return linuxAttrs{}, fmt.Errorf("interface %q: %w", name, ErrNoInterface)
		}
		return linuxAttrs{}, fmt.Errorf("interface %q: %w", name, err)
	}
	a := linuxAttrs{Type: -1}
	a.Address = strings.TrimSpace(readSmall(filepath.Join(dir, "address")))
	if t, err := strconv.Atoi(strings.TrimSpace(readSmall(filepath.Join(dir, "type")))); err == nil {
		a.Type = t
	}
	a.DevType = ueventValue(readSmall(filepath.Join(dir, "uevent")), "DEVTYPE")
	a.Wireless = exists(filepath.Join(dir, "wireless")) || exists(filepath.Join(dir, "phy80211"))
	a.HasDevice = exists(filepath.Join(dir, "device"))
	if a.HasDevice {
		a.Driver = ueventValue(readSmall(filepath.Join(dir, "device", "uevent")), "DRIVER")
	}
	if s, err := strconv.ParseInt(strings.TrimSpace(readSmall(filepath.Join(dir, "speed"))), 10, 64); err == nil && s > 0 {
		a.SpeedMbps = s
	}
	return a, nil
}

// validLinuxName reports whether name could be a Linux interface name
// (dev_valid_name in net/core/dev.c). Checking it keeps a name from an API
// request from walking out of /sys/class/net.
func validLinuxName(name string) bool {
	if name == "" || len(name) > 15 || name == "." || name == ".." {
		return false
	}
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c == '/', c == ':', c == 0, c == ' ', c == '\t', c == '\n', c == '\r', c == '\v', c == '\f':
			return false
		}
	}
	return true
}

// readSmall returns a small sysfs file's contents, or "" if it cannot be
// read. Not os.ReadFile: sysfs reports every file as 4 KiB, so that
// allocated 4.5 KB per file, about 25 files each minute at rest.
func readSmall(path string) string {
	var a [512]byte
	b, err := readFileInto(path, a[:0])
	if err != nil {
		return ""
	}
	return string(b)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// ueventValue returns the value of key in a uevent file ("KEY=value" lines).
func ueventValue(uevent, key string) string {
	for line := range strings.Lines(uevent) {
		if k, v, ok := strings.Cut(line, "="); ok && k == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
