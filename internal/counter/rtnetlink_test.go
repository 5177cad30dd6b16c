package counter

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// nlAttr is one rtattr: type and value.
type nlAttr struct {
	typ uint16
	val []byte
}

// linkMsg builds an RTM_NEWLINK message the way the kernel lays it out.
func linkMsg(seq, index uint32, flags uint16, attrs ...nlAttr) []byte {
	ne := binary.NativeEndian
	b := make([]byte, nlmsgHdrLen+ifinfomsgLen)
	ne.PutUint16(b[4:], rtmNewLink)
	ne.PutUint16(b[6:], flags)
	ne.PutUint32(b[8:], seq)
	ne.PutUint32(b[nlmsgHdrLen+4:], index)
	for _, a := range attrs {
		h := make([]byte, 4)
		ne.PutUint16(h, uint16(4+len(a.val)))
		ne.PutUint16(h[2:], a.typ)
		b = append(b, h...)
		b = append(b, a.val...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
	}
	ne.PutUint32(b, uint32(len(b)))
	return b
}

func ctrlMsg(typ uint16, seq uint32, payload []byte) []byte {
	ne := binary.NativeEndian
	b := make([]byte, nlmsgHdrLen, nlmsgHdrLen+len(payload))
	b = append(b, payload...)
	ne.PutUint32(b, uint32(len(b)))
	ne.PutUint16(b[4:], typ)
	ne.PutUint32(b[8:], seq)
	return b
}

func ifname(s string) nlAttr { return nlAttr{iflaIfname, append([]byte(s), 0)} }

func stats64(rx, tx uint64) nlAttr {
	v := make([]byte, 8*24)                  // struct rtnl_link_stats64 has 24 or more counters
	binary.NativeEndian.PutUint64(v[0:], 99) // rx_packets
	binary.NativeEndian.PutUint64(v[8:], 98) // tx_packets
	binary.NativeEndian.PutUint64(v[16:], rx)
	binary.NativeEndian.PutUint64(v[24:], tx)
	return nlAttr{iflaStats64, v}
}

func stats32(rx, tx uint32) nlAttr {
	v := make([]byte, 4*24)
	binary.NativeEndian.PutUint32(v[8:], rx)
	binary.NativeEndian.PutUint32(v[12:], tx)
	return nlAttr{iflaStats, v}
}

func concat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func TestParseLinkDump(t *testing.T) {
	mac := nlAttr{1, []byte{2, 0, 0, 0, 0, 1}} // IFLA_ADDRESS: an attribute the parser skips
	tests := []struct {
		name    string
		data    []byte
		want    []Counter
		done    bool
		wantErr string
	}{
		{
			name: "two links then done; 64-bit counters win over 32-bit ones",
			data: concat(
				linkMsg(7, 1, 0, ifname("lo"), stats32(5, 6), stats64(1<<40, 1<<41)),
				linkMsg(7, 12, 0, mac, ifname("usb0"), stats64(1<<64-1, 3)),
				ctrlMsg(nlmsgDone, 7, make([]byte, 4)),
			),
			want: []Counter{{Name: "lo", Index: 1, RxBytes: 1 << 40, TxBytes: 1 << 41}, {Name: "usb0", Index: 12, RxBytes: 1<<64 - 1, TxBytes: 3}},
			done: true,
		},
		{
			name: "32-bit block only (an old kernel); no done yet",
			data: linkMsg(7, 3, 0, ifname("eth0"), stats32(4000000000, 17)),
			want: []Counter{{Name: "eth0", Index: 3, RxBytes: 4000000000, TxBytes: 17}},
		},
		{
			name: "a message of an older dump is skipped",
			data: concat(linkMsg(6, 9, 0, ifname("old"), stats64(1, 1)), linkMsg(7, 4, 0, ifname("new"), stats64(2, 2))),
			want: []Counter{{Name: "new", Index: 4, RxBytes: 2, TxBytes: 2}},
		},
		{
			name:    "interrupted dump",
			data:    linkMsg(7, 4, nlmFDumpIntr, ifname("x"), stats64(2, 2)),
			wantErr: errDumpInterrupted.Error(),
		},
		{
			name:    "kernel error",
			data:    ctrlMsg(nlmsgError, 7, []byte{0xff, 0xff, 0xff, 0xff}),
			wantErr: "link dump: kernel answered error 1",
		},
		{
			name:    "message longer than the datagram",
			data:    linkMsg(7, 4, 0, ifname("x"))[:30],
			wantErr: "parse link dump at byte 0: message length 40 does not fit the 30 bytes left",
		},
		{
			name:    "attribute longer than its message",
			data:    func() []byte { b := linkMsg(7, 4, 0, ifname("x")); b[32] = 200; return b }(),
			wantErr: "parse link dump: interface 4: attribute length 200 does not fit 8 bytes",
		},
		{
			name:    "link message too short for its header, after another message",
			data:    concat(linkMsg(7, 4, 0, ifname("x"), stats64(2, 2)), ctrlMsg(rtmNewLink, 7, make([]byte, 4))),
			wantErr: fmt.Sprintf("parse link dump at byte %d: RTM_NEWLINK of 20 bytes, too short", len(linkMsg(7, 4, 0, ifname("x"), stats64(2, 2)))),
		},
		{
			name:    "link without a name",
			data:    linkMsg(7, 5, 0, stats64(1, 1)),
			wantErr: "parse link dump: interface 5 has no name",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkParse(t, ParseLinkDump, tc.data, tc.want, tc.done, tc.wantErr) })
	}
}

