//go:build !windows

package zone

import "os"

// systemSources reads TZ, /etc/localtime (its link target, or its bytes
// when it is a copy), /etc/timezone and the zoneinfo tree.
func systemSources() Sources {
	var s Sources
	s.TZValue, s.TZSet = os.LookupEnv("TZ")
	if t, err := os.Readlink("/etc/localtime"); err == nil {
		s.LinkTarget = t
	} else if b, err := os.ReadFile("/etc/localtime"); err == nil {
		s.Localtime = b
		for _, d := range []string{"/usr/share/zoneinfo", "/var/db/timezone/zoneinfo"} {
			if fi, err := os.Stat(d); err == nil && fi.IsDir() {
				s.Zoneinfo = os.DirFS(d)
				break
			}
		}
	}
	if b, err := os.ReadFile("/etc/timezone"); err == nil {
		s.EtcTimezone = string(b)
	}
	return s
}
