//go:build darwin

package counter

import (
	"fmt"
	"net"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Compile-time checks that darwin_decode.go's hand-written offsets match
// x/sys's Go mirrors of the C structs: each line fails to build ("index out
// of range" or "constant overflows") if they differ.
var (
	_ = [1]struct{}{}[unsafe.Sizeof(unix.IfMsghdr2{})-ifmSize]
	_ = [1]struct{}{}[unsafe.Offsetof(unix.IfMsghdr2{}.Index)-ifmIndex]
	_ = [1]struct{}{}[unsafe.Offsetof(unix.IfMsghdr2{}.Addrs)-ifmAddrs]
	_ = [1]struct{}{}[unsafe.Offsetof(unix.IfMsghdr2{}.Flags)-ifmFlags]
	_ = [1]struct{}{}[unsafe.Offsetof(unix.IfMsghdr2{}.Data)-ifmData]
	_ = [1]struct{}{}[unsafe.Sizeof(unix.IfData64{})-ifiSize]
	_ = [1]struct{}{}[unsafe.Offsetof(unix.IfData64{}.Baudrate)-ifiBaudrate]
	_ = [1]struct{}{}[unsafe.Offsetof(unix.IfData64{}.Ibytes)-ifiIbytes]
	_ = [1]struct{}{}[unsafe.Offsetof(unix.IfData64{}.Obytes)-ifiObytes]
	_ = [1]struct{}{}[unsafe.Offsetof(unix.RawSockaddrDatalink{}.Nlen)-sdlNlen]
	_ = [1]struct{}{}[unsafe.Offsetof(unix.RawSockaddrDatalink{}.Alen)-sdlAlen]
	_ = [1]struct{}{}[unsafe.Offsetof(unix.RawSockaddrDatalink{}.Data)-sdlData]
	_ = [1]struct{}{}[unix.RTM_IFINFO2-rtmIfinfo2]
	_ = [1]struct{}{}[unix.RTM_VERSION-rtmVersion]
	_ = [1]struct{}{}[unix.RTAX_IFP-rtaxIFP]
	_ = [1]struct{}{}[unix.AF_LINK-afLink]
	_ = [1]struct{}{}[unix.IFF_LOOPBACK-iffLoopback]
	_ = [1]struct{}{}[unix.IFT_ETHER-iftEther]
	_ = [1]struct{}{}[unix.IFT_LOOP-iftLoop]
	_ = [1]struct{}{}[unix.IFT_CELLULAR-iftCellular]
	_ = [1]struct{}{}[unix.IFT_PPP-iftPPP]
	_ = [1]struct{}{}[unix.IFT_GIF-iftGIF]
	_ = [1]struct{}{}[unix.IFT_STF-iftSTF]
	_ = [1]struct{}{}[unix.IFT_BRIDGE-iftBridge]
	_ = [1]struct{}{}[unix.IFT_L2VLAN-iftL2VLAN]
)

// sysctl MIB numbers for the per-interface data (xnu bsd/net/if_mib.h).
const (
	netlinkGeneric = 0 // NETLINK_GENERIC: not specific to one kind of interface
	ifmibIfdata    = 2 // IFMIB_IFDATA: the per-interface table
	ifdataGeneral  = 1 // IFDATA_GENERAL: struct ifmibdata
)

// darwinReader lists interfaces with sysctl NET_RT_IFLIST2 and reads each
// one's byte counters with sysctl IFMIB_IFDATA.
//
// Why two sysctls: since macOS 13 (Ventura), the ifi_ibytes/ifi_obytes that
// the route-socket copy (NET_RT_IFLIST2) returns are cut at the 4 GiB mark,
// which would look like a counter wrap or reset every 4 GiB.
// The per-interface MIB, net.link.generic.ifdata.<index>.general, still
// returns the full 64-bit counters. node_exporter's netdev_darwin.go found
// and works around the same bug; Apple may "fix" it for privacy reasons one
// day, so if the second sysctl fails we fall back to the route-socket value
// rather than dropping the interface.
//
// Both go through x/sys's SysctlRaw, which calls libSystem's sysctl (Apple
// supports no raw system calls). That costs a name lookup and a size probe
// per call: a handful of microseconds per interface, which is well inside the
// budget at one poll a second and far below forking netstat.
type darwinReader struct {
	mu    sync.Mutex
	ifs   []darwinIf // reused between polls
	names nameCache
}

// NewReader returns the macOS reader.
func NewReader() (Reader, error) {
	return &darwinReader{names: make(nameCache)}, nil
}

func (r *darwinReader) list() ([]darwinIf, error) {
	var buf []byte
	var err error
	for range 3 {
		// SysctlRaw asks for the size, then reads: an interface that
		// appears in between (a VPN connecting) makes the read ENOMEM.
		buf, err = unix.SysctlRaw("net", unix.AF_ROUTE, 0, 0, unix.NET_RT_IFLIST2, 0)
		if err != unix.ENOMEM {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("sysctl NET_RT_IFLIST2: %w", err)
	}
	ifs, err := appendIfList2(r.ifs[:0], buf, r.names)
	r.ifs = ifs
	if err != nil {
		return nil, err
	}
	for i := range ifs {
		if ifs[i].Name == "" {
			// No sockaddr_dl in the record (never seen in practice):
			// ask if_indextoname's way, via net.
			if ifi, err := net.InterfaceByIndex(int(ifs[i].Index)); err == nil {
				ifs[i].Name = ifi.Name
			}
		}
	}
	return ifs, nil
}

// Read lists the interfaces and reads each one's 64-bit counters.
func (r *darwinReader) Read(dst []Counter) ([]Counter, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ifs, err := r.list()
	if err != nil {
		return dst, err
	}
	for i := range ifs {
		d := &ifs[i]
		if d.Name == "" {
			continue // unnamed: nothing to key its history on
		}
		rx, tx := d.RxBytes, d.TxBytes
		if mib, err := unix.SysctlRaw("net", unix.AF_LINK, netlinkGeneric, ifmibIfdata, int(d.Index), ifdataGeneral); err == nil {
			if mrx, mtx, ok := decodeIfmibData(mib); ok {
				rx, tx = mrx, mtx
			}
		}
		dst = append(dst, Counter{Name: d.Name, Index: uint32(d.Index), RxBytes: rx, TxBytes: tx})
	}
	return dst, nil
}

// Info describes the interface from its IFLIST2 record: type, flags, link
// speed (ifi_baudrate) and the hardware address in its sockaddr_dl.
func (r *darwinReader) Info(name string) (Info, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ifs, err := r.list()
	if err != nil {
		return Info{}, err
	}
	for i := range ifs {
		if ifs[i].Name == name {
			return darwinInfo(&ifs[i]), nil
		}
	}
	return Info{}, fmt.Errorf("interface %q: %w", name, ErrNoInterface)
}
