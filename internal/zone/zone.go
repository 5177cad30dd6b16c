// Package zone finds the IANA name of the machine's time zone
// ("Europe/Berlin"), which Go's time.Local does not carry (it prints
// "Local"). pb counts days in that zone and names it in the API, the CLI,
// exports and reports, so it must be a name another machine can load.
//
// Where the name comes from, first found wins:
//
//   - TZ, as Go reads it: ":Europe/Berlin", "Europe/Berlin", or a path to a
//     zone file (named like /etc/localtime below; ":/etc/localtime" is TZ
//     unset); set but empty, or naming nothing, means UTC;
//   - where the /etc/localtime symlinks end (Linux:
//     /usr/share/zoneinfo/Europe/Berlin; macOS:
//     /var/db/timezone/zoneinfo/Europe/Berlin);
//   - /etc/timezone (Debian and Ubuntu write the name there), when its file
//     has /etc/localtime's bytes, or there is no /etc/localtime;
//   - a copied /etc/localtime (or a link out of any zoneinfo tree), matched
//     byte for byte against the zoneinfo tree (containers copy the file);
//   - on Windows, the registry's TimeZoneKeyName mapped through CLDR's
//     windowsZones table (windows_zones.txt).
//
// Each source is a pure function of what the OS gave, tested with fixtures
// for each OS; only the readers in sources_*.go touch the system.
package zone

import (
	"bufio"
	"bytes"
	_ "embed"
	"io/fs"
	"path"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // validate names on machines without zoneinfo files
)

// Sources are what the operating system says about its zone; the zero
// value of a field means that source is absent.
type Sources struct {
	TZSet       bool   // TZ is in the environment (even empty)
	TZValue     string // $TZ
	TZTarget    string // for a TZ that is a path: where its links end ("" when unreadable)
	TZFile      []byte // and the bytes of that file
	LinkTarget  string // where the /etc/localtime symlinks end
	EtcTimezone string // the contents of /etc/timezone
	Localtime   []byte // the contents of /etc/localtime
	Zoneinfo    fs.FS  // the system's zoneinfo tree, to match Localtime against
	WindowsKey  string // the registry's TimeZoneKeyName
}

// Resolve returns the IANA zone name the sources give, or "" when none
// does. Every name returned loads with time.LoadLocation.
func Resolve(s Sources) string {
	if s.TZSet && !isEtcLocaltime(s.TZValue) {
		// Go uses TZ whenever it is set: "" and unknown values are UTC.
		tz := strings.TrimPrefix(strings.TrimSpace(s.TZValue), ":")
		if !strings.HasPrefix(tz, "/") {
			if n, ok := FromTZ(tz); ok {
				return n
			}
			return "UTC"
		}
		// A path: Go loads that file, as it does /etc/localtime.
		if n, ok := FromLink(tz); ok {
			return n
		}
		if s.TZFile == nil {
			return "UTC" // no such file: Go falls back to UTC
		}
		return fromFile(s.TZTarget, s.TZFile, "", s.Zoneinfo)
	}
	if s.Localtime == nil && s.LinkTarget == "" {
		if n, ok := FromEtcTimezone(s.EtcTimezone); ok {
			return n
		}
		if n, ok := FromWindows(s.WindowsKey); ok {
			return n
		}
		return ""
	}
	return fromFile(s.LinkTarget, s.Localtime, s.EtcTimezone, s.Zoneinfo)
}

// isEtcLocaltime reports whether TZ names /etc/localtime, which is what
// Go reads when TZ is not set.
func isEtcLocaltime(tz string) bool {
	tz = strings.TrimPrefix(strings.TrimSpace(tz), ":")
	return strings.HasPrefix(tz, "/") && path.Clean(tz) == "/etc/localtime"
}

// fromFile names the zone file Go loads: by where its links end, else by
// /etc/timezone when that names a file of the same bytes, else by the
// bytes matched against the zoneinfo tree. A stale /etc/timezone (Debian
// images ship Etc/UTC while /etc/localtime is a copy of another zone) is
// not taken.
func fromFile(target string, b []byte, etcTimezone string, zoneinfo fs.FS) string {
	if n, ok := FromLink(target); ok {
		return n
	}
	if n, ok := FromEtcTimezone(etcTimezone); ok {
		if b == nil || zoneinfo == nil {
			return n // nothing to check it against
		}
		if z, err := fs.ReadFile(zoneinfo, n); err == nil && bytes.Equal(z, b) {
			return n
		}
	}
	n, _ := MatchLocaltime(b, zoneinfo)
	return n
}

var machine = sync.OnceValue(func() string { return Resolve(systemSources()) })

// Machine returns the IANA name of this machine's zone, or "" when it
// cannot be told; it reads the system once per process.
func Machine() string { return machine() }

// Local returns the machine's zone loaded by its IANA name, so that its
// String() is that name. When the name is unknown it is time.Local, unless
// that zone is UTC all year, which is then time.UTC ("UTC", not "Local").
func Local() *time.Location {
	if n := Machine(); n != "" {
		if loc, err := time.LoadLocation(n); err == nil {
			return loc
		}
	}
	if alwaysUTC(time.Local) {
		return time.UTC
	}
	return time.Local
}

