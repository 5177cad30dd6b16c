package apps

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// Netlink socket-diagnostics numbers from include/uapi/linux/netlink.h,
// sock_diag.h, inet_diag.h and tcp.h. They are fixed by the kernel ABI and
// spelled here so the parser builds, and is tested, on every OS.
const (
	nlHdrLen         = 16 // struct nlmsghdr
	diagReqLen       = 56 // struct inet_diag_req_v2
	diagMsgLen       = 72 // struct inet_diag_msg
	nlDone           = 3
	nlError          = 2
	nlFRequest       = 0x1
	nlFDump          = 0x300
	sockDiagByFamily = 20
	tcpDiagGetSock   = 18 // the older request, which can dump both families at once
	diagCompatReqLen = 60 // struct inet_diag_req
	inetDiagInfo     = 2  // attribute: struct tcp_info
	ipprotoTCP       = 6
	afInet           = 2
	afInet6          = 10

	// The socket-destroy multicast groups (SKNLGRP_INET_TCP_DESTROY,
	// SKNLGRP_INET6_TCP_DESTROY) as a bind(2) group mask.
	tcpDestroyGroups = 1<<0 | 1<<2 // groups 1 and 3: bit group-1

	// diagStates are the TCP states dumped: every state a socket that
	// carries traffic for a process can be in. Left out are listeners
	// (no traffic of their own), request and time-wait mini-sockets (no
	// tcp_info, no process).
	diagStates = 1<<1 | 1<<2 | 1<<4 | 1<<5 | 1<<7 | 1<<8 | 1<<9 | 1<<11

	// tcp_info offsets (struct tcp_info in include/uapi/linux/tcp.h).
	tcpiOptions       = 5
	tcpiBytesAcked    = 120
	tcpiBytesReceived = 128
	tcpiSegsOut       = 136
	tcpiSegsIn        = 140
	tcpiBytesSent     = 200 // Linux 4.19+
	tcpiMinLen        = tcpiSegsIn + 4
	tcpiOptTimestamps = 1
	tcpiOptSack       = 2
	tcpiOptWscale     = 4
)

// diagSocket is one TCP socket in a sock_diag answer: its identity, owner
// and the counters of its tcp_info.
type diagSocket struct {
	Cookie   uint64
	Inode    uint32 // 0 once no process holds it (closed, or destroyed)
	UID      uint32
	Ifindex  uint32 // the device it is bound to, 0 if none
	State    uint8
	Src, Dst netip.Addr
	// Payload bytes, and segments (pure ACKs included) each way.
	BytesSent, BytesReceived uint64
	SegsOut, SegsIn          uint32
	Options                  uint8 // tcpi_options: the TCP options negotiated
}

// headerBytes is the network and transport header of one segment of s: IP
// (20 bytes, or 40 for IPv6 that is not IPv4-mapped), TCP (20) and the
// timestamp option when negotiated. Options of the SYN and SACK blocks are
// not known here and are at most a few dozen bytes per connection.
func (s *diagSocket) headerBytes() uint64 {
	h := uint64(20 + 20)
	if s.Src.Is6() && !s.Src.Is4In6() {
		h += 20
	}
	if s.Options&tcpiOptTimestamps != 0 {
		h += 12
	}
	return h
}

// synExtra is how many bytes more than headerBytes the SYN and the SYN-ACK
// of s each carry: the options only they have (MSS; window scale; SACK
// permitted, which shares the timestamp's padding when both are on), laid
// out as Linux does.
func (s *diagSocket) synExtra() uint64 {
	x := uint64(4) // MSS
	if s.Options&tcpiOptTimestamps == 0 && s.Options&tcpiOptSack != 0 {
		x += 4 // NOP, NOP, SACK permitted
	}
	if s.Options&tcpiOptWscale != 0 {
		x += 4 // NOP, window scale
	}
	return x
}

// diagDumpAllRequest asks for every TCP socket, IPv4 and IPv6, in
// diagStates, with its tcp_info, in one dump: the older TCPDIAG_GETSOCK
// request, which the kernel answers for both families at once (with
// messages of its type). The kernel walks its whole established-socket
// hash table for each dump (262,144 buckets on an 8 GB machine), so one
// dump instead of one per family halves what a poll costs.
func diagDumpAllRequest(seq uint32) [nlHdrLen + diagCompatReqLen]byte {
	var b [nlHdrLen + diagCompatReqLen]byte
	r := dumpHeader(b[:], tcpDiagGetSock, seq)
	// family 0 is ignored by the kernel here: it dumps both
	r[3] = 1 << (inetDiagInfo - 1)
	binary.NativeEndian.PutUint32(r[4+48:], diagStates)
	return b
}

