package monitor

import (
	"fmt"
	"os"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// BootID identifies the running boot: the kernel's random boot_id.
func BootID() (string, error) {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return "", fmt.Errorf("read boot id: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// sinceBoot reads CLOCK_BOOTTIME: time since boot that never jumps with the
// wall clock and keeps running through suspend, the same in every process
// of this boot. 0 if unreadable. A raw system call: it cannot block, and
// telling the scheduler about it (as unix.ClockGettime does) would wake the
// runtime's monitor thread on every poll.
func sinceBoot() time.Duration {
	var ts unix.Timespec
	if _, _, e := unix.RawSyscall(unix.SYS_CLOCK_GETTIME, unix.CLOCK_BOOTTIME, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		return 0
	}
	return time.Duration(ts.Nano())
}
