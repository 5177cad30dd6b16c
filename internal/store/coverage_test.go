package store_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/usage"
)

func TestCoverage(t *testing.T) {
	c := newClock(utc(2026, 3, 10, 10, 0))
	s, _ := mustOpen(t, c)
	from, to := utc(2026, 3, 10, 0, 0), utc(2026, 3, 11, 0, 0)
	cov, err := s.Coverage(ctx, from, to)
	if err != nil || !cov.Since.Equal(to) || len(cov.Gaps) != 0 {
		t.Fatalf("empty store: %+v, %v; want nothing counted (since %v)", cov, err, to)
	}

	ev := func(at time.Time, kind usage.EventKind) usage.Event { return usage.Event{Time: at, Kind: kind} }
	first := utc(2026, 3, 10, 10, 0).Add(30 * time.Second)
	b := usage.Batch{Interfaces: []usage.Interface{eth0}, Events: []usage.Event{ev(first, usage.EventFirstRun)}}
	for m := 0; m <= 30; m++ {
		b.Deltas = append(b.Deltas, delta(utc(2026, 3, 10, 10, m), 1000, 100))
	}
	mustFlush(t, s, b)
	// The machine went down after 10:30; it came back at 14:07:10 and the
	// counters since boot were counted then.
	reboot := utc(2026, 3, 10, 14, 7).Add(10 * time.Second)
	c.Set(reboot)
	mustFlush(t, s, usage.Batch{Interfaces: []usage.Interface{eth0}, Events: []usage.Event{ev(reboot, usage.EventReboot)},
		Deltas: []usage.Delta{delta(utc(2026, 3, 10, 14, 7), 5000, 500), delta(utc(2026, 3, 10, 14, 8), 10, 1)}})
	// A restart within the boot and a suspend are no gaps.
	c.Set(utc(2026, 3, 10, 16, 0))
	mustFlush(t, s, usage.Batch{Interfaces: []usage.Interface{eth0},
		Events: []usage.Event{ev(utc(2026, 3, 10, 16, 0), usage.EventRestart), ev(utc(2026, 3, 10, 16, 0), usage.EventGap)},
		Deltas: []usage.Delta{delta(utc(2026, 3, 10, 16, 0), 10, 1)}})

	cov, err = s.Coverage(ctx, from, to)
	want := usage.Coverage{Since: first, Gaps: []usage.Span{{From: utc(2026, 3, 10, 10, 31), To: reboot}}}
	if err != nil || !reflect.DeepEqual(cov, want) {
		t.Fatalf("Coverage = %+v, %v; want %+v", cov, err, want)
	}
	if got, want := cov.Seconds(from, utc(2026, 3, 10, 17, 0)), (7*time.Hour - 30*time.Second - (3*time.Hour + 36*time.Minute + 10*time.Second)).Seconds(); got != want {
		t.Errorf("Seconds = %v, want %v", got, want)
	}
	// A reboot outside [from, to) is not looked at.
	if cov, err := s.Coverage(ctx, utc(2026, 3, 10, 15, 0), to); err != nil || len(cov.Gaps) != 0 {
		t.Errorf("Coverage from 15:00 = %+v, %v; want no gaps", cov, err)
	}

	// History older than the first run (imported) starts the coverage at
	// its first bucket.
	mustFlush(t, s, usage.Batch{Interfaces: []usage.Interface{eth0}, Deltas: []usage.Delta{delta(utc(2026, 2, 1, 0, 0), 1, 1)}})
	if cov, err := s.Coverage(ctx, from, to); err != nil || !cov.Since.Equal(utc(2026, 2, 1, 0, 0)) {
		t.Errorf("Coverage with older history = %+v, %v; want since 2026-02-01", cov, err)
	}
}
