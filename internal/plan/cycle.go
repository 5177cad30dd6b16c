package plan

import (
	"time"

	"github.com/packetbuddy/pb/internal/usage"
)

// CycleKind says how a plan's billing cycle repeats.
type CycleKind int

// Cycle kinds.
const (
	// Monthly resets on the same day of every month (ResetDay, 1–31). A
	// day the month does not have is clamped to its last day, because that
	// is what carriers do: "reset on the 31st" resets on Feb 28/29 and Apr 30.
	Monthly CycleKind = iota + 1
	// EveryDays repeats every Every days counted from Start (prepaid packs
	// renewed every 28 or 30 days).
	EveryDays
	// OneTime is a single pack valid from Start through Expires (both
	// inclusive); outside that span there is no cycle.
	OneTime
)

// String returns the spelling used in the config ("monthly", "days", "once").
func (k CycleKind) String() string {
	switch k {
	case Monthly:
		return "monthly"
	case EveryDays:
		return "days"
	case OneTime:
		return "once"
	}
	return "unknown"
}

// Cycle is a billing cycle rule. Boundaries are local midnights in the zone
// the caller passes to Bounds, never fixed 24-hour steps, so a cycle that
// contains a DST change is 23 or 25 hours off a multiple of a day.
type Cycle struct {
	Kind     CycleKind
	ResetDay int        // Monthly: 1–31
	Every    int        // EveryDays: cycle length in days (>= 1)
	Start    usage.Date // EveryDays: first day of some cycle; OneTime: first valid day
	Expires  usage.Date // OneTime: last valid day (inclusive)
}

// Bounds returns the cycle that contains instant t: start is inclusive, end
// exclusive, both at local midnight in loc. ok is false when no cycle
// contains t (a one-time pack before its start or after its expiry, or a
// Cycle that is not valid).
func (c Cycle) Bounds(t time.Time, loc *time.Location) (start, end time.Time, ok bool) {
	if loc == nil {
		loc = time.UTC
	}
	s, e, ok := c.Dates(usage.DateOf(t.In(loc)))
	if !ok {
		return time.Time{}, time.Time{}, false
	}
	return s.Start(loc), e.Start(loc), true
}

// Dates returns the cycle containing local day d as calendar days: first day
// inclusive, end day exclusive. It is Bounds without a zone, for callers that
// group daily totals.
func (c Cycle) Dates(d usage.Date) (start, end usage.Date, ok bool) {
	switch c.Kind {
	case Monthly:
		if c.ResetDay < 1 || c.ResetDay > 31 {
			return
		}
		this := resetDate(d.Year, d.Month, c.ResetDay)
		if d.Compare(this) >= 0 {
			return this, resetDate(d.Year, d.Month+1, c.ResetDay), true
		}
		return resetDate(d.Year, d.Month-1, c.ResetDay), this, true
	case EveryDays:
		if c.Every < 1 || c.Start.IsZero() {
			return
		}
		n := c.Start.DaysUntil(d)
		k := n / c.Every
		if n%c.Every < 0 { // floor division: days before Start belong to earlier cycles
			k--
		}
		start = c.Start.AddDays(k * c.Every)
		return start, start.AddDays(c.Every), true
	case OneTime:
		if c.Start.IsZero() || c.Expires.Before(c.Start) || d.Before(c.Start) || d.After(c.Expires) {
			return
		}
		return c.Start, c.Expires.AddDays(1), true
	}
	return
}

// resetDate is the reset day of month m of year y (m may be 0 or 13, which
// time.Date normalises), clamped to the month's length.
func resetDate(y int, m time.Month, day int) usage.Date {
	first := time.Date(y, m, 1, 12, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return usage.Date{Year: first.Year(), Month: first.Month(), Day: min(day, last)}
}