// alwaysUTC reports whether loc has offset 0 in both halves of the year.
func alwaysUTC(loc *time.Location) bool {
	y := time.Now().Year()
	for _, m := range []time.Month{time.January, time.July} {
		if _, off := time.Date(y, m, 1, 12, 0, 0, 0, loc).Zone(); off != 0 {
			return false
		}
	}
	return true
}

// valid reports whether name is a zone time.LoadLocation knows by that
// name ("Local" is not a name).
func valid(name string) bool {
	if name == "" || name == "Local" || strings.HasPrefix(name, "/") || strings.Contains(name, "..") {
		return false
	}
	_, err := time.LoadLocation(name)
	return err == nil
}

// FromTZ reads a TZ value: ":Europe/Berlin", "Europe/Berlin", "UTC", or a
// path into a zoneinfo tree. POSIX rule strings ("CET-1CEST") name no IANA
// zone and give false.
func FromTZ(tz string) (string, bool) {
	tz = strings.TrimPrefix(strings.TrimSpace(tz), ":")
	if tz == "" {
		return "UTC", true
	}
	if strings.HasPrefix(tz, "/") {
		return FromLink(tz) // the file's bytes are Resolve's to read
	}
	if valid(tz) {
		return tz, true
	}
	return "", false
}

// zoneinfoDirs end the directories zone files live under: Linux's
// /usr/share/zoneinfo (also zoneinfo/posix and zoneinfo/right), macOS's
// /var/db/timezone/zoneinfo and /usr/share/zoneinfo.default.
var zoneinfoDirs = []string{"zoneinfo/posix/", "zoneinfo/right/", "zoneinfo.default/", "zoneinfo/"}

// FromLink reads the target of the /etc/localtime symlink (absolute or
// relative): the part after the zoneinfo directory is the name.
func FromLink(target string) (string, bool) {
	target = path.Clean(strings.ReplaceAll(strings.TrimSpace(target), `\`, "/"))
	for _, dir := range zoneinfoDirs {
		if i := strings.LastIndex(target, "/"+dir); i >= 0 {
			if n := target[i+1+len(dir):]; valid(n) {
				return n, true
			}
			return "", false
		}
	}
	return "", false
}

// FromEtcTimezone reads /etc/timezone: the first line that is not a
// comment.
func FromEtcTimezone(content string) (string, bool) {
	sc := bufio.NewScanner(strings.NewReader(content))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if valid(line) {
			return line, true
		}
		return "", false
	}
	return "", false
}

//go:embed windows_zones.txt
var windowsZonesText string

var windowsZones = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for line := range strings.SplitSeq(windowsZonesText, "\n") {
		if k, v, ok := strings.Cut(line, "\t"); ok && !strings.HasPrefix(line, "#") {
			m[k] = v
		}
	}
	return m
})

// FromWindows maps a Windows time-zone key name ("W. Europe Standard Time")
// to its IANA zone ("Europe/Berlin").
func FromWindows(key string) (string, bool) {
	n, ok := windowsZones()[strings.TrimSpace(key)]
	if !ok || !valid(n) {
		return "", false
	}
	return n, true
}

// MatchLocaltime finds the zone whose file in zoneinfo is byte for byte
// the copied /etc/localtime. Several names may share a file (links); the
// canonical one, with a region ("Europe/London", not "GB"), is taken, the
// first in lexical order when several are.
func MatchLocaltime(localtime []byte, zoneinfo fs.FS) (string, bool) {
	if len(localtime) < 4 || string(localtime[:4]) != "TZif" || zoneinfo == nil {
		return "", false
	}
	best := ""
	_ = fs.WalkDir(zoneinfo, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // an unreadable entry is just not a match
		}
		if d.IsDir() {
			if p == "posix" || p == "right" || p == "Etc" && best != "" {
				return fs.SkipDir
			}
			return nil
		}
		if !strings.Contains(p, "/") && p != "UTC" || p == "localtime" || p == "posixrules" || p == "Factory" {
			return nil // backward-compatible aliases ("GB", "Japan") and helpers
		}
		info, err := d.Info()
		if err != nil || info.Size() != int64(len(localtime)) {
			return nil
		}
		b, err := fs.ReadFile(zoneinfo, p)
		if err == nil && bytes.Equal(b, localtime) && (best == "" || betterName(p, best)) && valid(p) {
			best = p
		}
		return nil
	})
	return best, best != ""
}

// betterName prefers region/city names over Etc/ and legacy US/… names.
func betterName(a, b string) bool {
	rank := func(n string) int {
		switch {
		case strings.HasPrefix(n, "Etc/"), n == "UTC":
			return 1
		case strings.HasPrefix(n, "US/"), strings.HasPrefix(n, "SystemV/"), strings.HasPrefix(n, "Canada/"),
			strings.HasPrefix(n, "Mexico/"), strings.HasPrefix(n, "Brazil/"), strings.HasPrefix(n, "Chile/"):
			return 2
		}
		return 0
	}
	if ra, rb := rank(a), rank(b); ra != rb {
		return ra < rb
	}
	return a < b
}
