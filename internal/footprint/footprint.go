// Package footprint keeps the daemon's resident memory small at rest: after
// each periodic write it returns the Go heap's free pages to the operating
// system and, on Linux, lets go of the program's own pages that the write,
// start-up or a burst of API work mapped and that a poll does not use.
package footprint

import (
	"runtime/debug"
	"sync"
	"time"
)

// trimEvery is how often, at most, Release unmaps the program's pages: in
// practice after every write (2 minutes by default). A write maps ~9 MB of
// the binary again (SQLite's code and the collection's tables, with the
// kernel's fault-around), so trimming only hourly left VmRSS at ~16.5 MB
// all hour; after every write it stays at 7.5–8.2 MB, for ~110 page faults
// and ~4 ms of CPU per write (+0.004 % of a core; 600 s side by side with
// perf stat, README "The daemon at rest"). The floor keeps a short
// batch_write_interval from trimming more often than that pays.
const trimEvery = time.Minute

var (
	mu       sync.Mutex
	lastTrim time.Time
)

// Release collects and returns free heap pages to the OS (the runtime
// otherwise keeps them up to its 4 MB minimum heap goal), and unmaps the
// program's read-only pages when trimEvery has passed since it last did.
// It is meant to run once per write (README, "The daemon at rest").
func Release() { release(time.Now(), debug.FreeOSMemory, trimProgram) }

func release(now time.Time, free, trim func()) {
	free()
	mu.Lock()
	due := lastTrim.IsZero() || now.Sub(lastTrim) >= trimEvery
	if due {
		lastTrim = now
	}
	mu.Unlock()
	if due {
		trim()
	}
}
