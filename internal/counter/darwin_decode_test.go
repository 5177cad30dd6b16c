package counter

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The fixtures here are built independently of darwin_decode.go's offset
// constants: Go mirrors of the C structs, with the C compiler's padding
// written out as blank fields, serialized by encoding/binary (which packs
// fields with no padding of its own). If the mirrors and the decoder
// disagree, the tests fail.

// cIfData64 mirrors struct if_data64 (xnu bsd/net/if_var.h), 128 bytes.
type cIfData64 struct {
	Type, Typelen, Physical, Addrlen, Hdrlen, Recvquota, Xmitquota, Unused1 uint8
	Mtu, Metric                                                             uint32
	Baudrate                                                                uint64
	Ipackets, Ierrors, Opackets, Oerrors, Collisions                        uint64
	Ibytes, Obytes                                                          uint64
	Imcasts, Omcasts, Iqdrops, Noproto                                      uint64
	Recvtiming, Xmittiming                                                  uint32
	LastchangeSec, LastchangeUsec                                           int32
}

// cIfMsghdr2 mirrors struct if_msghdr2 (xnu bsd/net/if.h), 160 bytes.
type cIfMsghdr2 struct {
	Msglen    uint16
	Version   uint8
	Type      uint8
	Addrs     int32
	Flags     int32
	Index     uint16
	_         [2]byte // int alignment of ifm_snd_len
	SndLen    int32
	SndMaxlen int32
	SndDrops  int32
	Timer     int32
	Data      cIfData64
}

// cIfmibdata mirrors struct ifmibdata (xnu bsd/net/if_mib.h), 180 bytes:
// if_data64 is under #pragma pack(4), so it starts at 52, not 56.
type cIfmibdata struct {
	Name      [16]byte
	Pcount    uint32
	Flags     uint32
	SndLen    uint32
	SndMaxlen uint32
	SndDrops  uint32
	Filler    [4]uint32
	Data      cIfData64
}

func TestDarwinStructSizes(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    any
		want int
	}{
		{"if_data64", cIfData64{}, 128},
		{"if_msghdr2", cIfMsghdr2{}, 160},
		{"ifmibdata", cIfmibdata{}, 180},
	} {
		if got := binary.Size(tc.v); got != tc.want {
			t.Errorf("sizeof(%s) = %d, want %d", tc.name, got, tc.want)
		}
	}
}

