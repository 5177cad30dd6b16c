package counter

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// This file decodes the macOS sysctl buffers byte by byte, with explicit
// offsets and little-endian reads (both darwin GOARCHes, amd64 and arm64, are
// little-endian), so that it can be tested and fuzzed on any OS.
//
// The layouts come from xnu's bsd/net/if.h, if_var.h and if_mib.h; the
// field order and sizes agree with golang.org/x/sys/unix's
// ztypes_darwin_{amd64,arm64}.go (IfMsghdr2, IfData64, RawSockaddrDatalink;
// SizeofIfMsghdr2 = 0xa0, SizeofIfData64 = 0x80). counter_darwin.go checks
// the offsets below against those Go types at compile time.
//
// struct if_msghdr2 (160 bytes):
//
//	 0 u_short ifm_msglen    length of this message, sockaddrs included
//	 2 u_char  ifm_version   RTM_VERSION (5)
//	 3 u_char  ifm_type      RTM_IFINFO2 (0x12)
//	 4 int     ifm_addrs     RTA_* bitmask of the sockaddrs that follow
//	 8 int     ifm_flags     IFF_*
//	12 u_short ifm_index
//	14         (2 bytes of padding: the next int is 4-aligned)
//	16 int     ifm_snd_len, 20 ifm_snd_maxlen, 24 ifm_snd_drops, 28 ifm_timer
//	32 struct if_data64 ifm_data (128 bytes)
//
// struct if_data64 (128 bytes; declared under #pragma pack(4), so it may
// start at a 4-aligned offset, as in ifmibdata below):
//
//	  0 u_char ifi_type (IFT_*), 1 typelen, 2 physical, 3 addrlen, 4 hdrlen,
//	    5 recvquota, 6 xmitquota, 7 unused1
//	  8 u_int32 ifi_mtu, 12 ifi_metric
//	 16 u_int64 ifi_baudrate   link speed, bits/s
//	 24 ifi_ipackets, 32 ierrors, 40 opackets, 48 oerrors, 56 collisions
//	 64 u_int64 ifi_ibytes
//	 72 u_int64 ifi_obytes
//	 80 imcasts, 88 omcasts, 96 iqdrops, 104 noproto
//	112 u_int32 recvtiming, 116 xmittiming, 120 struct timeval32 lastchange
//
// struct sockaddr_dl (20 bytes or more), the RTA_IFP address after the
// header of an RTM_IFINFO2 message:
//
//	0 u_char sdl_len (whole sockaddr), 1 sdl_family (AF_LINK = 18),
//	2 u_short sdl_index, 4 sdl_type, 5 sdl_nlen, 6 sdl_alen, 7 sdl_slen,
//	8 char sdl_data[]: the name (nlen bytes, no NUL) then the address (alen)
//
// struct ifmibdata (180 bytes), from sysctl
// {CTL_NET, PF_LINK, NETLINK_GENERIC, IFMIB_IFDATA, index, IFDATA_GENERAL}:
//
//	 0 char ifmd_name[16]
//	16 u_int ifmd_pcount, 20 flags, 24 snd_len, 28 snd_maxlen, 32 snd_drops
//	36 u_int ifmd_filler[4]
//	52 struct if_data64 ifmd_data  (4-aligned only: the pack(4) above)
const (
	ifmMsglen  = 0
	ifmVersion = 2
	ifmType    = 3
	ifmAddrs   = 4
	ifmFlags   = 8
	ifmIndex   = 12
	ifmData    = 32
	ifmSize    = 160 // sizeof(struct if_msghdr2)

	ifiType     = 0
	ifiBaudrate = 16
	ifiIbytes   = 64
	ifiObytes   = 72
	ifiSize     = 128 // sizeof(struct if_data64)

	sdlLen    = 0
	sdlFamily = 1
	sdlNlen   = 5
	sdlAlen   = 6
	sdlData   = 8

	ifmdData = 52 // offsetof(struct ifmibdata, ifmd_data)

	rtmVersion  = 5    // RTM_VERSION
	rtmIfinfo2  = 0x12 // RTM_IFINFO2
	rtaxIFP     = 4    // RTAX_IFP: bit 4 of ifm_addrs
	afLink      = 18   // AF_LINK
	iffLoopback = 0x8  // IFF_LOOPBACK
)

