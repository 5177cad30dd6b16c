//go:build windows

package service

import (
	"time"

	"golang.org/x/sys/windows"
)

func init() { processStartTime = windowsProcessStart }

// windowsProcessStart reads a process's creation time; it needs only
// limited query rights, which a normal user has on a service's process.
func windowsProcessStart(pid int) (time.Time, error) {
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	if err != nil {
		return time.Time{}, err
	}
	defer windows.CloseHandle(h)
	var created, exited, kernel, user windows.Filetime
	if err := windows.GetProcessTimes(h, &created, &exited, &kernel, &user); err != nil {
		return time.Time{}, err
	}
	return time.Unix(0, created.Nanoseconds()), nil
}
