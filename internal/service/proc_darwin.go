//go:build darwin

package service

import (
	"time"

	"golang.org/x/sys/unix"
)

func init() { processStartTime = darwinProcessStart }

// darwinProcessStart asks the kernel (sysctl kern.proc.pid) when a process
// started; launchctl print does not say.
func darwinProcessStart(pid int) (time.Time, error) {
	kp, err := unix.SysctlKinfoProc("kern.proc.pid", pid)
	if err != nil {
		return time.Time{}, err
	}
	tv := kp.Proc.P_starttime
	return time.Unix(int64(tv.Sec), int64(tv.Usec)*1000), nil
}
