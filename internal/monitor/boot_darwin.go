package monitor

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// BootID identifies the running boot by the kernel's boot time.
func BootID() (string, error) {
	tv, err := unix.SysctlTimeval("kern.boottime")
	if err != nil {
		return "", fmt.Errorf("sysctl kern.boottime: %w", err)
	}
	return bootTimeID(time.Unix(tv.Unix())), nil
}

// sinceBoot reads macOS's CLOCK_MONOTONIC, which counts from boot, keeps
// running while the Mac sleeps and never jumps with the wall clock. 0 if
// unreadable.
func sinceBoot() time.Duration {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts) != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}
