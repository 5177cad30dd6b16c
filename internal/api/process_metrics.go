package api

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"
)

// The daemon's own footprint, under the names Prometheus' Go client uses
// (process_*, go_*), so existing dashboards graph it; written by hand like
// the rest of /metrics.

// processStart is when this process started, where the OS cannot say
// (Linux reads it from /proc): package initialisation, a few milliseconds
// after exec.
var processStart = time.Now()

// procStats is what the OS tells about this process; ok false leaves the
// family out.
type procStats struct {
	ok           bool
	cpuSeconds   float64
	residentB    uint64
	virtualB     uint64
	openFDs      uint64
	maxFDs       uint64
	startSeconds float64
}

func writeProcessMetrics(m *metricsWriter) {
	p := readProcStats()
	if p.ok {
		m.family("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.")
		m.sampleFloat("process_cpu_seconds_total", p.cpuSeconds)
		m.gauge("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", p.residentB)
		m.gauge("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", p.virtualB)
		m.gauge("process_open_fds", "gauge", "Number of open file descriptors.", p.openFDs)
		if p.maxFDs > 0 {
			m.gauge("process_max_fds", "gauge", "Maximum number of open file descriptors.", p.maxFDs)
		}
	} else {
		p.startSeconds = float64(processStart.UnixNano()) / 1e9
	}
	m.family("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.")
	m.sampleFloat("process_start_time_seconds", p.startSeconds)

	// runtime/metrics, not runtime.ReadMemStats: the same figures (see the
	// runtime/metrics docs' mapping) without stopping the world, in under a
	// microsecond; debug.ReadGCStats gives the exact pause total.
	rt := readRuntimeStats()
	m.gauge("go_goroutines", "gauge", "Number of goroutines that currently exist.", rt.at(rtGoroutines))
	m.family("go_gc_duration_seconds", "summary", "A summary of the wall-time pause (stop-the-world) duration in garbage collection cycles.")
	m.sampleFloat("go_gc_duration_seconds_sum", rt.pauseSeconds)
	m.sample("go_gc_duration_seconds_count", "", uint64(rt.numGC))
	m.gauge("go_memstats_heap_inuse_bytes", "gauge", "Number of heap bytes that are in use.", rt.at(rtHeapObjects)+rt.at(rtHeapUnused))
	m.gauge("go_memstats_heap_alloc_bytes", "gauge", "Number of heap bytes allocated and currently in use.", rt.at(rtHeapObjects))
	m.gauge("go_memstats_heap_released_bytes", "gauge", "Number of heap bytes released to OS.", rt.at(rtHeapReleased))
	m.gauge("go_memstats_stack_inuse_bytes", "gauge", "Number of bytes obtained from system for stack allocator in non-CGO environments.", rt.at(rtStacks))
	m.gauge("go_memstats_sys_bytes", "gauge", "Number of bytes obtained from system.", rt.at(rtTotal))
	m.gauge("go_memstats_next_gc_bytes", "gauge", "Number of heap bytes when next garbage collection will take place.", rt.at(rtHeapGoal))
	m.gauge("go_gomaxprocs", "gauge", "Value of GOMAXPROCS, i.e. the number of threads that can run Go code at once.", uint64(runtime.GOMAXPROCS(0)))
	m.family("go_info", "gauge", "Information about the Go environment.")
	m.sample("go_info", `version="`+escapeLabel(runtime.Version())+`"`, 1)
}

// The runtime/metrics samples behind the go_* families, in this order.
const (
	rtGoroutines = iota
	rtHeapObjects
	rtHeapUnused
	rtHeapReleased
	rtStacks
	rtTotal
	rtHeapGoal
	rtCount
)

var rtNames = [rtCount]string{
	rtGoroutines:   "/sched/goroutines:goroutines",
	rtHeapObjects:  "/memory/classes/heap/objects:bytes",
	rtHeapUnused:   "/memory/classes/heap/unused:bytes",
	rtHeapReleased: "/memory/classes/heap/released:bytes",
	rtStacks:       "/memory/classes/heap/stacks:bytes",
	rtTotal:        "/memory/classes/total:bytes",
	rtHeapGoal:     "/gc/heap/goal:bytes",
}

// runtimeStats is one reading of the runtime: the samples by index, and
// the collections with their total pause.
type runtimeStats struct {
	vals         [rtCount]uint64
	numGC        int64
	pauseSeconds float64
}

func (r *runtimeStats) at(i int) uint64 { return r.vals[i] }

// rtSamples is reused between scrapes (under rtMu) so a scrape allocates
// nothing here.
var (
	rtMu      sync.Mutex
	rtSamples = func() []metrics.Sample {
		s := make([]metrics.Sample, rtCount)
		for i := range s {
			s[i].Name = rtNames[i]
		}
		return s
	}()
	rtGC debug.GCStats
)

func readRuntimeStats() runtimeStats {
	rtMu.Lock()
	defer rtMu.Unlock()
	metrics.Read(rtSamples)
	var r runtimeStats
	for i, s := range rtSamples {
		if s.Value.Kind() == metrics.KindUint64 {
			r.vals[i] = s.Value.Uint64()
		}
	}
	debug.ReadGCStats(&rtGC)
	r.numGC = rtGC.NumGC
	r.pauseSeconds = rtGC.PauseTotal.Seconds()
	return r
}
