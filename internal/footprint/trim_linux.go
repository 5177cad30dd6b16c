package footprint

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// span is a mapped address range [lo, hi).
type span struct{ lo, hi uintptr }

var (
	programOnce  sync.Once
	programSpans []span
)

// trimProgram drops the read-only mappings of the executable (machine code
// and read-only data) from the process's page tables with MADV_DONTNEED.
// The pages stay in the kernel's page cache; those rest touches again come
// back with a minor fault (and the kernel's fault-around maps up to 64 KiB
// of neighbours with each). Start-up, a burst of API work or a migration
// map megabytes of code that a poll and a write never run again: without
// this VmRSS stays ~16 MB of the binary for the daemon's life. Writable
// mappings are never touched: on a private mapping MADV_DONTNEED would throw
// away what was written.
func trimProgram() {
	programOnce.Do(func() { programSpans = readOnlyProgramSpans() })
	for _, s := range programSpans {
		// Errors are not actionable: at worst the pages stay mapped.
		_, _, _ = unix.RawSyscall(unix.SYS_MADVISE, s.lo, s.hi-s.lo, unix.MADV_DONTNEED)
	}
}

// readOnlyProgramSpans lists the executable's mappings without write
// permission from /proc/self/maps.
func readOnlyProgramSpans() []span {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return nil
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return nil
	}
	return parseMaps(maps, exe)
}

// parseMaps returns the ranges of the mappings of file whose permissions
// have no 'w', from the text of /proc/PID/maps.
func parseMaps(maps []byte, file string) []span {
	var out []span
	sc := bufio.NewScanner(bytes.NewReader(maps))
	for sc.Scan() {
		// 00400000-00e4b000 r-xp 00000000 fd:00 1234   /path/to/pb
		f := bytes.Fields(sc.Bytes())
		if len(f) < 6 || string(bytes.Join(f[5:], []byte(" "))) != file {
			continue
		}
		perms := f[1]
		if len(perms) < 2 || perms[1] != '-' {
			continue
		}
		lo, hi, ok := bytes.Cut(f[0], []byte("-"))
		if !ok {
			continue
		}
		a, err1 := strconv.ParseUint(string(lo), 16, 64)
		b, err2 := strconv.ParseUint(string(hi), 16, 64)
		if err1 != nil || err2 != nil || b <= a {
			continue
		}
		out = append(out, span{uintptr(a), uintptr(b)})
	}
	return out
}
