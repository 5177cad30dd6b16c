package api

import (
	"runtime"
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

	// ReadMemStats stops the world for a few microseconds; a scrape every
	// 15 s is nothing, and it gives the exact GC pause total.
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m.gauge("go_goroutines", "gauge", "Number of goroutines that currently exist.", uint64(runtime.NumGoroutine()))
	m.family("go_gc_duration_seconds", "summary", "A summary of the wall-time pause (stop-the-world) duration in garbage collection cycles.")
	m.sampleFloat("go_gc_duration_seconds_sum", float64(ms.PauseTotalNs)/1e9)
	m.sample("go_gc_duration_seconds_count", "", uint64(ms.NumGC))
	m.gauge("go_memstats_heap_inuse_bytes", "gauge", "Number of heap bytes that are in use.", ms.HeapInuse)
	m.gauge("go_memstats_heap_alloc_bytes", "gauge", "Number of heap bytes allocated and currently in use.", ms.HeapAlloc)
	m.gauge("go_memstats_heap_released_bytes", "gauge", "Number of heap bytes released to OS.", ms.HeapReleased)
	m.gauge("go_memstats_stack_inuse_bytes", "gauge", "Number of bytes obtained from system for stack allocator in non-CGO environments.", ms.StackInuse)
	m.gauge("go_memstats_sys_bytes", "gauge", "Number of bytes obtained from system.", ms.Sys)
	m.gauge("go_memstats_next_gc_bytes", "gauge", "Number of heap bytes when next garbage collection will take place.", ms.NextGC)
	m.gauge("go_gomaxprocs", "gauge", "Value of GOMAXPROCS, i.e. the number of threads that can run Go code at once.", uint64(runtime.GOMAXPROCS(0)))
	m.family("go_info", "gauge", "Information about the Go environment.")
	m.sample("go_info", `version="`+escapeLabel(runtime.Version())+`"`, 1)
}
