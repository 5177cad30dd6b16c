package counter

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var validKinds = []Kind{KindEthernet, KindWiFi, KindCellular, KindLoopback, KindVirtual, KindTunnel, KindOther}

func FuzzParseProcNetDev(f *testing.F) {
	f.Add(readFixture(f, "proc/net/dev"))
	f.Add([]byte(procHeader + "  eth0:4294967296 3000000    0    0    0     0          0         0 17179869184 4000000   0    0    0     0       0          0\n"))
	f.Add([]byte("x: 1 2 3 4 5 6 7 8 9\r\n\n"))
	f.Add([]byte("lo: 18446744073709551615 0 0 0 0 0 0 0 18446744073709551616\n"))
	f.Add([]byte(":::\n|\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ParseProcNetDev(data, nil)
		if err != nil {
			if !strings.Contains(err.Error(), "/proc/net/dev line ") {
				t.Fatalf("error does not name the line: %v", err)
			}
			return
		}
		if n := bytes.Count(data, []byte("\n")) + 1; len(got) > n {
			t.Fatalf("%d counters from %d lines", len(got), n)
		}
		for _, c := range got {
			if c.Name == "" || strings.ContainsAny(c.Name, ": \t\n") {
				t.Fatalf("bad name %q", c.Name)
			}
		}
		// Reusing a previous result, with stale names in the backing
		// array, must give the same counters.
		stale := make([]Counter, len(got)+3)
		for i := range stale {
			stale[i].Name = "stale"
		}
		if len(got) > 0 {
			stale[0].Name = got[0].Name
		}
		again, err := ParseProcNetDev(data, stale[:0])
		if err != nil {
			t.Fatalf("second parse: %v", err)
		}
		if diff := cmp.Diff(got, again, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("reparse differs (-first +second):\n%s", diff)
		}
	})
}

func FuzzDecodeIfList2(f *testing.F) {
	fixture := darwinFixture(f)
	f.Add(fixture)
	f.Add(fixture[:200])
	f.Add(ifinfo2(f, ifinfo{index: 3, ifType: 6, addrs: 0x1 | 0x4 | 0x10,
		trailing: append(make([]byte, 20), sockaddrDL(3, 6, "en1", []byte{1, 2, 3, 4, 5, 6})...)}))
	f.Add(ifinfo2(f, ifinfo{index: 3, ifType: 6, addrs: -1, trailing: make([]byte, 64)}))
	f.Add(newaddr(1))
	f.Fuzz(func(t *testing.T, buf []byte) {
		got, err := decodeIfList2(buf)
		if err != nil {
			return
		}
		if len(got) > len(buf)/ifmSize {
			t.Fatalf("%d records from %d bytes", len(got), len(buf))
		}
		for i := range got {
			d := &got[i]
			if strings.ContainsAny(d.Name, "\x00/") || len(d.Name) > 255 {
				t.Fatalf("bad name %q", d.Name)
			}
			info := darwinInfo(d)
			if !slices.Contains(validKinds, info.Kind) {
				t.Fatalf("kind %q", info.Kind)
			}
			if info.MAC != "" && len(info.MAC) != 17 {
				t.Fatalf("MAC %q", info.MAC)
			}
		}
		// Interning names must not change the result.
		interned, err := appendIfList2(nil, buf, make(nameCache))
		if err != nil {
			t.Fatalf("second decode: %v", err)
		}
		if diff := cmp.Diff(got, interned); diff != "" {
			t.Fatalf("interned decode differs:\n%s", diff)
		}
	})
}

func FuzzDecodeIfmibData(f *testing.F) {
	m := cIfmibdata{Data: cIfData64{Ibytes: 1 << 40, Obytes: 7}}
	f.Add(le(f, m))
	f.Add(make([]byte, 131))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, buf []byte) {
		rx, tx, ok := decodeIfmibData(buf)
		if ok != (len(buf) >= 132) {
			t.Fatalf("ok = %v for %d bytes", ok, len(buf))
		}
		// 116 and 124: offsetof(ifmibdata, ifmd_data) 52 + ifi_ibytes 64
		// and ifi_obytes 72, spelled out independently of the decoder.
		if ok && (rx != binary.LittleEndian.Uint64(buf[116:]) || tx != binary.LittleEndian.Uint64(buf[124:])) {
			t.Fatalf("rx, tx = %d, %d", rx, tx)
		}
		if !ok && (rx != 0 || tx != 0) {
			t.Fatalf("not ok but rx, tx = %d, %d", rx, tx)
		}
	})
}

func FuzzWinRow(f *testing.F) {
	for _, r := range windowsTable() {
		f.Add(r.Alias, r.Description, r.Type, r.Flags, r.OperStatus, r.PhysicalMediumType, r.TransmitLinkSpeed, r.PhysAddr)
	}
	f.Fuzz(func(t *testing.T, alias, desc string, typ uint32, flags uint8, oper, medium uint32, speed uint64, phys []byte) {
		rows := []winRow{
			{LUID: 1, Index: 1, Alias: alias, Description: desc, Type: typ, Flags: flags, OperStatus: oper,
				PhysicalMediumType: medium, TransmitLinkSpeed: speed, PhysAddr: phys, InOctets: 1, OutOctets: 2},
			// The same row again under another LUID: its name must differ.
			{LUID: 2, Index: 2, Alias: alias, Description: desc, Type: typ, Flags: flags, OperStatus: oper,
				PhysicalMediumType: medium, TransmitLinkSpeed: speed, PhysAddr: phys, InOctets: 1, OutOctets: 2},
		}
		got := selectWinRows(newWinSelector(), rows)
		if flags&winFlagFilter != 0 && len(got) != 0 {
			t.Fatalf("filter row kept: %+v", got)
		}
		if len(got) == 2 && got[0].Name == got[1].Name {
			t.Fatalf("duplicate name %q", got[0].Name)
		}
		for _, c := range got {
			if c.Name == "" {
				t.Fatal("empty name")
			}
		}
		info := winInfo(&rows[0], "x")
		if !slices.Contains(validKinds, info.Kind) || (info.MAC != "" && len(info.MAC) != 17) {
			t.Fatalf("winInfo = %+v", info)
		}
	})
}

func FuzzClassifyName(f *testing.F) {
	for _, s := range []string{"eth0", "eth0.1", "lo", "veth0", "ap1", "", "wlan0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		kind, ok := ClassifyName(name)
		if !slices.Contains(validKinds, kind) || (!ok && kind != KindOther) {
			t.Fatalf("ClassifyName(%q) = %q, %v", name, kind, ok)
		}
	})
}
