//go:build darwin || windows

package monitor

import (
	"strconv"
	"time"
)

// bootTimeID is the boot identity on systems that have only a boot time.
func bootTimeID(t time.Time) string { return "boottime:" + strconv.FormatInt(t.Unix(), 10) }
