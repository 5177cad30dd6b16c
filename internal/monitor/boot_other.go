//go:build !linux && !darwin && !windows

package monitor

import "time"

// BootID is unknown on this system; every start counts as a new boot.
func BootID() (string, error) { return "", nil }

// sinceBoot is unknown on this system.
func sinceBoot() time.Duration { return 0 }
