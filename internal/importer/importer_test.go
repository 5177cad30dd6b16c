package importer

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/usage"
)

func TestParseLocal(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"2026-03-05 10:00:01", time.Date(2026, 3, 5, 10, 0, 1, 0, ny)},
		{"2026-03-05 10:00:01.123456", time.Date(2026, 3, 5, 10, 0, 1, 123456000, ny)},
		{"2026-03-05T10:00:01", time.Date(2026, 3, 5, 10, 0, 1, 0, ny)},
		{"2026-03-05", time.Date(2026, 3, 5, 0, 0, 0, 0, ny)},
		{" 2026-11-01 01:30:00 ", time.Date(2026, 11, 1, 1, 30, 0, 0, ny)},
	} {
		got, err := parseLocal(tc.in, ny)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("parseLocal(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "yesterday", "2026-13-01", "05/03/2026"} {
		if _, err := parseLocal(bad, ny); err == nil {
			t.Errorf("parseLocal(%q) accepted", bad)
		}
	}
}

// TestRemainder: a coarser row adds only what the finer rows of its span do
// not account for, and never a negative amount.
func TestRemainder(t *testing.T) {
	day := time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)
	h := &History{pieces: []piece{{iface: "e", from: day.Add(time.Hour), to: day.Add(75 * time.Minute), t: usage.Totals{Rx: 30, Tx: 3}}}}
	addLevel(h, "day", []levelRow{
		{iface: "e", from: day, to: day.Add(24 * time.Hour), t: usage.Totals{Rx: 100, Tx: 1}}, // tx below the finer rows
		{iface: "f", from: day, to: day.Add(24 * time.Hour), t: usage.Totals{Rx: 5}},          // another interface
	}, atStart)
	s := h.Summary(time.UTC)
	if s.Totals != (usage.Totals{Rx: 105, Tx: 3}) {
		t.Fatalf("totals %+v, want rx 105 tx 3", s.Totals)
	}
}

// FuzzRead: any file is read or refused with an error, never a panic.
func FuzzRead(f *testing.F) {
	f.Add([]byte("SQLite format 3\x00garbage"))
	f.Add([]byte("not sqlite"))
	f.Add([]byte{})
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, "f.db")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		for _, src := range []string{PacketBuddy, VnStat} {
			if _, err := Read(context.Background(), src, p, time.UTC); err != nil && strings.Contains(err.Error(), "\n") {
				t.Fatalf("error of more than one line: %q", err)
			}
		}
	})
}

// TestClaim: with no device_id file, this machine's device is found by an
// earlier import's record, the store's device id, the host name (when only
// one device has it) or, after an older pb's import, the devices table's
// first; recorded devices keep their interfaces.
func TestClaim(t *testing.T) {
	devs := func() []Device {
		return []Device{
			{ID: "dev-a", Hostname: "laptop", Iface: "packetbuddy-v1@laptop", listed: true},
			{ID: "dev-b", Hostname: "desktop", Iface: "packetbuddy-v1@desktop", listed: true},
			{ID: "dev-c", Hostname: "Desktop", Iface: "packetbuddy-v1@Desktop", listed: true},
		}
	}
	for _, tc := range []struct {
		name  string
		hints Hints
		want  []string // interface of dev-a, dev-b, dev-c
	}{
		{"none", Hints{Hostname: "server"}, []string{"packetbuddy-v1@laptop", "packetbuddy-v1@desktop", "packetbuddy-v1@Desktop"}},
		{"host name", Hints{Hostname: "LAPTOP"}, []string{"packetbuddy-v1", "packetbuddy-v1@desktop", "packetbuddy-v1@Desktop"}},
		{"host name of two", Hints{Hostname: "desktop"}, []string{"packetbuddy-v1@laptop", "packetbuddy-v1@desktop", "packetbuddy-v1@Desktop"}},
		{"store device id", Hints{Hostname: "laptop", DeviceID: "dev-b"}, []string{"packetbuddy-v1@laptop", "packetbuddy-v1", "packetbuddy-v1@Desktop"}},
		{"recorded", Hints{DeviceID: "dev-b", Imported: map[string]string{"packetbuddy-v1": "dev-c", "packetbuddy-v1@old": "dev-a"}},
			[]string{"packetbuddy-v1@old", "packetbuddy-v1@desktop", "packetbuddy-v1"}},
		{"older pb", Hints{Legacy: true}, []string{"packetbuddy-v1", "packetbuddy-v1@desktop", "packetbuddy-v1@Desktop"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &History{Source: PacketBuddy, Devices: devs()}
			for _, d := range h.Devices {
				h.Ifaces = append(h.Ifaces, d.Iface)
				h.pieces = append(h.pieces, piece{iface: d.Iface})
			}
			h.Claim(tc.hints)
			for i, d := range h.Devices {
				if d.Iface != tc.want[i] || h.Ifaces[i] != tc.want[i] || h.pieces[i].iface != tc.want[i] || d.Local != (tc.want[i] == ImportedIface) {
					t.Errorf("%s: %+v (list %s, piece %s), want %s", d.ID, d, h.Ifaces[i], h.pieces[i].iface, tc.want[i])
				}
			}
		})
	}
}
