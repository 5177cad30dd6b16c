package zone

import (
	"os"
	"path/filepath"
	"strings"
)

// readSources reads what the system says: TZ (and the file it names when
// it is a path), localtime (the file the links end at, and its bytes),
// the timezone file and the first zoneinfo directory that exists.
func readSources(lookupEnv func(string) (string, bool), localtime, timezone string, zoneinfoDirs []string) Sources {
	var s Sources
	s.TZValue, s.TZSet = lookupEnv("TZ")
	if p := strings.TrimPrefix(strings.TrimSpace(s.TZValue), ":"); s.TZSet && filepath.IsAbs(p) {
		s.TZTarget, s.TZFile = readZoneFile(p)
	}
	// Links are followed to the end (/etc/localtime →
	// /etc/alternatives/… → zoneinfo); the bytes are kept to match when the
	// end is not in a zoneinfo tree, or to check /etc/timezone against.
	if fi, err := os.Lstat(localtime); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		s.LinkTarget, _ = filepath.EvalSymlinks(localtime)
	}
	if b, err := os.ReadFile(localtime); err == nil {
		s.Localtime = b
	}
	for _, d := range zoneinfoDirs {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			s.Zoneinfo = os.DirFS(d)
			break
		}
	}
	if b, err := os.ReadFile(timezone); err == nil {
		s.EtcTimezone = string(b)
	}
	return s
}

// readZoneFile returns where the links from p end, and the bytes there;
// "" and nil when p cannot be read.
func readZoneFile(p string) (string, []byte) {
	target, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", nil
	}
	b, err := os.ReadFile(target)
	if err != nil {
		return "", nil
	}
	return target, b
}
