//go:build !windows

package zone

import "os"

// systemSources reads TZ, /etc/localtime, /etc/timezone and the zoneinfo
// tree.
func systemSources() Sources {
	return readSources(os.LookupEnv, "/etc/localtime", "/etc/timezone", []string{"/usr/share/zoneinfo", "/var/db/timezone/zoneinfo"})
}
