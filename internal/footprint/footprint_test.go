package footprint

import (
	"testing"
	"time"
)

func TestReleaseTrimsAtMostEveryMinute(t *testing.T) {
	lastTrim = time.Time{}
	t.Cleanup(func() { lastTrim = time.Time{} })
	start := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	var frees, trims int
	var got []int
	for _, after := range []time.Duration{0, 30 * time.Second, time.Minute, 2 * time.Minute, 2*time.Minute + 30*time.Second, 3*time.Minute - time.Second, 4 * time.Minute} {
		release(start.Add(after), func() { frees++ }, func() { trims++ })
		got = append(got, trims)
	}
	want := []int{1, 1, 2, 3, 3, 3, 4}
	if frees != len(want) {
		t.Errorf("free ran %d times, want once per call (%d)", frees, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("trims after each call = %v, want %v", got, want)
		}
	}
}
