package counter

import (
	"errors"
	"math/bits"
)

// Kind classifies an interface for the default policy of what counts in the
// total: ethernet, Wi-Fi and cellular links carry a user's traffic; loopback,
// virtual plumbing and tunnels carry bytes that are already counted on a link
// beneath them (or never leave the machine).
type Kind string

// The kinds of interface. The comments say which interfaces fall in each.
const (
	// KindEthernet is a wired physical link, including USB tethering
	// (rndis_host, cdc_ether, ipheth) with a real device behind it.
	KindEthernet Kind = "ethernet"
	// KindWiFi is an IEEE 802.11 station interface.
	KindWiFi Kind = "wifi"
	// KindCellular is a mobile-broadband modem: wwan*, rmnet*, DEVTYPE=wwan,
	// IFT_CELLULAR (pdp_ip*), Windows WWANPP. PPP over a modem is a tunnel
	// unless the interface is known to be a modem.
	KindCellular Kind = "cellular"
	// KindLoopback is the loopback interface (lo, lo0, Windows'
	// "Loopback Pseudo-Interface 1").
	KindLoopback Kind = "loopback"
	// KindVirtual is container and VM plumbing and link aggregation whose
	// bytes are already counted on a physical link: veth, docker*, br-*,
	// virbr*, vmnet*, vboxnet*, cni*, flannel*, cali*, bridges, bonds, VLANs,
	// dummy, ifb, Hyper-V vEthernet.
	KindVirtual Kind = "virtual"
	// KindTunnel is a VPN or IP-in-IP tunnel whose bytes also pass, wrapped,
	// over the link beneath: tun*, tap*, wg*, tailscale*, utun*, ppp*, ipip,
	// sit, gre, zt*.
	KindTunnel Kind = "tunnel"
	// KindOther is an interface the reader could not place.
	KindOther Kind = "other"
)

// Counter is one interface's cumulative byte counters at one moment. It is
// produced on every poll, so it is kept small.
type Counter struct {
	Name string
	// Index is the OS's interface index (Linux ifindex, the index of macOS
	// and Windows rows), or 0 when the reader has none. An interface deleted
	// and created again under the same name gets another index, so the
	// monitor tells a new incarnation from the old one on every poll, even
	// when the re-creation was faster than the poll.
	Index   uint32
	RxBytes uint64
	TxBytes uint64
}

// Info describes an interface. It is read when an interface is first seen and
// now and then, not on every poll.
type Info struct {
	Name string
	// MAC is the lower-case "aa:bb:cc:dd:ee:ff" hardware address, or "" when
	// the interface has none, it is all zeros, or it is not 6 bytes long
	// (tunnels report IPv4 addresses in that slot).
	MAC  string
	Kind Kind
	// SpeedBits is the link speed in bits/s as the OS reports it; 0 if
	// unknown. The monitor uses it to reject impossible deltas.
	SpeedBits uint64
	// Bits is the counter width, 32 or 64, when known; 0 if unknown. The
	// monitor uses it to tell a wrap from a reset.
	Bits int
}

// Reader reads counters from the OS. Implementations are cheap (no
// subprocess, ever) and safe for concurrent use, so an API handler may call
// Info while the poller calls Read.
type Reader interface {
	// Read appends one Counter per interface to dst and returns the result.
	// Callers pass the previous result as dst[:0] so that its backing array,
	// and the name strings in it, are reused.
	Read(dst []Counter) ([]Counter, error)
	// Info describes one interface by the name Read reported. It returns an
	// error wrapping ErrNoInterface when there is no such interface.
	Info(name string) (Info, error)
}

// Watcher is a Reader that hears of link changes from the OS (Linux
// netlink notifications), so interface details need not be re-read on a
// timer: the monitor re-reads them when Changes moves, and rarely
// otherwise.
type Watcher interface {
	// Changes counts the link changes seen so far (links added, removed,
	// renamed, or changed in state, address or speed). ok is false while
	// the reader cannot tell (no notification socket): then details are
	// re-read periodically.
	Changes() (n uint64, ok bool)
}

// ErrNoInterface is wrapped by Info's error when no interface has the name
// asked for (it may have just been removed).
var ErrNoInterface = errors.New("no such interface")

// nativeBits is the counter width on OSes whose counters follow the machine
// word: 64 on a 64-bit GOARCH, else 0 (unknown). On Linux a 32-bit kernel
// may keep some drivers' counters in an unsigned long, which wraps at 4 GiB,
// while a 64-bit build can only run on a 64-bit kernel.
const nativeBits = bits.UintSize / 64 * 64

// reuseName returns the string s if it spells b, else a new string of b. The
// readers pass the name that sat at the same position in the previous poll's
// result, so in steady state no name is allocated.
func reuseName(s string, b []byte) string {
	if s == string(b) { // no allocation: the compiler compares in place
		return s
	}
	return string(b)
}

// prevName returns the Name of the element just past len(dst) in dst's
// backing array, left there by the previous poll, or "" if there is none.
func prevName(dst []Counter) string {
	if n := len(dst); n < cap(dst) {
		return dst[: n+1 : n+1][n].Name
	}
	return ""
}

// formatMAC formats a 6-byte hardware address as "aa:bb:cc:dd:ee:ff". Any
// other length, and the all-zero address, give "".
func formatMAC(b []byte) string {
	if len(b) != 6 {
		return ""
	}
	zero := true
	for _, c := range b {
		if c != 0 {
			zero = false
			break
		}
	}
	if zero {
		return ""
	}
	const hex = "0123456789abcdef"
	var out [17]byte
	for i, c := range b {
		if i > 0 {
			out[i*3-1] = ':'
		}
		out[i*3] = hex[c>>4]
		out[i*3+1] = hex[c&0xf]
	}
	return string(out[:])
}

// normalizeMAC turns a textual hardware address such as sysfs's
// "AA:bb:cc:dd:ee:ff\n" into formatMAC's form, or "" if it is not a
// colon-separated 6-byte address.
func normalizeMAC(s string) string {
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == ' ' || s[len(s)-1] == '\r') {
		s = s[:len(s)-1]
	}
	if len(s) != 17 {
		return ""
	}
	var b [6]byte
	for i := range b {
		hi, ok1 := unhex(s[i*3])
		lo, ok2 := unhex(s[i*3+1])
		if !ok1 || !ok2 || (i < 5 && s[i*3+2] != ':') {
			return ""
		}
		b[i] = hi<<4 | lo
	}
	return formatMAC(b[:])
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
