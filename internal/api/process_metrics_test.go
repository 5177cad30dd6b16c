package api

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// TestMetricsProcess: /metrics carries the daemon's own footprint with the
// Go client's names and types, and the values are this process' (checked
// against /proc/self/status and the runtime, where they can be).
func TestMetricsProcess(t *testing.T) {
	f := newFixture(t, false)
	fams := parseMetrics(t, f)
	types := map[string]dto.MetricType{
		"process_start_time_seconds":   dto.MetricType_GAUGE,
		"go_goroutines":                dto.MetricType_GAUGE,
		"go_gc_duration_seconds":       dto.MetricType_SUMMARY,
		"go_memstats_heap_inuse_bytes": dto.MetricType_GAUGE,
		"go_memstats_sys_bytes":        dto.MetricType_GAUGE,
		"go_gomaxprocs":                dto.MetricType_GAUGE,
		"go_info":                      dto.MetricType_GAUGE,
	}
	if runtime.GOOS == "linux" {
		types["process_cpu_seconds_total"] = dto.MetricType_COUNTER
		types["process_resident_memory_bytes"] = dto.MetricType_GAUGE
		types["process_virtual_memory_bytes"] = dto.MetricType_GAUGE
		types["process_open_fds"] = dto.MetricType_GAUGE
		types["process_max_fds"] = dto.MetricType_GAUGE
	}
	for name, typ := range types {
		fam, ok := fams[name]
		if !ok || fam.GetType() != typ || fam.GetHelp() == "" || len(fam.GetMetric()) != 1 {
			t.Errorf("%s: %v (want one sample of type %v with help)", name, fam, typ)
		}
	}
	if t.Failed() {
		return
	}
	value := func(name string) float64 {
		m := fams[name].GetMetric()[0]
		switch {
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		}
		return -1
	}
	now := float64(time.Now().Unix())
	if v := value("process_start_time_seconds"); v < now-3600 || v > now+1 {
		t.Errorf("process_start_time_seconds %v, now %v: this test process started within the hour", v, now)
	}
	if v := value("go_goroutines"); v < 1 || v > 10_000 {
		t.Errorf("go_goroutines %v", v)
	}
	if v := value("go_gomaxprocs"); v != float64(runtime.GOMAXPROCS(0)) {
		t.Errorf("go_gomaxprocs %v, want %d", v, runtime.GOMAXPROCS(0))
	}
	if v := value("go_memstats_heap_inuse_bytes"); v < 64<<10 || v > value("go_memstats_sys_bytes") {
		t.Errorf("heap in use %v, sys %v", v, value("go_memstats_sys_bytes"))
	}
	if s := fams["go_gc_duration_seconds"].GetMetric()[0].GetSummary(); s.GetSampleSum() < 0 {
		t.Errorf("GC pauses %v", s)
	}
	if runtime.GOOS != "linux" {
		return
	}
	// Resident memory against VmRSS read now: the same page count, give or
	// take what the test allocated in between.
	vmRSS := statusKB(t, "VmRSS:") << 10
	if v := value("process_resident_memory_bytes"); v < float64(vmRSS)/2 || v > float64(vmRSS)*2 {
		t.Errorf("process_resident_memory_bytes %v, VmRSS %d", v, vmRSS)
	}
	if v := value("process_virtual_memory_bytes"); v < float64(statusKB(t, "VmSize:")<<10)/2 {
		t.Errorf("process_virtual_memory_bytes %v, VmSize %d kB", v, statusKB(t, "VmSize:"))
	}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	if v := value("process_open_fds"); v < 3 || v > float64(len(fds)+8) {
		t.Errorf("process_open_fds %v, /proc/self/fd has %d", v, len(fds))
	}
}

func statusKB(t *testing.T, key string) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, key); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("%s not in /proc/self/status", key)
	return 0
}
