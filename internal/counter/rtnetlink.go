package counter

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Netlink and rtnetlink numbers from include/uapi/linux/netlink.h,
// rtnetlink.h and if_link.h. They are fixed by the kernel ABI; they are
// spelled here so that the parser builds (and is tested) on every OS.
const (
	nlmsgHdrLen   = 16 // struct nlmsghdr: len u32, type u16, flags u16, seq u32, pid u32
	ifinfomsgLen  = 16 // struct ifinfomsg: family u8, pad u8, type u16, index s32, flags u32, change u32
	nlmsgError    = 2
	nlmsgDone     = 3
	rtmNewLink    = 16
	rtmGetLink    = 18
	nlmFRequest   = 0x1
	nlmFDumpIntr  = 0x10 // the dump was interrupted by a change: it may be inconsistent
	nlmFDump      = 0x300
	iflaIfname    = 3
	iflaStats     = 7  // struct rtnl_link_stats: u32 counters
	iflaStats64   = 23 // struct rtnl_link_stats64: u64 counters
	statsRxOffset = 2  // rx_bytes is the third counter (after rx_packets, tx_packets)
	statsTxOffset = 3
)

// errDumpInterrupted says the kernel flagged the dump as inconsistent (an
// interface came or went while it was being taken); the caller dumps again.
var errDumpInterrupted = errors.New("link dump interrupted by a change; dump again")

// linkDumpRequest is an RTM_GETLINK dump request with sequence number seq.
func linkDumpRequest(seq uint32) [nlmsgHdrLen + ifinfomsgLen]byte {
	var b [nlmsgHdrLen + ifinfomsgLen]byte
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], uint32(len(b)))
	ne.PutUint16(b[4:], rtmGetLink)
	ne.PutUint16(b[6:], nlmFRequest|nlmFDump)
	ne.PutUint32(b[8:], seq)
	return b // family AF_UNSPEC (0): every interface
}

// ParseLinkDump parses one datagram of the kernel's answer to an
// RTM_GETLINK dump (a run of RTM_NEWLINK messages, the last datagram ending
// with NLMSG_DONE) and appends one Counter per interface to dst, with the
// interface's name, ifindex and 64-bit byte counters (IFLA_STATS64; the
// 32-bit IFLA_STATS only when a kernel sends no 64-bit block). Messages of
// another sequence number (left over from an earlier, abandoned dump) are
// skipped. done reports NLMSG_DONE. A malformed message is an error naming
// its offset, and dst comes back as it was passed.
//
// It runs on every poll, so, like ParseProcNetDev, it does not allocate in
// steady state: names are reused from dst's backing array.
func ParseLinkDump(data []byte, seq uint32, dst []Counter) (out []Counter, done bool, err error) {
	start := len(dst)
	ne := binary.NativeEndian
	for off := 0; off < len(data); {
		if len(data)-off < nlmsgHdrLen {
			return dst[:start], false, fmt.Errorf("parse link dump at byte %d: %d bytes left, want a %d-byte header", off, len(data)-off, nlmsgHdrLen)
		}
		msgLen := int(ne.Uint32(data[off:]))
		if msgLen < nlmsgHdrLen || msgLen > len(data)-off {
			return dst[:start], false, fmt.Errorf("parse link dump at byte %d: message length %d does not fit the %d bytes left", off, msgLen, len(data)-off)
		}
		msg, at := data[off:off+msgLen], off
		off += align4(msgLen)
		typ := ne.Uint16(msg[4:])
		flags := ne.Uint16(msg[6:])
		if ne.Uint32(msg[8:]) != seq {
			continue
		}
		if flags&nlmFDumpIntr != 0 {
			return dst[:start], false, errDumpInterrupted
		}
		switch typ {
		case nlmsgDone:
			return dst, true, nil
		case nlmsgError:
			code := int32(0)
			if len(msg) >= nlmsgHdrLen+4 {
				code = int32(ne.Uint32(msg[nlmsgHdrLen:]))
			}
			return dst[:start], false, fmt.Errorf("link dump: kernel answered error %d", -code)
		case rtmNewLink:
		default:
			continue
		}
		if len(msg) < nlmsgHdrLen+ifinfomsgLen {
			return dst[:start], false, fmt.Errorf("parse link dump at byte %d: RTM_NEWLINK of %d bytes, too short", at, len(msg))
		}
		index := ne.Uint32(msg[nlmsgHdrLen+4:])
		var name []byte
		var rx, tx uint64
		have64 := false
		attrs := msg[nlmsgHdrLen+ifinfomsgLen:]
		for len(attrs) >= 4 {
			alen := int(ne.Uint16(attrs))
			if alen < 4 || alen > len(attrs) {
				return dst[:start], false, fmt.Errorf("parse link dump: interface %d: attribute length %d does not fit %d bytes", index, alen, len(attrs))
			}
			atype := ne.Uint16(attrs[2:]) & 0x3fff // drop NLA_F_NESTED and NLA_F_NET_BYTEORDER
			val := attrs[4:alen]
			switch atype {
			case iflaIfname:
				name = val
				for i, c := range name {
					if c == 0 {
						name = name[:i]
						break
					}
				}
			case iflaStats64:
				if len(val) >= 8*(statsTxOffset+1) {
					rx = ne.Uint64(val[8*statsRxOffset:])
					tx = ne.Uint64(val[8*statsTxOffset:])
					have64 = true
				}
			case iflaStats:
				if !have64 && len(val) >= 4*(statsTxOffset+1) {
					rx = uint64(ne.Uint32(val[4*statsRxOffset:]))
					tx = uint64(ne.Uint32(val[4*statsTxOffset:]))
				}
			}
			attrs = attrs[min(align4(alen), len(attrs)):]
		}
		if len(name) == 0 {
			return dst[:start], false, fmt.Errorf("parse link dump: interface %d has no name", index)
		}
		dst = append(dst, Counter{Name: reuseName(prevName(dst), name), Index: index, RxBytes: rx, TxBytes: tx})
	}
	return dst, false, nil
}

func align4(n int) int { return (n + 3) &^ 3 }
