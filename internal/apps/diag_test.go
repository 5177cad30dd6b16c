package apps

import (
	"encoding/binary"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"
)

// datagrams splits a recorded fixture: each datagram as a native-endian
// u32 length and its bytes (see TestRecordSockDiagFixtures).
func datagrams(t *testing.T, name string) [][]byte {
	t.Helper()
	if x := uint16(1); *(*byte)(unsafe.Pointer(&x)) != 1 {
		t.Skip("the fixtures were recorded on a little-endian machine")
	}
	b, err := os.ReadFile(filepath.Join("testdata", "sockdiag", name))
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for len(b) >= 4 {
		n := int(binary.NativeEndian.Uint32(b))
		if n > len(b)-4 {
			t.Fatalf("%s: a %d-byte datagram in %d bytes", name, n, len(b)-4)
		}
		out = append(out, b[4:4+n])
		b = b[4+n:]
	}
	return out
}

// TestParseDiagFixtures parses a dump and destroy notifications recorded
// from Linux 6.18: a loopback connection that moved 100000 bytes from the
// client and 5000 back, dumped (sequence number 7), then closed at both
// ends.
func TestParseDiagFixtures(t *testing.T) {
	var socks []diagSocket
	done := false
	for _, d := range datagrams(t, "dump-v4.bin") {
		var err error
		done, err = parseDiag(d, 7, func(s *diagSocket) { socks = append(socks, *s) })
		if err != nil {
			t.Fatal(err)
		}
		if _, err := parseDiag(d, 8, func(s *diagSocket) { t.Errorf("a message of another dump was parsed: %+v", s) }); err != nil {
			t.Fatal(err)
		}
	}
	if !done {
		t.Error("the dump's end (NLMSG_DONE) was not seen")
	}
	lo := netip.MustParseAddr("127.0.0.1")
	var client, server *diagSocket
	for i := range socks {
		s := &socks[i]
		switch {
		case s.BytesSent == 100000 && s.BytesReceived == 5000:
			client = s
		case s.BytesSent == 5000 && s.BytesReceived == 100000:
			server = s
		}
	}
	if client == nil || server == nil {
		t.Fatalf("the connection's two ends are not among the %d sockets: %+v", len(socks), socks)
	}
	for _, s := range []*diagSocket{client, server} {
		if s.Src != lo || s.Dst != lo || s.State != 1 || s.Inode == 0 || s.Cookie == 0 || s.SegsIn == 0 || s.SegsOut == 0 {
			t.Errorf("socket %+v: want an established socket 127.0.0.1 to 127.0.0.1 held by a process (inode), with a cookie and segments", *s)
		}
		if s.headerBytes() != 52 || s.synExtra() != 8 {
			t.Errorf("socket options %#x: header %d and SYN extra %d bytes, want 52 and 8 (timestamps, SACK, window scaling)", s.Options, s.headerBytes(), s.synExtra())
		}
	}
	if client.Cookie == server.Cookie || client.Inode == server.Inode {
		t.Errorf("the two ends share a cookie or an inode: %+v %+v", *client, *server)
	}

	// Destroy notifications: sequence number 0, no inode (no process
	// holds a destroyed socket), the final counters, in which each end's
	// FIN counts one byte received.
	final := map[uint64]diagSocket{}
	for _, d := range datagrams(t, "destroy.bin") {
		if _, err := parseDiag(d, 0, func(s *diagSocket) { final[s.Cookie] = *s }); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []struct {
		end        *diagSocket
		sent, recv uint64
	}{{client, 100000, 5001}, {server, 5000, 100001}} {
		f, ok := final[want.end.Cookie]
		if !ok {
			t.Errorf("no destroy notification for cookie %#x", want.end.Cookie)
			continue
		}
		if f.Inode != 0 || f.BytesSent != want.sent || f.BytesReceived != want.recv || f.SegsOut < want.end.SegsOut || f.SegsIn < want.end.SegsIn {
			t.Errorf("destroyed %+v: want no inode, %d sent, %d received, at least the segments dumped before", f, want.sent, want.recv)
		}
	}
}

// diagMsg builds one SOCK_DIAG_BY_FAMILY message as the kernel sends it;
// info nil leaves out INET_DIAG_INFO.
func diagMsg(seq uint32, family uint8, src, dst netip.Addr, cookie uint64, inode uint32, info []byte) []byte {
	ne := binary.NativeEndian
	body := make([]byte, diagMsgLen)
	body[0], body[1] = family, 1
	s, d := src.As16(), dst.As16()
	if family == afInet {
		s4, d4 := src.As4(), dst.As4()
		copy(s[:], s4[:])
		copy(d[:], d4[:])
	}
	copy(body[8:], s[:])
	copy(body[24:], d[:])
	ne.PutUint32(body[44:], uint32(cookie))
	ne.PutUint32(body[48:], uint32(cookie>>32))
	ne.PutUint32(body[64:], 1000)
	ne.PutUint32(body[68:], inode)
	// an attribute before the info, to be skipped
	body = ne.AppendUint16(body, 5)
	body = ne.AppendUint16(body, 8) // INET_DIAG_PROTOCOL
	body = append(body, ipprotoTCP, 0, 0, 0)
	if info != nil {
		body = ne.AppendUint16(body, uint16(4+len(info)))
		body = ne.AppendUint16(body, inetDiagInfo)
		body = append(body, info...)
		for len(body)%4 != 0 {
			body = append(body, 0)
		}
	}
	return nlMsg(sockDiagByFamily, seq, body)
}

func nlMsg(typ uint16, seq uint32, body []byte) []byte {
	ne := binary.NativeEndian
	m := ne.AppendUint32(nil, uint32(nlHdrLen+len(body)))
	m = ne.AppendUint16(m, typ)
	m = ne.AppendUint16(m, 2) // NLM_F_MULTI
	m = ne.AppendUint32(m, seq)
	m = ne.AppendUint32(m, 0)
	return append(m, body...)
}

// tcpInfo is a struct tcp_info of n bytes with the given counters.
func tcpInfo(n int, opts uint8, sent, acked, received uint64, out, in uint32) []byte {
	b := make([]byte, n)
	ne := binary.NativeEndian
	b[tcpiOptions] = opts
	ne.PutUint64(b[tcpiBytesAcked:], acked)
	ne.PutUint64(b[tcpiBytesReceived:], received)
	ne.PutUint32(b[tcpiSegsOut:], out)
	ne.PutUint32(b[tcpiSegsIn:], in)
	if n >= tcpiBytesSent+8 {
		ne.PutUint64(b[tcpiBytesSent:], sent)
	}
	return b
}

func TestParseDiag(t *testing.T) {
	v4a, v4b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("198.51.100.7")
	v6a, v6b := netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")
	mapped := netip.MustParseAddr("::ffff:192.0.2.1")
	full := tcpInfo(248, tcpiOptTimestamps|tcpiOptSack|tcpiOptWscale, 5000, 4000, 7000, 10, 12)
	old := tcpInfo(160, 0, 0, 4000, 7000, 10, 12) // Linux 4.6 to 4.18: no bytes_sent
	done := nlMsg(nlDone, 1, make([]byte, 4))
	errMsg := nlMsg(nlError, 1, binary.NativeEndian.AppendUint32(nil, uint32(0xffffffff-12))) // -13, EACCES
	cat := func(ms ...[]byte) []byte {
		var b []byte
		for _, m := range ms {
			b = append(b, m...)
		}
		return b
	}
	tests := []struct {
		name    string
		data    []byte
		want    []diagSocket
		done    bool
		wantErr string
	}{
		{"one IPv4 socket and the end", cat(diagMsg(1, afInet, v4a, v4b, 0x100000002, 77, full), done),
			[]diagSocket{{Cookie: 0x100000002, Inode: 77, UID: 1000, State: 1, Src: v4a, Dst: v4b, BytesSent: 5000, BytesReceived: 7000, SegsOut: 10, SegsIn: 12, Options: 7}}, true, ""},
		{"IPv6 and IPv4-mapped", cat(diagMsg(1, afInet6, v6a, v6b, 3, 0, full), diagMsg(1, afInet6, mapped, mapped, 4, 5, full)),
			[]diagSocket{
				{Cookie: 3, UID: 1000, State: 1, Src: v6a, Dst: v6b, BytesSent: 5000, BytesReceived: 7000, SegsOut: 10, SegsIn: 12, Options: 7},
				{Cookie: 4, Inode: 5, UID: 1000, State: 1, Src: mapped, Dst: mapped, BytesSent: 5000, BytesReceived: 7000, SegsOut: 10, SegsIn: 12, Options: 7},
			}, false, ""},
		{"before Linux 4.19: acknowledged bytes", diagMsg(1, afInet, v4a, v4b, 9, 1, old),
			[]diagSocket{{Cookie: 9, Inode: 1, UID: 1000, State: 1, Src: v4a, Dst: v4b, BytesSent: 4000, BytesReceived: 7000, SegsOut: 10, SegsIn: 12}}, false, ""},
		{"no tcp_info, too short a tcp_info, another family: skipped", cat(diagMsg(1, afInet, v4a, v4b, 1, 1, nil), diagMsg(1, afInet, v4a, v4b, 2, 2, make([]byte, 100)), diagMsg(1, 1, v4a, v4b, 3, 3, full)),
			nil, false, ""},
		{"another dump's messages are skipped", cat(diagMsg(2, afInet, v4a, v4b, 1, 1, full), nlMsg(nlDone, 2, make([]byte, 4))), nil, false, ""},
		{"other message types are skipped", nlMsg(99, 1, make([]byte, 8)), nil, false, ""},
		{"refused", errMsg, nil, false, "kernel answered error 13"},
		{"truncated header", make([]byte, 10), nil, false, "want a 16-byte header"},
		{"length past the end", cat(diagMsg(1, afInet, v4a, v4b, 1, 1, full))[:100], nil, false, "does not fit"},
		{"short body", nlMsg(sockDiagByFamily, 1, make([]byte, 40)), nil, false, "want at least 72"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []diagSocket
			done, err := parseDiag(tt.data, 1, func(s *diagSocket) { got = append(got, *s) })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if done != tt.done {
				t.Errorf("done = %v, want %v", done, tt.done)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d sockets %+v, want %d", len(got), got, len(tt.want))
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("socket %d:\n got %+v\nwant %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestHeaderBytes(t *testing.T) {
	tests := []struct {
		src      string
		opts     uint8
		hdr, syn uint64
	}{
		{"192.0.2.1", tcpiOptTimestamps | tcpiOptSack | tcpiOptWscale, 52, 8},
		{"::ffff:192.0.2.1", tcpiOptTimestamps | tcpiOptWscale, 52, 8},
		{"2001:db8::1", tcpiOptTimestamps | tcpiOptSack | tcpiOptWscale, 72, 8},
		{"192.0.2.1", tcpiOptSack | tcpiOptWscale, 40, 12},
		{"192.0.2.1", tcpiOptSack, 40, 8},
		{"192.0.2.1", 0, 40, 4},
	}
	for _, tt := range tests {
		s := diagSocket{Src: netip.MustParseAddr(tt.src), Options: tt.opts}
		if h, x := s.headerBytes(), s.synExtra(); h != tt.hdr || x != tt.syn {
			t.Errorf("%s options %#x: header %d, SYN extra %d; want %d, %d", tt.src, tt.opts, h, x, tt.hdr, tt.syn)
		}
	}
}

// FuzzParseDiag: no input makes the parser panic or read past a message,
// and every socket it reports has addresses of its family.
func FuzzParseDiag(f *testing.F) {
	v4a, v4b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("198.51.100.7")
	f.Add(diagMsg(1, afInet, v4a, v4b, 1, 2, tcpInfo(248, 1, 1, 2, 3, 4, 5)), uint32(1))
	f.Add(diagMsg(1, afInet6, v4a, v4b, 1, 2, tcpInfo(160, 1, 1, 2, 3, 4, 5)), uint32(1))
	f.Add(nlMsg(nlError, 0, make([]byte, 4)), uint32(0))
	if b, err := os.ReadFile(filepath.Join("testdata", "sockdiag", "dump-v4.bin")); err == nil && len(b) > 4 {
		f.Add(b[4:], uint32(7))
	}
	f.Fuzz(func(t *testing.T, data []byte, seq uint32) {
		parseDiag(data, seq, func(s *diagSocket) {
			if !s.Src.IsValid() || !s.Dst.IsValid() || s.Src.Is4() != s.Dst.Is4() {
				t.Errorf("socket with addresses %v and %v", s.Src, s.Dst)
			}
		})
	})
}

// TestDiagRequests checks the two dump requests field by field against
// the kernel's structs (inet_diag_req_v2, and inet_diag_req for the dump
// of both families).
func TestDiagRequests(t *testing.T) {
	ne := binary.NativeEndian
	v2 := diagDumpRequest(5, afInet6)
	if ne.Uint32(v2[0:]) != 72 || ne.Uint16(v2[4:]) != 20 || ne.Uint16(v2[6:]) != 0x301 || ne.Uint32(v2[8:]) != 5 {
		t.Errorf("inet_diag_req_v2 header % x", v2[:16])
	}
	if r := v2[16:]; r[0] != 10 || r[1] != 6 || r[2] != 2 || ne.Uint32(r[4:]) != 0xbb6 {
		t.Errorf("inet_diag_req_v2 % x: want family 10, protocol 6, ext INET_DIAG_INFO (2), states 0xbb6", r[:8])
	}
	all := diagDumpAllRequest(6)
	if ne.Uint32(all[0:]) != 76 || ne.Uint16(all[4:]) != 18 || ne.Uint16(all[6:]) != 0x301 || ne.Uint32(all[8:]) != 6 {
		t.Errorf("inet_diag_req header % x", all[:16])
	}
	// idiag_family, src_len, dst_len, ext; the 48-byte id; states; dbs
	if r := all[16:]; r[0] != 0 || r[3] != 2 || ne.Uint32(r[52:]) != 0xbb6 || ne.Uint32(r[56:]) != 0 {
		t.Errorf("inet_diag_req % x: want ext INET_DIAG_INFO (2) and states 0xbb6 after the socket id", r)
	}
}
