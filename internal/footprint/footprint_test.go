package footprint

import (
	"testing"
	"time"
)

func TestReleaseTrimsFirstThenHourly(t *testing.T) {
	lastTrim = time.Time{}
	t.Cleanup(func() { lastTrim = time.Time{} })
	start := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	var frees, trims int
	var got []int
	for _, after := range []time.Duration{0, time.Minute, 59 * time.Minute, time.Hour, time.Hour + time.Second, 2*time.Hour - time.Second, 2 * time.Hour} {
		release(start.Add(after), func() { frees++ }, func() { trims++ })
		got = append(got, trims)
	}
	want := []int{1, 1, 1, 2, 2, 2, 3}
	if frees != len(want) {
		t.Errorf("free ran %d times, want once per call (%d)", frees, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("trims after each call = %v, want %v", got, want)
		}
	}
}
