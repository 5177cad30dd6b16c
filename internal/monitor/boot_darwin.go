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