// checkParse runs one dump parser on data after a counter already in dst:
// on success the parsed counters follow it and done is as wanted; on an
// error (exactly wantErr) dst comes back unchanged.
func checkParse(t *testing.T, parse func([]byte, uint32, []Counter) ([]Counter, bool, error), data []byte, want []Counter, wantDone bool, wantErr string) {
	t.Helper()
	got, done, err := parse(data, 7, []Counter{{Name: "kept"}})
	if wantErr != "" {
		if err == nil || err.Error() != wantErr {
			t.Fatalf("err = %v, want %q", err, wantErr)
		}
		if len(got) != 1 || got[0].Name != "kept" {
			t.Fatalf("on error got %+v, want dst unchanged", got)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if done != wantDone {
		t.Errorf("done = %v, want %v", done, wantDone)
	}
	if want := append([]Counter{{Name: "kept"}}, want...); !slices.Equal(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

// TestParseLinkDumpReusesNames: a steady-state poll allocates nothing.
func TestParseLinkDumpReusesNames(t *testing.T) {
	data := concat(linkMsg(1, 1, 0, ifname("lo"), stats64(1, 2)), linkMsg(1, 2, 0, ifname("enp3s0"), stats64(3, 4)), ctrlMsg(nlmsgDone, 1, make([]byte, 4)))
	dst, _, err := ParseLinkDump(data, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() { dst, _, _ = ParseLinkDump(data, 1, dst[:0]) })
	if allocs != 0 || !strings.HasPrefix(dst[1].Name, "enp3s0") {
		t.Fatalf("%v allocations per parse (want 0); got %+v", allocs, dst)
	}
}

func FuzzParseLinkDump(f *testing.F) {
	f.Add(concat(linkMsg(1, 1, 0, ifname("lo"), stats64(1, 2)), ctrlMsg(nlmsgDone, 1, make([]byte, 4))))
	f.Add(linkMsg(1, 3, 0, ifname("eth0"), stats32(1, 2)))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, _, err := ParseLinkDump(data, 1, nil)
		if err != nil && len(got) != 0 {
			t.Fatalf("error %v with %d counters", err, len(got))
		}
		for _, c := range got {
			if c.Name == "" {
				t.Fatalf("nameless counter from %x", data)
			}
		}
	})
}

// statsMsg builds an RTM_NEWSTATS message the way the kernel lays it out.
func statsMsg(seq, index uint32, flags uint16, attrs ...nlAttr) []byte {
	b := linkMsg(seq, index, flags, attrs...)
	ne := binary.NativeEndian
	// An if_stats_msg header is 12 bytes where ifinfomsg has 16: drop 4
	// bytes after the index (the ifinfomsg change field).
	b = append(b[:nlmsgHdrLen+12], b[nlmsgHdrLen+ifinfomsgLen:]...)
	ne.PutUint32(b, uint32(len(b)))
	ne.PutUint16(b[4:], rtmNewStats)
	ne.PutUint32(b[nlmsgHdrLen+8:], 1) // filter_mask: IFLA_STATS_LINK_64
	return b
}

func link64(rx, tx uint64) nlAttr { return nlAttr{iflaStatsLink64, stats64(rx, tx).val} }

func TestParseStatsDump(t *testing.T) {
	other := nlAttr{2, make([]byte, 8)} // IFLA_STATS_LINK_XSTATS: an attribute the parser skips
	tests := []struct {
		name    string
		data    []byte
		want    []Counter
		done    bool
		wantErr string
	}{
		{
			name: "two links then done",
			data: concat(
				statsMsg(7, 1, 0, link64(1<<40, 1<<41)),
				statsMsg(7, 12, 0, other, link64(1<<64-1, 3)),
				ctrlMsg(nlmsgDone, 7, make([]byte, 4)),
			),
			want: []Counter{{Index: 1, RxBytes: 1 << 40, TxBytes: 1 << 41}, {Index: 12, RxBytes: 1<<64 - 1, TxBytes: 3}},
			done: true,
		},
		{
			name: "a message of an older dump is skipped; no done yet",
			data: concat(statsMsg(6, 9, 0, link64(1, 1)), statsMsg(7, 4, 0, link64(2, 2))),
			want: []Counter{{Index: 4, RxBytes: 2, TxBytes: 2}},
		},
		{
			name:    "interrupted dump",
			data:    statsMsg(7, 4, nlmFDumpIntr, link64(2, 2)),
			wantErr: errDumpInterrupted.Error(),
		},
		{
			name:    "refused: a kernel before RTM_GETSTATS",
			data:    ctrlMsg(nlmsgError, 7, []byte{0xa1, 0xff, 0xff, 0xff}),
			wantErr: "stats dump: kernel answered error 95",
		},
		{
			name:    "message too short for its header",
			data:    ctrlMsg(rtmNewStats, 7, make([]byte, 8)),
			wantErr: "parse stats dump at byte 0: RTM_NEWSTATS of 24 bytes, too short",
		},
		{
			name:    "attribute longer than its message",
			data:    func() []byte { b := statsMsg(7, 4, 0, link64(1, 1)); b[28] = 255; return b }(),
			wantErr: "parse stats dump: interface 4: attribute length 255 does not fit 196 bytes",
		},
		{
			name:    "no 64-bit counters",
			data:    statsMsg(7, 5, 0, other),
			wantErr: "parse stats dump: interface 5 has no 64-bit counters",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkParse(t, ParseStatsDump, tc.data, tc.want, tc.done, tc.wantErr) })
	}
	var ke *KernelError
	if _, _, err := ParseStatsDump(tests[3].data, 7, nil); !errors.As(err, &ke) || ke.Errno != 95 {
		t.Errorf("refused dump: %#v, want a *KernelError with errno 95", err)
	}
}

// TestParseStatsDumpAllocs: a steady-state poll allocates nothing.
func TestParseStatsDumpAllocs(t *testing.T) {
	data := concat(statsMsg(1, 1, 0, link64(1, 2)), statsMsg(1, 2, 0, link64(3, 4)), ctrlMsg(nlmsgDone, 1, make([]byte, 4)))
	dst, _, err := ParseStatsDump(data, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if allocs := testing.AllocsPerRun(100, func() { dst, _, _ = ParseStatsDump(data, 1, dst[:0]) }); allocs != 0 || len(dst) != 2 {
		t.Fatalf("%v allocations per parse (want 0); got %+v", allocs, dst)
	}
}

func FuzzParseStatsDump(f *testing.F) {
	f.Add(concat(statsMsg(1, 1, 0, link64(1, 2)), ctrlMsg(nlmsgDone, 1, make([]byte, 4))))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, _, err := ParseStatsDump(data, 1, nil)
		if err != nil && len(got) != 0 {
			t.Fatalf("error %v with %d counters", err, len(got))
		}
	})
}
