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

	ifStatsMsgLen   = 12 // struct if_stats_msg: family u8, pad u8, pad u16, ifindex u32, filter_mask u32
	rtmNewStats     = 92
	rtmGetStats     = 94
	iflaStatsLink64 = 1 // struct rtnl_link_stats64, asked for with filter bit 1<<(1-1)
	rtmGrpLink      = 1 // multicast group RTNLGRP_LINK: links created, deleted, renamed, changed
)

// KernelError is a dump the kernel refused (an NLMSG_ERROR answer); Errno is
// the positive errno, e.g. 95 (EOPNOTSUPP) for RTM_GETSTATS before Linux 4.7.
type KernelError struct {
	Dump  string
	Errno int32
}

func (e *KernelError) Error() string {
	return fmt.Sprintf("%s dump: kernel answered error %d", e.Dump, e.Errno)
}

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

// statsDumpRequest is an RTM_GETSTATS dump request for every interface's
// 64-bit counters only: the kernel fills just struct rtnl_link_stats64 per
// link, a fraction of the work (and of the bytes) of an RTM_GETLINK dump.
func statsDumpRequest(seq uint32) [nlmsgHdrLen + ifStatsMsgLen]byte {
	var b [nlmsgHdrLen + ifStatsMsgLen]byte
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], uint32(len(b)))
	ne.PutUint16(b[4:], rtmGetStats)
	ne.PutUint16(b[6:], nlmFRequest|nlmFDump)
	ne.PutUint32(b[8:], seq)
	ne.PutUint32(b[nlmsgHdrLen+8:], 1<<(iflaStatsLink64-1))
	return b
}

// walkDump calls fn with each message of sequence number seq in one
// datagram of a dump's answer (what names the dump in errors); messages of
// another sequence number (left over from an earlier, abandoned dump) are
// skipped. done reports NLMSG_DONE; a flagged-inconsistent dump is
// errDumpInterrupted and a refused one a *KernelError.
func walkDump(data []byte, seq uint32, what string, fn func(typ uint16, msg []byte, at int) error) (done bool, err error) {
	ne := binary.NativeEndian
	for off := 0; off < len(data); {
		if len(data)-off < nlmsgHdrLen {
			return false, fmt.Errorf("parse %s dump at byte %d: %d bytes left, want a %d-byte header", what, off, len(data)-off, nlmsgHdrLen)
		}
		msgLen := int(ne.Uint32(data[off:]))
		if msgLen < nlmsgHdrLen || msgLen > len(data)-off {
			return false, fmt.Errorf("parse %s dump at byte %d: message length %d does not fit the %d bytes left", what, off, msgLen, len(data)-off)
		}
		msg, at := data[off:off+msgLen], off
		off += align4(msgLen)
		typ := ne.Uint16(msg[4:])
		if ne.Uint32(msg[8:]) != seq {
			continue
		}
		if ne.Uint16(msg[6:])&nlmFDumpIntr != 0 {
			return false, errDumpInterrupted
		}
		switch typ {
		case nlmsgDone:
			return true, nil
		case nlmsgError:
			code := int32(0)
			if len(msg) >= nlmsgHdrLen+4 {
				code = int32(ne.Uint32(msg[nlmsgHdrLen:]))
			}
			return false, &KernelError{Dump: what, Errno: -code}
		}
		if err := fn(typ, msg, at); err != nil {
			return false, err
		}
	}
	return false, nil
}

// ParseStatsDump parses one datagram of the kernel's answer to
// statsDumpRequest and appends one Counter per interface to dst with its
// ifindex and 64-bit byte counters but no name: the answer carries none
// (the reader names them from its last link dump). Like ParseLinkDump it
// allocates nothing in steady state, and on an error dst comes back as it
// was passed.
func ParseStatsDump(data []byte, seq uint32, dst []Counter) (out []Counter, done bool, err error) {
	start := len(dst)
	ne := binary.NativeEndian
	done, err = walkDump(data, seq, "stats", func(typ uint16, msg []byte, at int) error {
		if typ != rtmNewStats {
			return nil
		}
		if len(msg) < nlmsgHdrLen+ifStatsMsgLen {
			return fmt.Errorf("parse stats dump at byte %d: RTM_NEWSTATS of %d bytes, too short", at, len(msg))
		}
		index := ne.Uint32(msg[nlmsgHdrLen+4:])
		attrs := msg[nlmsgHdrLen+ifStatsMsgLen:]
		for len(attrs) >= 4 {
			alen := int(ne.Uint16(attrs))
			if alen < 4 || alen > len(attrs) {
				return fmt.Errorf("parse stats dump: interface %d: attribute length %d does not fit %d bytes", index, alen, len(attrs))
			}
			if val := attrs[4:alen]; ne.Uint16(attrs[2:])&0x3fff == iflaStatsLink64 && len(val) >= 8*(statsTxOffset+1) {
				dst = append(dst, Counter{Index: index, RxBytes: ne.Uint64(val[8*statsRxOffset:]), TxBytes: ne.Uint64(val[8*statsTxOffset:])})
				return nil
			}
			attrs = attrs[min(align4(alen), len(attrs)):]
		}
		return fmt.Errorf("parse stats dump: interface %d has no 64-bit counters", index)
	})
	if err != nil {
		return dst[:start], false, err
	}
	return dst, done, nil
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
	done, err = walkDump(data, seq, "link", func(typ uint16, msg []byte, at int) error {
		if typ != rtmNewLink {
			return nil
		}
		if len(msg) < nlmsgHdrLen+ifinfomsgLen {
			return fmt.Errorf("parse link dump at byte %d: RTM_NEWLINK of %d bytes, too short", at, len(msg))
		}
		index := ne.Uint32(msg[nlmsgHdrLen+4:])
		var name []byte
		var rx, tx uint64
		have64 := false
		attrs := msg[nlmsgHdrLen+ifinfomsgLen:]
		for len(attrs) >= 4 {
			alen := int(ne.Uint16(attrs))
			if alen < 4 || alen > len(attrs) {
				return fmt.Errorf("parse link dump: interface %d: attribute length %d does not fit %d bytes", index, alen, len(attrs))
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
			return fmt.Errorf("parse link dump: interface %d has no name", index)
		}
		dst = append(dst, Counter{Name: reuseName(prevName(dst), name), Index: index, RxBytes: rx, TxBytes: tx})
		return nil
	})
	if err != nil {
		return dst[:start], false, err
	}
	return dst, done, nil
}

func align4(n int) int { return (n + 3) &^ 3 }
