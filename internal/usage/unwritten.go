package usage

import (
	"slices"
	"time"
)

// Unwritten is traffic a running daemon has counted but not yet written to
// the store: its pending FineBucket deltas per interface and the peaks of
// their CoarseBuckets. A reader that adds it to what the store holds sees
// the same numbers as the daemon's API, to the last poll.
type Unwritten struct {
	Deltas []UnwrittenDelta
	Peaks  []Peak
}

// UnwrittenDelta is one pending delta with whether its interface counts in
// the total (the zero Filter selects those).
type UnwrittenDelta struct {
	Delta
	Counted bool
}

// Pending sums the deltas in [from, to) of the interfaces f selects, with
// the same rule as the daemon's monitor.
func (u *Unwritten) Pending(from, to time.Time, f Filter) Totals {
	var t Totals
	for _, d := range u.Deltas {
		if d.Bucket.Before(from) || !d.Bucket.Before(to) || !d.selected(f) {
			continue
		}
		t = t.Add(d.Totals)
	}
	return t
}

// PendingPeak is the highest peak whose bucket starts in [from, to).
func (u *Unwritten) PendingPeak(from, to time.Time) uint64 {
	var p uint64
	for _, k := range u.Peaks {
		if !k.Bucket.Before(from) && k.Bucket.Before(to) {
			p = max(p, k.BytesPerSec)
		}
	}
	return p
}

func (d UnwrittenDelta) selected(f Filter) bool {
	switch {
	case f.All:
		return true
	case len(f.Ifaces) > 0:
		return slices.Contains(f.Ifaces, d.Iface)
	}
	return d.Counted
}
