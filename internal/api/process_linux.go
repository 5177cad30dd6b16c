package api

import (
	"bytes"
	"os"
	"strconv"
	"sync"
	"syscall"
)

// userHZ is the unit of /proc's CPU times: USER_HZ is 100 on every Linux
// architecture Go supports.
const userHZ = 100

// bootTime is /proc/stat's btime (Unix seconds), read once.
var bootTime = sync.OnceValue(func() float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	for line := range bytes.Lines(b) {
		if v, ok := bytes.CutPrefix(line, []byte("btime ")); ok {
			n, _ := strconv.ParseFloat(string(bytes.TrimSpace(v)), 64)
			return n
		}
	}
	return 0
})

func readProcStats() procStats {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return procStats{}
	}
	p, ok := parseProcStat(b, uint64(os.Getpagesize()), bootTime())
	if !ok {
		return procStats{}
	}
	if fds, err := os.ReadDir("/proc/self/fd"); err == nil {
		p.openFDs = uint64(len(fds))
	}
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil {
		p.maxFDs = lim.Cur
	}
	return p
}

// parseProcStat reads /proc/PID/stat: the command name is in parentheses
// and may hold spaces, so the fields are counted after its closing one
// (field 3, state, comes first).
func parseProcStat(b []byte, pageSize uint64, btime float64) (procStats, bool) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStats{}, false
	}
	f := bytes.Fields(b[i+1:])
	// f[0] is field 3; field n is f[n-3].
	field := func(n int) uint64 {
		if n-3 >= len(f) {
			return 0
		}
		v, _ := strconv.ParseUint(string(f[n-3]), 10, 64)
		return v
	}
	if len(f) < 24-3+1 {
		return procStats{}, false
	}
	return procStats{
		ok:           true,
		cpuSeconds:   float64(field(14)+field(15)) / userHZ,
		startSeconds: btime + float64(field(22))/userHZ,
		virtualB:     field(23),
		residentB:    field(24) * pageSize,
	}, true
}