// IFT_* interface types from xnu's bsd/net/if_types.h.
const (
	iftOther         = 0x1
	iftEther         = 0x6
	iftPPP           = 0x17
	iftLoop          = 0x18
	iftPropVirtual   = 0x35
	iftGIF           = 0x37
	iftFaith         = 0x38
	iftSTF           = 0x39
	iftIEEE80211     = 0x47
	iftL2VLAN        = 0x87
	iftIEEE8023ADLAG = 0x88
	iftBridge        = 0xd1
	iftPFLog         = 0xf5
	iftPFSync        = 0xf6
	iftCellular      = 0xff
)

// darwinIf is one RTM_IFINFO2 record of a NET_RT_IFLIST2 buffer.
type darwinIf struct {
	Index    uint16
	Flags    uint32
	Type     uint8  // ifi_type, IFT_*
	Name     string // from the sockaddr_dl; "" if the record has none
	MAC      [6]byte
	HasMAC   bool   // the sockaddr_dl held a 6-byte address
	Baudrate uint64 // bits/s
	// RxBytes and TxBytes are the route-socket copy of the counters, which
	// macOS 13+ cuts at 4 GiB; the reader replaces them with IFMIB_IFDATA's.
	RxBytes, TxBytes uint64
}

var errShortIfList2 = errors.New("NET_RT_IFLIST2: truncated message")

// decodeIfList2 decodes a NET_RT_IFLIST2 sysctl buffer: one RTM_IFINFO2
// message per interface, each followed by RTM_NEWADDR and RTM_NEWMADDR2
// messages for its addresses, which it skips by their ifm_msglen.
func decodeIfList2(buf []byte) ([]darwinIf, error) {
	return appendIfList2(nil, buf, nil)
}

// appendIfList2 is decodeIfList2 appending to dst. When names is not nil it
// interns the interface names in it, so a steady-state poll allocates none.
func appendIfList2(dst []darwinIf, buf []byte, names nameCache) ([]darwinIf, error) {
	for off := 0; off < len(buf); {
		rest := buf[off:]
		if len(rest) < 4 {
			return dst, fmt.Errorf("%w: %d bytes left at offset %d", errShortIfList2, len(rest), off)
		}
		msglen := int(binary.LittleEndian.Uint16(rest[ifmMsglen:]))
		if msglen < 4 || msglen > len(rest) {
			return dst, fmt.Errorf("%w: message length %d at offset %d, %d bytes left", errShortIfList2, msglen, off, len(rest))
		}
		msg := rest[:msglen]
		off += msglen
		if msg[ifmType] != rtmIfinfo2 {
			continue // RTM_NEWADDR, RTM_NEWMADDR2: addresses, not counters
		}
		if v := msg[ifmVersion]; v != rtmVersion {
			// Another version may move the fields: better to fail
			// loudly than to report wrong bytes.
			return dst, fmt.Errorf("NET_RT_IFLIST2: route message version %d, want %d", v, rtmVersion)
		}
		if msglen < ifmSize {
			return dst, fmt.Errorf("%w: RTM_IFINFO2 of %d bytes, want at least %d", errShortIfList2, msglen, ifmSize)
		}
		data := msg[ifmData : ifmData+ifiSize]
		d := darwinIf{
			Index:    binary.LittleEndian.Uint16(msg[ifmIndex:]),
			Flags:    binary.LittleEndian.Uint32(msg[ifmFlags:]),
			Type:     data[ifiType],
			Baudrate: binary.LittleEndian.Uint64(data[ifiBaudrate:]),
			RxBytes:  binary.LittleEndian.Uint64(data[ifiIbytes:]),
			TxBytes:  binary.LittleEndian.Uint64(data[ifiObytes:]),
		}
		addrs := binary.LittleEndian.Uint32(msg[ifmAddrs:])
		if sdl := findSockaddr(msg[ifmSize:], addrs, rtaxIFP); sdl != nil {
			if name, mac, ok := decodeSockaddrDL(sdl); ok {
				d.Name = names.get(name)
				if len(mac) == 6 {
					copy(d.MAC[:], mac)
					d.HasMAC = true
				}
			}
		}
		dst = append(dst, d)
	}
	return dst, nil
}

