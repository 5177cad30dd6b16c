package monitor

import (
	"time"

	"golang.org/x/sys/windows"
)

// BootID identifies the running boot by its boot time: now minus the tick
// count, which includes time spent asleep, so it stays put across sleep.
func BootID() (string, error) {
	up := windows.DurationSinceBoot()
	return bootTimeID(time.Now().Add(-up)), nil
}

// sinceBoot is the tick count: time since boot, including sleep, never
// jumping with the wall clock.
func sinceBoot() time.Duration { return windows.DurationSinceBoot() }
