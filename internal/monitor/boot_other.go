//go:build !linux && !darwin && !windows

package monitor

// BootID is unknown on this system; every start counts as a new boot.
func BootID() (string, error) { return "", nil }