// findSockaddr returns the sockaddr for RTAX index want among those that
// follow a route message header: one for each bit set in addrs, in bit
// order, each padded to a multiple of 4 bytes (xnu's ROUNDUP32, where a zero
// length still takes 4). It returns nil if that address is absent or cut.
func findSockaddr(b []byte, addrs uint32, want int) []byte {
	for i := 0; i < 32 && len(b) > 0; i++ {
		if addrs&(1<<i) == 0 {
			continue
		}
		l := int(b[0])
		if i == want {
			if l == 0 || l > len(b) {
				return nil
			}
			return b[:l]
		}
		step := 4
		if l > 0 {
			step = (l + 3) &^ 3
		}
		if step > len(b) {
			return nil
		}
		b = b[step:]
	}
	return nil
}

// decodeSockaddrDL returns the name and link-layer address of a sockaddr_dl.
func decodeSockaddrDL(b []byte) (name, addr []byte, ok bool) {
	if len(b) < sdlData || b[sdlFamily] != afLink {
		return nil, nil, false
	}
	l := min(int(b[sdlLen]), len(b))
	nlen, alen := int(b[sdlNlen]), int(b[sdlAlen])
	if sdlData+nlen+alen > l {
		return nil, nil, false
	}
	name = b[sdlData : sdlData+nlen]
	for _, c := range name {
		if c == 0 || c == '/' {
			return nil, nil, false // not a name ifconfig would print
		}
	}
	return name, b[sdlData+nlen : sdlData+nlen+alen], true
}

// decodeIfmibData returns the byte counters of an IFMIB_IFDATA /
// IFDATA_GENERAL sysctl buffer (struct ifmibdata): ifi_ibytes and ifi_obytes
// of its ifmd_data. ok is false if the buffer is too short to hold them.
func decodeIfmibData(buf []byte) (rx, tx uint64, ok bool) {
	if len(buf) < ifmdData+ifiObytes+8 {
		return 0, 0, false
	}
	d := buf[ifmdData:]
	return binary.LittleEndian.Uint64(d[ifiIbytes:]), binary.LittleEndian.Uint64(d[ifiObytes:]), true
}

// darwinInfo describes one interface of an IFLIST2 buffer. Counters are
// 64-bit (if_data64) on every macOS pb runs on.
func darwinInfo(d *darwinIf) Info {
	info := Info{
		Name:      d.Name,
		Kind:      darwinKind(d.Name, d.Type, d.Flags),
		SpeedBits: d.Baudrate,
		Bits:      64,
	}
	if d.HasMAC {
		info.MAC = formatMAC(d.MAC[:])
	}
	return info
}

// darwinKind classifies by ifi_type first and by name where the type is
// generic. en0 is the Wi-Fi on most Macs but reports IFT_ETHER; it comes
// out as ethernet, which the default total counts just the same.
func darwinKind(name string, ifType uint8, flags uint32) Kind {
	if flags&iffLoopback != 0 || ifType == iftLoop {
		return KindLoopback
	}
	switch ifType {
	case iftCellular:
		return KindCellular
	case iftIEEE80211:
		return KindWiFi
	case iftPPP, iftGIF, iftSTF, iftFaith:
		return KindTunnel
	case iftBridge, iftL2VLAN, iftIEEE8023ADLAG, iftPropVirtual, iftPFLog, iftPFSync:
		return KindVirtual
	}
	if k, ok := ClassifyName(name); ok {
		return k // utun*, ipsec* (IFT_OTHER); awdl0, llw0, anpi0, ap1 (IFT_ETHER)
	}
	if ifType == iftEther {
		return KindEthernet
	}
	return KindOther
}

// nameCache interns interface names: looking a []byte up in a
// map[string]string does not allocate, so a name seen before costs nothing.
type nameCache map[string]string

// get returns b as a string, from the cache when it is there. A nil cache
// just converts.
func (c nameCache) get(b []byte) string {
	if c == nil {
		return string(b)
	}
	if s, ok := c[string(b)]; ok {
		return s
	}
	if len(c) >= 1024 {
		clear(c) // interfaces come and go (utun, VM links): stay bounded
	}
	s := string(b)
	c[s] = s
	return s
}
