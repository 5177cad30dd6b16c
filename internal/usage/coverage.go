package usage

import (
	"slices"
	"time"
)

// Span is a time interval [From, To).
type Span struct{ From, To time.Time }

// Coverage is the time the daemon counted traffic: from Since (the first
// counted instant) to now, less the Gaps in which nothing was counted. A
// forecast must divide by this time, not by calendar time: the days before
// pb was installed, or a stretch when it could not count, are not days
// without traffic. The zero Coverage means "counted since ever".
type Coverage struct {
	Since time.Time
	Gaps  []Span // sorted by From, not overlapping
}

// Seconds returns how many seconds of [from, to) were counted.
func (c Coverage) Seconds(from, to time.Time) float64 {
	if !c.Since.IsZero() && from.Before(c.Since) {
		from = c.Since
	}
	if !to.After(from) {
		return 0
	}
	sec := to.Sub(from).Seconds()
	for _, g := range c.Gaps {
		lo, hi := maxTime(g.From, from), minTime(g.To, to)
		if hi.After(lo) {
			sec -= hi.Sub(lo).Seconds()
		}
	}
	return max(sec, 0)
}

// Normalize sorts the gaps and merges overlapping ones, so Seconds never
// subtracts the same time twice.
func (c Coverage) Normalize() Coverage {
	gaps := slices.Clone(c.Gaps)
	slices.SortFunc(gaps, func(a, b Span) int { return a.From.Compare(b.From) })
	var out []Span
	for _, g := range gaps {
		if !g.To.After(g.From) {
			continue
		}
		if n := len(out); n > 0 && !g.From.After(out[n-1].To) {
			out[n-1].To = maxTime(out[n-1].To, g.To)
			continue
		}
		out = append(out, g)
	}
	return Coverage{Since: c.Since, Gaps: out}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
