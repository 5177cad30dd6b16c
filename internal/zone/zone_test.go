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
		// TZ naming a file: Go loads that file.
		{"TZ :/etc/localtime is TZ unset", Sources{TZSet: true, TZValue: ":/etc/localtime", LinkTarget: "/usr/share/zoneinfo/Europe/Berlin"}, "Europe/Berlin"},
		{"TZ /etc/localtime, a copy", Sources{TZSet: true, TZValue: "/etc/localtime", Localtime: berlin, Zoneinfo: zoneinfo}, "Europe/Berlin"},
		{"TZ path linked into zoneinfo", Sources{TZSet: true, TZValue: "/opt/tz/here", TZTarget: "/usr/share/zoneinfo/Europe/London", TZFile: readFixture(t, "Europe/London")}, "Europe/London"},
		{"TZ path, a copy", Sources{TZSet: true, TZValue: "/opt/tz/here", TZTarget: "/opt/tz/here", TZFile: berlin, Zoneinfo: zoneinfo}, "Europe/Berlin"},
		{"TZ path, a file of no zone", Sources{TZSet: true, TZValue: "/opt/tz/here", TZTarget: "/opt/tz/here", TZFile: append([]byte("TZif"), 1, 2, 3), Zoneinfo: zoneinfo}, ""},
		{"TZ path that is no file: Go uses UTC", Sources{TZSet: true, TZValue: "/opt/tz/none", Zoneinfo: zoneinfo}, "UTC"},
		// A copied /etc/localtime beats a stale /etc/timezone (Debian
		// images ship Etc/UTC there); one that agrees is taken as named.
		{"copy beats stale /etc/timezone", Sources{EtcTimezone: "Etc/UTC\n", Localtime: berlin, Zoneinfo: zoneinfo}, "Europe/Berlin"},
		{"/etc/timezone agreeing with the copy", Sources{EtcTimezone: "Europe/London\n", Localtime: readFixture(t, "GB"), Zoneinfo: zoneinfo}, "Europe/London"},
		{"/etc/timezone against a copy of no zone", Sources{EtcTimezone: "Etc/UTC\n", Localtime: append([]byte("TZif"), 1, 2, 3), Zoneinfo: zoneinfo}, ""},
		// A link outside any zoneinfo tree: its bytes.
		{"link elsewhere, bytes match", Sources{LinkTarget: "/etc/zones/current", Localtime: berlin, Zoneinfo: zoneinfo}, "Europe/Berlin"},
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

// The reader follows a chain of links to the zone file, and reads the
// bytes of a link it cannot name.
func TestReadSources(t *testing.T) {
	dir := t.TempDir()
	zi := dir + "/usr/share/zoneinfo"
	for _, d := range []string{zi + "/Europe", dir + "/etc/alternatives", dir + "/opt"} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	berlin := readFixture(t, "Europe/Berlin")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(zi+"/Europe/Berlin", berlin, 0o644))
	must(os.WriteFile(dir+"/opt/myzone", berlin, 0o644))
	must(os.Symlink(zi+"/Europe/Berlin", dir+"/etc/alternatives/localtime"))
	must(os.Symlink(dir+"/etc/alternatives/localtime", dir+"/etc/chained"))
	must(os.Symlink(dir+"/opt/myzone", dir+"/etc/elsewhere"))
	must(os.WriteFile(dir+"/etc/timezone", []byte("Etc/UTC\n"), 0o644))
	noTZ := func(string) (string, bool) { return "", false }
	for _, tc := range []struct {
		name, localtime string
		env             func(string) (string, bool)
		want            string
	}{
		{"chain of links", dir + "/etc/chained", noTZ, "Europe/Berlin"},
		{"link elsewhere", dir + "/etc/elsewhere", noTZ, "Europe/Berlin"},
		{"TZ path elsewhere", dir + "/etc/none", func(string) (string, bool) { return dir + "/etc/elsewhere", true }, "Europe/Berlin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := readSources(tc.env, tc.localtime, dir+"/etc/timezone", []string{zi})
			if got := Resolve(src); got != tc.want {
				t.Errorf("Resolve = %q, want %q (sources %+v)", got, tc.want, src)
			}
		})
	}
}
