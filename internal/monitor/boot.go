package monitor

import (
	"strconv"
	"strings"
	"time"
)

// bootTolerance absorbs the jitter of a boot time computed from "now minus
// uptime" on systems without a boot id.
const bootTolerance = 2 * time.Minute

// SameBoot reports whether two boot identities name the same boot. Linux
// gives a random boot id, compared exactly; elsewhere the boot time is
// compared with a tolerance. An empty identity is never the same boot, so
// the monitor falls back to counting the counters since boot.
func SameBoot(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	ta, okA := strings.CutPrefix(a, "boottime:")
	tb, okB := strings.CutPrefix(b, "boottime:")
	if !okA || !okB {
		return a == b
	}
	x, err1 := strconv.ParseInt(ta, 10, 64)
	y, err2 := strconv.ParseInt(tb, 10, 64)
	if err1 != nil || err2 != nil {
		return false
	}
	d := time.Duration(x-y) * time.Second
	return d.Abs() <= bootTolerance
}
