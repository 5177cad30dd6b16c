// Package footprint keeps the daemon's resident memory small at rest: after
// each periodic write it returns the Go heap's free pages to the operating
// system and, on Linux, now and then lets go of the program's own pages that
// start-up or a burst of API work mapped and that rest does not use.
package footprint

import (
	"runtime/debug"
	"sync"
	"time"
)

// trimEvery is how often Release unmaps the program's pages. The first call
// does it at once (start-up's pages: migrations, configuration, templates);
// after that the pages that rest uses come back within a minute anyway
// (measured: RssFile 2.9 MB just after a trim, 8.4 MB a minute later), so
// trimming after every write would only buy the refaults, about 0.02 % of a
// core. Once an hour catches the pages of an API burst.
const trimEvery = time.Hour

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
