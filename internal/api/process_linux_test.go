package api

import (
	"syscall"
	"testing"
	"time"
)

// cpuSeconds is this process' user and system time from getrusage, a
// source independent of /proc/self/stat.
func cpuSeconds(t *testing.T) float64 {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// TestMetricsProcessCPU: process_cpu_seconds_total follows the process'
// CPU time: burn 200 ms of it (by getrusage, whatever the machine's load)
// and the counter grows by as much, within /proc's 10 ms ticks.
func TestMetricsProcessCPU(t *testing.T) {
	f := newFixture(t, false)
	scrape := func() float64 {
		return parseMetrics(t, f)["process_cpu_seconds_total"].GetMetric()[0].GetCounter().GetValue()
	}
	m0, r0 := scrape(), cpuSeconds(t)
	for deadline := time.Now().Add(20 * time.Second); cpuSeconds(t)-r0 < 0.2 && time.Now().Before(deadline); {
	}
	m1, r1 := scrape(), cpuSeconds(t)
	if m0 <= 0 || m1-m0 < (r1-r0)-0.05 || m1-m0 > (r1-r0)+0.05 || r1-r0 < 0.2 {
		t.Errorf("process_cpu_seconds_total went %v → %v (+%.3f); getrusage says +%.3f", m0, m1, m1-m0, r1-r0)
	}
}

func TestParseProcStat(t *testing.T) {
	tests := []struct {
		name string
		line string
		want procStats
		ok   bool
	}{
		{"plain", "4242 (pb) S 1 4242 4242 0 -1 4194560 1500 0 0 0 250 130 0 0 20 0 7 0 123456 1262166016 5000 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0",
			procStats{ok: true, cpuSeconds: 3.8, startSeconds: 1_700_000_000 + 1234.56, virtualB: 1262166016, residentB: 5000 * 4096}, true},
		{"a name with spaces and parentheses", "7 (pb (serve) x) R 1 7 7 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 100 4096 2 0 0",
			procStats{ok: true, cpuSeconds: 0.03, startSeconds: 1_700_000_001, virtualB: 4096, residentB: 2 * 4096}, true},
		{"cut short", "7 (pb) R 1 7 7 0", procStats{}, false},
		{"no name", "garbage", procStats{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parseProcStat([]byte(tc.line), 4096, 1_700_000_000)
			if ok != tc.ok || got != tc.want {
				t.Errorf("got %+v %v, want %+v %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}