func le(t testing.TB, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := binary.Write(&b, binary.LittleEndian, v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// sockaddrDL builds a struct sockaddr_dl: 8 bytes of header, then the name
// and the address in sdl_data (at least 12 bytes), padded like xnu does to a
// multiple of 4.
func sockaddrDL(index uint16, ifType uint8, name string, addr []byte) []byte {
	data := append([]byte(name), addr...)
	for len(data) < 12 {
		data = append(data, 0)
	}
	sa := []byte{byte(8 + len(data)), afLink, byte(index), byte(index >> 8), ifType, byte(len(name)), byte(len(addr)), 0}
	sa = append(sa, data...)
	for len(sa)%4 != 0 {
		sa = append(sa, 0)
	}
	return sa
}

type ifinfo struct {
	index    uint16
	flags    int32
	ifType   uint8
	baud     uint64
	rx, tx   uint64
	addrs    int32 // RTA_* bits; 0x10 (RTA_IFP) for a normal record
	trailing []byte
}

// ifinfo2 builds one RTM_IFINFO2 message.
func ifinfo2(t testing.TB, in ifinfo) []byte {
	hdr := cIfMsghdr2{
		Version: 5,
		Type:    0x12,
		Addrs:   in.addrs,
		Flags:   in.flags,
		Index:   in.index,
		Data: cIfData64{
			Type: in.ifType, Baudrate: in.baud, Ibytes: in.rx, Obytes: in.tx,
			Ipackets: 1111, Opackets: 2222, Mtu: 1500,
		},
	}
	hdr.Msglen = uint16(160 + len(in.trailing))
	return append(le(t, hdr), in.trailing...)
}

// newaddr builds an RTM_NEWADDR message (struct ifa_msghdr, 20 bytes, then
// a sockaddr_in), which decodeIfList2 must skip.
func newaddr(index uint16) []byte {
	m := make([]byte, 20+16)
	binary.LittleEndian.PutUint16(m[0:], uint16(len(m)))
	m[2], m[3] = 5, 0xc // RTM_VERSION, RTM_NEWADDR
	binary.LittleEndian.PutUint32(m[4:], 0x4)
	binary.LittleEndian.PutUint16(m[16:], index)
	m[20], m[21] = 16, 2 // sockaddr_in: len, AF_INET
	return m
}

func darwinFixture(t testing.TB) []byte {
	mac := []byte{0xa4, 0x83, 0xe7, 0x01, 0x02, 0x03}
	var buf []byte
	buf = append(buf, ifinfo2(t, ifinfo{index: 1, flags: 0x8049, ifType: 0x18, rx: 1 << 20, tx: 1 << 20, addrs: 0x10,
		trailing: sockaddrDL(1, 0x18, "lo0", nil)})...)
	buf = append(buf, newaddr(1)...)
	buf = append(buf, ifinfo2(t, ifinfo{index: 4, flags: 0x8863, ifType: 0x6, baud: 1_000_000_000, rx: 5 << 32, tx: 3, addrs: 0x10,
		trailing: sockaddrDL(4, 0x6, "en0", mac)})...)
	buf = append(buf, newaddr(4)...)
	buf = append(buf, ifinfo2(t, ifinfo{index: 12, flags: 0x8051, ifType: 0x1, rx: 7, tx: 8, addrs: 0x10,
		trailing: sockaddrDL(12, 0x1, "utun0", nil)})...)
	buf = append(buf, ifinfo2(t, ifinfo{index: 9, flags: 0x8863, ifType: 0x6, addrs: 0x10,
		trailing: sockaddrDL(9, 0x6, "awdl0", []byte{0x0a, 0, 0, 0, 0, 1})})...)
	buf = append(buf, ifinfo2(t, ifinfo{index: 14, flags: 0x8863, ifType: 0xff, rx: 100, tx: 200, addrs: 0x10,
		trailing: sockaddrDL(14, 0xff, "pdp_ip0", nil)})...)
	// A 14-character name: sdl_data grows past its nominal 12 bytes.
	buf = append(buf, ifinfo2(t, ifinfo{index: 20, flags: 0x8863, ifType: 0xd1, addrs: 0x10,
		trailing: sockaddrDL(20, 0xd1, "bridge10000000", []byte{1, 2, 3, 4, 5, 6})})...)
	return buf
}

func TestDecodeIfList2(t *testing.T) {
	got, err := decodeIfList2(darwinFixture(t))
	if err != nil {
		t.Fatal(err)
	}
	want := []darwinIf{
		{Index: 1, Flags: 0x8049, Type: 0x18, Name: "lo0", RxBytes: 1 << 20, TxBytes: 1 << 20},
		{Index: 4, Flags: 0x8863, Type: 0x6, Name: "en0", MAC: [6]byte{0xa4, 0x83, 0xe7, 1, 2, 3}, HasMAC: true,
			Baudrate: 1_000_000_000, RxBytes: 5 << 32, TxBytes: 3},
		{Index: 12, Flags: 0x8051, Type: 0x1, Name: "utun0", RxBytes: 7, TxBytes: 8},
		{Index: 9, Flags: 0x8863, Type: 0x6, Name: "awdl0", MAC: [6]byte{0x0a, 0, 0, 0, 0, 1}, HasMAC: true},
		{Index: 14, Flags: 0x8863, Type: 0xff, Name: "pdp_ip0", RxBytes: 100, TxBytes: 200},
		{Index: 20, Flags: 0x8863, Type: 0xd1, Name: "bridge10000000", MAC: [6]byte{1, 2, 3, 4, 5, 6}, HasMAC: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decodeIfList2 (-want +got):\n%s", diff)
	}

	var infos []Info
	for i := range got {
		infos = append(infos, darwinInfo(&got[i]))
	}
	wantInfos := []Info{
		{Name: "lo0", Kind: KindLoopback, Bits: 64},
		{Name: "en0", MAC: "a4:83:e7:01:02:03", Kind: KindEthernet, SpeedBits: 1_000_000_000, Bits: 64},
		{Name: "utun0", Kind: KindTunnel, Bits: 64},
		{Name: "awdl0", MAC: "0a:00:00:00:00:01", Kind: KindVirtual, Bits: 64},
		{Name: "pdp_ip0", Kind: KindCellular, Bits: 64},
		{Name: "bridge10000000", MAC: "01:02:03:04:05:06", Kind: KindVirtual, Bits: 64},
	}
	if diff := cmp.Diff(wantInfos, infos); diff != "" {
		t.Errorf("darwinInfo (-want +got):\n%s", diff)
	}
}

func TestDecodeIfList2Names(t *testing.T) {
	buf := darwinFixture(t)
	names := make(nameCache)
	ifs, err := appendIfList2(nil, buf, names)
	if err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(50, func() {
		ifs, err = appendIfList2(ifs[:0], buf, names)
	})
	if err != nil || allocs != 0 {
		t.Errorf("steady-state decode: %v allocations, err %v; want 0, nil", allocs, err)
	}
}

func TestDecodeIfList2Sockaddrs(t *testing.T) {
	// The RTA_IFP address after two others (RTA_DST, RTA_NETMASK), one of
	// them zero-length, which xnu still pads to 4 bytes.
	sin := []byte{16, 2, 0, 0, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}
	trailing := append(append(append([]byte{}, sin...), 0, 0, 0, 0), sockaddrDL(3, 6, "en1", nil)...)
	buf := ifinfo2(t, ifinfo{index: 3, ifType: 6, addrs: 0x1 | 0x4 | 0x10, trailing: trailing})
	got, err := decodeIfList2(buf)
	if err != nil || len(got) != 1 || got[0].Name != "en1" {
		t.Errorf("decodeIfList2 = %+v, %v; want en1", got, err)
	}

	// No RTA_IFP: the record is kept without a name (the reader asks
	// net.InterfaceByIndex).
	buf = ifinfo2(t, ifinfo{index: 3, ifType: 6, rx: 5})
	got, err = decodeIfList2(buf)
	if err != nil || len(got) != 1 || got[0].Name != "" || got[0].RxBytes != 5 {
		t.Errorf("decodeIfList2 = %+v, %v; want one unnamed record", got, err)
	}

	// A sockaddr that claims more than the message holds.
	bad := sockaddrDL(3, 6, "en1", nil)
	bad[5] = 40
	buf = ifinfo2(t, ifinfo{index: 3, ifType: 6, addrs: 0x10, trailing: bad})
	got, err = decodeIfList2(buf)
	if err != nil || len(got) != 1 || got[0].Name != "" {
		t.Errorf("decodeIfList2 = %+v, %v; want one unnamed record", got, err)
	}
}

func TestDecodeIfList2Errors(t *testing.T) {
	good := ifinfo2(t, ifinfo{index: 4, ifType: 6, addrs: 0x10, trailing: sockaddrDL(4, 6, "en0", nil)})
	version := bytes.Clone(good)
	version[2] = 4
	short := bytes.Clone(good[:40])
	binary.LittleEndian.PutUint16(short, 40)
	for _, tc := range []struct {
		name, want string
		buf        []byte
	}{
		{"cut in the middle", "truncated", good[:len(good)-1]},
		{"three bytes", "truncated", good[:3]},
		{"zero length", "truncated", make([]byte, 8)},
		{"other version", "version 4", version},
		{"header too short", "RTM_IFINFO2 of 40 bytes", short},
	} {
		if _, err := decodeIfList2(tc.buf); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	if got, err := decodeIfList2(nil); err != nil || len(got) != 0 {
		t.Errorf("decodeIfList2(nil) = %v, %v", got, err)
	}
}

func TestDecodeIfmibData(t *testing.T) {
	m := cIfmibdata{Data: cIfData64{Type: 6, Ibytes: 6 << 32, Obytes: 1<<63 + 5, Ipackets: 1, Opackets: 2}}
	copy(m.Name[:], "en0")
	buf := le(t, m)
	rx, tx, ok := decodeIfmibData(buf)
	if !ok || rx != 6<<32 || tx != 1<<63+5 {
		t.Errorf("decodeIfmibData = %d, %d, %v; want %d, %d, true", rx, tx, ok, uint64(6<<32), uint64(1<<63+5))
	}
	// Only the counters need to be there.
	if _, _, ok := decodeIfmibData(buf[:52+80]); !ok {
		t.Error("decodeIfmibData of 132 bytes: not ok")
	}
	if _, _, ok := decodeIfmibData(buf[:52+80-1]); ok {
		t.Error("decodeIfmibData of 131 bytes: ok")
	}
	if _, _, ok := decodeIfmibData(nil); ok {
		t.Error("decodeIfmibData(nil): ok")
	}
}

func TestDarwinKind(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ifType uint8
		flags  uint32
		want   Kind
	}{
		{"lo0", 0x18, 0x8049, KindLoopback},
		{"weird", 0x6, 0x8, KindLoopback}, // IFF_LOOPBACK
		{"en0", 0x6, 0, KindEthernet},
		{"en7", 0x6, 0, KindEthernet},
		{"mystery", 0x6, 0, KindEthernet},
		{"wlan", 0x47, 0, KindWiFi},
		{"pdp_ip0", 0xff, 0, KindCellular},
		{"utun4", 0x1, 0, KindTunnel},
		{"ipsec0", 0x1, 0, KindTunnel},
		{"ppp0", 0x17, 0, KindTunnel},
		{"gif0", 0x37, 0, KindTunnel},
		{"stf0", 0x39, 0, KindTunnel},
		{"bridge0", 0xd1, 0, KindVirtual},
		{"vlan0", 0x87, 0, KindVirtual},
		{"bond0", 0x88, 0, KindVirtual},
		{"awdl0", 0x6, 0, KindVirtual},
		{"llw0", 0x6, 0, KindVirtual},
		{"anpi0", 0x6, 0, KindVirtual},
		{"ap1", 0x6, 0, KindVirtual},
		{"vmenet0", 0x6, 0, KindVirtual},
		{"x0", 0x1, 0, KindOther},
	} {
		if got := darwinKind(tc.name, tc.ifType, tc.flags); got != tc.want {
			t.Errorf("darwinKind(%q, %#x, %#x) = %q, want %q", tc.name, tc.ifType, tc.flags, got, tc.want)
		}
	}
}
