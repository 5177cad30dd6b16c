package zone

import (
	"os"
	"strings"
	"testing"
	"time"
)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/zoneinfo/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Each OS's sources as the OS gives them, and the name pb reports.
func TestResolve(t *testing.T) {
	zoneinfo := os.DirFS("testdata/zoneinfo")
	berlin := readFixture(t, "Europe/Berlin")
	tests := []struct {
		name string
		src  Sources
		want string
	}{
		// Linux
		{"linux link", Sources{LinkTarget: "/usr/share/zoneinfo/Europe/Berlin"}, "Europe/Berlin"},
		{"linux relative link", Sources{LinkTarget: "../usr/share/zoneinfo/America/New_York"}, "America/New_York"},
		{"linux posix link", Sources{LinkTarget: "/usr/share/zoneinfo/posix/Asia/Kolkata"}, "Asia/Kolkata"},
		{"linux UTC link", Sources{LinkTarget: "/usr/share/zoneinfo/Etc/UTC"}, "Etc/UTC"},
		{"debian /etc/timezone", Sources{EtcTimezone: "Asia/Kathmandu\n"}, "Asia/Kathmandu"},
		{"/etc/timezone with a comment", Sources{EtcTimezone: "# set by the installer\n\nAmerica/Sao_Paulo\n"}, "America/Sao_Paulo"},
		{"link wins over /etc/timezone", Sources{LinkTarget: "/usr/share/zoneinfo/Europe/Paris", EtcTimezone: "Europe/Rome\n"}, "Europe/Paris"},
		{"copied localtime", Sources{Localtime: berlin, Zoneinfo: zoneinfo}, "Europe/Berlin"},
		{"copied localtime, alias GB", Sources{Localtime: readFixture(t, "GB"), Zoneinfo: zoneinfo}, "Europe/London"},
		{"copied UTC", Sources{Localtime: readFixture(t, "UTC"), Zoneinfo: zoneinfo}, "Etc/UTC"},
		{"copied, no match", Sources{Localtime: append([]byte("TZif"), 1, 2, 3), Zoneinfo: zoneinfo}, ""},
		// TZ, on every OS
		{"TZ name", Sources{TZSet: true, TZValue: "Asia/Tokyo", LinkTarget: "/usr/share/zoneinfo/Europe/Berlin"}, "Asia/Tokyo"},
		{"TZ colon", Sources{TZSet: true, TZValue: ":Australia/Lord_Howe"}, "Australia/Lord_Howe"},
		{"TZ path", Sources{TZSet: true, TZValue: "/usr/share/zoneinfo/Pacific/Chatham"}, "Pacific/Chatham"},
		{"TZ empty is UTC", Sources{TZSet: true, LinkTarget: "/usr/share/zoneinfo/Europe/Berlin"}, "UTC"},
		{"TZ POSIX rule: Go uses UTC", Sources{TZSet: true, TZValue: "CET-1CEST"}, "UTC"},
		// macOS
		{"macOS link", Sources{LinkTarget: "/var/db/timezone/zoneinfo/Europe/Paris"}, "Europe/Paris"},
		{"macOS default link", Sources{LinkTarget: "/usr/share/zoneinfo.default/Asia/Tokyo"}, "Asia/Tokyo"},
		{"macOS older link", Sources{LinkTarget: "/usr/share/zoneinfo/America/Los_Angeles"}, "America/Los_Angeles"},
		// Windows
		{"windows Berlin", Sources{WindowsKey: "W. Europe Standard Time"}, "Europe/Berlin"},
		{"windows India", Sources{WindowsKey: "India Standard Time"}, "Asia/Kolkata"},
		{"windows Pacific", Sources{WindowsKey: "Pacific Standard Time"}, "America/Los_Angeles"},
		{"windows UTC", Sources{WindowsKey: "UTC"}, "Etc/UTC"},
		{"windows Nepal", Sources{WindowsKey: "Nepal Standard Time"}, "Asia/Kathmandu"},
		{"windows unknown key", Sources{WindowsKey: "Mars Standard Time"}, ""},
		// Nothing known
		{"nothing", Sources{}, ""},
		{"bad link", Sources{LinkTarget: "/etc/some-file"}, ""},
		{"link to an unknown zone", Sources{LinkTarget: "/usr/share/zoneinfo/Mars/Base"}, ""},
		{"link escaping the tree", Sources{LinkTarget: "/usr/share/zoneinfo/../../etc/passwd"}, ""},
		{"garbage /etc/timezone", Sources{EtcTimezone: "Local\n"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Resolve(tc.src); got != tc.want {
				t.Errorf("Resolve = %q, want %q", got, tc.want)
			}
		})
	}
}

// Every entry of the Windows table loads by its IANA name, and the table
// has CLDR's size (139 zones of territory 001).
func TestWindowsTable(t *testing.T) {
	m := windowsZones()
	if len(m) != 139 {
		t.Errorf("%d Windows zones, want 139", len(m))
	}
	for k, v := range m {
		if _, err := time.LoadLocation(v); err != nil {
			t.Errorf("%s → %s: %v", k, v, err)
		}
		if strings.TrimSpace(k) != k || k == "" {
			t.Errorf("bad key %q", k)
		}
	}
}

// Local is loaded by name, so it prints the IANA name, never "Local".
func TestLocalHasAName(t *testing.T) {
	loc := Local()
	if n := Machine(); n != "" && loc.String() != n {
		t.Errorf("Local() = %q, Machine() = %q", loc, n)
	}
	if loc.String() == "Local" && alwaysUTC(time.Local) {
		t.Error(`a UTC machine's zone prints "Local"`)
	}
}
