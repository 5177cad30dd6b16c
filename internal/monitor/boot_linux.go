package monitor

import (
	"fmt"
	"os"
	"strings"
)

// BootID identifies the running boot: the kernel's random boot_id.
func BootID() (string, error) {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return "", fmt.Errorf("read boot id: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}
