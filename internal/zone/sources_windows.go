//go:build windows

package zone

import (
	"os"

	"golang.org/x/sys/windows/registry"
)

// systemSources reads TZ and the registry's TimeZoneKeyName (the name of
// the zone chosen in Settings, "W. Europe Standard Time").
func systemSources() Sources {
	var s Sources
	// Go ignores TZ on Windows, and Cygwin-style shells set it to POSIX
	// rules ("CET-1CEST"): only an IANA name in it counts.
	if tz, ok := os.LookupEnv("TZ"); ok {
		if _, valid := FromTZ(tz); valid && tz != "" {
			s.TZValue, s.TZSet = tz, true
		}
	}
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, `SYSTEM\CurrentControlSet\Control\TimeZoneInformation`, registry.QUERY_VALUE)
	if err != nil {
		return s
	}
	defer k.Close()
	if v, _, err := k.GetStringValue("TimeZoneKeyName"); err == nil {
		s.WindowsKey = v
	}
	return s
}