// dumpHeader writes the netlink header of a dump request of type typ into
// b (the whole message) and returns the rest of b, the request's body.
func dumpHeader(b []byte, typ uint16, seq uint32) []byte {
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], uint32(len(b)))
	ne.PutUint16(b[4:], typ)
	ne.PutUint16(b[6:], nlFRequest|nlFDump)
	ne.PutUint32(b[8:], seq)
	return b[nlHdrLen:]
}

// diagDumpRequest asks for every TCP socket of family (afInet or afInet6)
// in diagStates, with its tcp_info.
func diagDumpRequest(seq uint32, family uint8) [nlHdrLen + diagReqLen]byte {
	var b [nlHdrLen + diagReqLen]byte
	r := dumpHeader(b[:], sockDiagByFamily, seq)
	r[0] = family
	r[1] = ipprotoTCP
	r[2] = 1 << (inetDiagInfo - 1)
	binary.NativeEndian.PutUint32(r[4:], diagStates)
	return b
}

// parseDiag parses one datagram of sock_diag messages: the answer to a dump
// (with sequence number seq) or socket-destroy notifications (seq 0). It
// calls fn for each TCP socket with a tcp_info; others are skipped. done
// reports the end of a dump. fn's argument is reused between calls.
//
// A dump the kernel flags as interrupted (sockets came and went while it
// was taken) is used as it is: each message is still one socket's true
// state, a socket listed twice adds nothing the second time, and one left
// out is counted at the next dump.
func parseDiag(data []byte, seq uint32, fn func(*diagSocket)) (done bool, err error) {
	ne := binary.NativeEndian
	var s diagSocket
	for off := 0; off < len(data); {
		if len(data)-off < nlHdrLen {
			return false, fmt.Errorf("parse socket dump at byte %d: %d bytes left, want a %d-byte header", off, len(data)-off, nlHdrLen)
		}
		n := int(ne.Uint32(data[off:]))
		if n < nlHdrLen || n > len(data)-off {
			return false, fmt.Errorf("parse socket dump at byte %d: message length %d does not fit the %d bytes left", off, n, len(data)-off)
		}
		msg := data[off : off+n]
		off += (n + 3) &^ 3
		if ne.Uint32(msg[8:]) != seq {
			continue
		}
		switch ne.Uint16(msg[4:]) {
		case nlDone:
			return true, nil
		case nlError:
			code := int32(0)
			if len(msg) >= nlHdrLen+4 {
				code = int32(ne.Uint32(msg[nlHdrLen:]))
			}
			return false, fmt.Errorf("socket dump: kernel answered error %d", -code)
		case sockDiagByFamily, tcpDiagGetSock:
		default:
			continue
		}
		body := msg[nlHdrLen:]
		if len(body) < diagMsgLen {
			return false, fmt.Errorf("parse socket dump: a %d-byte message, want at least %d", len(body), diagMsgLen)
		}
		if !decodeDiag(body, &s) {
			continue
		}
		fn(&s)
	}
	return false, nil
}

// decodeDiag fills s from one struct inet_diag_msg and its attributes; it
// reports false for a socket without a usable tcp_info.
func decodeDiag(body []byte, s *diagSocket) bool {
	ne := binary.NativeEndian
	*s = diagSocket{State: body[1]}
	var src, dst [16]byte
	copy(src[:], body[8:24])
	copy(dst[:], body[24:40])
	switch body[0] {
	case afInet:
		s.Src = netip.AddrFrom4([4]byte(src[:4]))
		s.Dst = netip.AddrFrom4([4]byte(dst[:4]))
	case afInet6:
		s.Src = netip.AddrFrom16(src)
		s.Dst = netip.AddrFrom16(dst)
	default:
		return false
	}
	s.Ifindex = ne.Uint32(body[40:])
	s.Cookie = uint64(ne.Uint32(body[44:])) | uint64(ne.Uint32(body[48:]))<<32
	s.UID = ne.Uint32(body[64:])
	s.Inode = ne.Uint32(body[68:])
	info := false
	for attrs := body[diagMsgLen:]; len(attrs) >= 4; {
		alen := int(ne.Uint16(attrs))
		if alen < 4 || alen > len(attrs) {
			break
		}
		typ, val := ne.Uint16(attrs[2:])&0x3fff, attrs[4:alen]
		attrs = attrs[min((alen+3)&^3, len(attrs)):]
		if typ != inetDiagInfo || len(val) < tcpiMinLen {
			continue
		}
		info = true
		s.Options = val[tcpiOptions]
		s.BytesReceived = ne.Uint64(val[tcpiBytesReceived:])
		s.SegsOut = ne.Uint32(val[tcpiSegsOut:])
		s.SegsIn = ne.Uint32(val[tcpiSegsIn:])
		if len(val) >= tcpiBytesSent+8 {
			s.BytesSent = ne.Uint64(val[tcpiBytesSent:])
		} else {
			// Before Linux 4.19: acknowledged bytes, which leave out
			// retransmissions.
			s.BytesSent = ne.Uint64(val[tcpiBytesAcked:])
		}
	}
	return info
}
