// Package trend finds what is unusual in a history of traffic and compares
// periods with each other. It is pure: the query layer reads the store and
// hands it the numbers.
package trend

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/packetbuddy/pb/internal/units"
	"github.com/packetbuddy/pb/internal/usage"
)

// Hour is the traffic of one real hour that starts on a local hour boundary.
// On the day clocks go back the repeated hour is two Hours, and on the day
// they go forward the skipped one is none, so every Hour is 60 minutes.
type Hour struct {
	Start time.Time
	Bytes uint64
}

// Options tune what counts as unusual. An hour or a day is unusual when it
// is far above the median of the same slot (weekday and hour, or weekday)
// in the weeks before it, by all three measures: Ratio times the median,
// K robust standard deviations (1.4826 × the median absolute deviation)
// above it, and at least MinHour or MinDay bytes. The floors keep an idle
// machine's 30 KB hour from being "ten times the usual 3 KB".
type Options struct {
	Weeks      int     // history per slot, in weeks
	MinSamples int     // fewer counted samples of a slot: no verdict
	Ratio      float64 // times the median
	K          float64 // robust standard deviations above the median
	MinHour    uint64  // bytes
	MinDay     uint64  // bytes
}

// DefaultOptions are eight weeks of history (eight samples of each slot),
// at least four of them counted, three times the usual and five robust
// standard deviations above it, and at least 50 MB in an hour or 500 MB in
// a day.
var DefaultOptions = Options{Weeks: 8, MinSamples: 4, Ratio: 3, K: 5, MinHour: 50e6, MinDay: 500e6}

// Kind says what an Anomaly spans.
type Kind string

// Anomaly kinds.
const (
	KindHour Kind = "hour"
	KindDay  Kind = "day"
)

// Anomaly is an hour or a day far above its own history.
type Anomaly struct {
	Kind       Kind
	Start, End time.Time
	Bytes      uint64
	// Usual is the median of the slot's history, for a day scaled to this
	// day's length (23 or 25 hours on DST days).
	Usual   uint64
	Samples int // history samples the median is taken over
}

// Times is Bytes as a multiple of Usual (+Inf when Usual is 0).
func (a Anomaly) Times() float64 {
	if a.Usual == 0 {
		return math.Inf(1)
	}
	return float64(a.Bytes) / float64(a.Usual)
}

// Message says it in a sentence: "Tuesday 14:00–15:00: 4.20 GB, 9× your
// usual".
func (a Anomaly) Message(loc *time.Location, base units.Base) string {
	s, e := a.Start.In(loc), a.End.In(loc)
	var when string
	if a.Kind == KindDay {
		when = s.Format("Monday 2006-01-02")
	} else {
		when = s.Format("Monday 2006-01-02 15:04") + "–" + e.Format("15:04")
	}
	used := units.FormatBytesBase(a.Bytes, base)
	if a.Usual == 0 {
		return fmt.Sprintf("%s: %s, where there is usually none", when, used)
	}
	return fmt.Sprintf("%s: %s, %.0f× your usual (%s)", when, used, math.Floor(a.Times()), units.FormatBytesBase(a.Usual, base))
}

// Unusual returns the hours and days in [from, to) that are far above
// their history, in time order (a day before its hours). hours must be in
// time order and cover [from, to) and opts.Weeks weeks before from; cov
// says which of them were counted, since an hour before pb was installed
// is not an hour without traffic. A day is judged only when it lies wholly
// in [from, to) and was counted for at least 90 % of its length.
func Unusual(hours []Hour, cov usage.Coverage, loc *time.Location, from, to time.Time, opts Options) []Anomaly {
	type slot struct {
		wd   time.Weekday
		hour int
	}
	counted := func(a, b time.Time) bool { return cov.Seconds(a, b) >= 0.9*b.Sub(a).Seconds() }
	span := time.Duration(opts.Weeks) * 7 * 24 * time.Hour
	bySlot := map[slot][]Hour{}
	// Days: bytes and counted length per local date, for the daily verdict.
	type day struct {
		date        usage.Date
		bytes       uint64
		hours       int
		countedDay  bool
		start, next time.Time
	}
	var days []*day
	dayOf := map[usage.Date]*day{}
	var out []Anomaly
	for _, h := range hours {
		lt := h.Start.In(loc)
		d := usage.DateOf(lt)
		dd := dayOf[d]
		if dd == nil {
			dd = &day{date: d, start: d.Start(loc), next: d.AddDays(1).Start(loc)}
			dd.countedDay = counted(dd.start, dd.next)
			dayOf[d] = dd
			days = append(days, dd)
		}
		dd.bytes += h.Bytes
		dd.hours++
		end := h.Start.Add(time.Hour)
		if !counted(h.Start, end) {
			continue
		}
		k := slot{lt.Weekday(), lt.Hour()}
		if !h.Start.Before(from) && !end.After(to) {
			hist := window(bySlot[k], h.Start.Add(-span-time.Hour))
			if a, ok := judge(h.Bytes, hist, opts, opts.MinHour, 1); ok {
				a.Kind, a.Start, a.End = KindHour, h.Start, end
				out = append(out, a)
			}
		}
		bySlot[k] = append(bySlot[k], h)
	}

	// Days, compared per hour so 23- and 25-hour days are like any other.
	byWeekday := map[time.Weekday][]Hour{} // Start: the day's start; Bytes: per hour
	for _, dd := range days {
		if !dd.countedDay || dd.hours == 0 {
			continue
		}
		real := int(math.Round(dd.next.Sub(dd.start).Hours()))
		if dd.hours != real { // cut off by the hours given
			continue
		}
		wd := dd.start.In(loc).Weekday()
		perHour := dd.bytes / uint64(real)
		if !dd.start.Before(from) && !dd.next.After(to) {
			hist := window(byWeekday[wd], dd.start.Add(-span-25*time.Hour))
			if a, ok := judge(dd.bytes, hist, opts, opts.MinDay, float64(real)); ok {
				a.Kind, a.Start, a.End = KindDay, dd.start, dd.next
				out = append(out, a)
			}
		}
		byWeekday[wd] = append(byWeekday[wd], Hour{Start: dd.start, Bytes: perHour})
	}
	slices.SortStableFunc(out, func(a, b Anomaly) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		if a.Kind == b.Kind {
			return 0
		}
		if a.Kind == KindDay {
			return -1
		}
		return 1
	})
	return out
}

// window returns the samples that start after since.
func window(hs []Hour, since time.Time) []Hour {
	i, _ := slices.BinarySearchFunc(hs, since, func(h Hour, t time.Time) int { return h.Start.Compare(t) })
	return hs[i:]
}

// judge compares x with the history hist (per-unit values, scaled by
// units): unusual when it passes every measure of opts and floor.
func judge(x uint64, hist []Hour, opts Options, floor uint64, units float64) (Anomaly, bool) {
	if len(hist) < opts.MinSamples || x < floor {
		return Anomaly{}, false
	}
	vals := make([]float64, len(hist))
	for i, h := range hist {
		vals[i] = float64(h.Bytes)
	}
	med := median(vals)
	for i := range vals {
		vals[i] = math.Abs(vals[i] - med)
	}
	// A steady history has a MAD of 0; a tenth of the median keeps the
	// score finite and lets the ratio decide.
	scale := max(1.4826*median(vals), 0.1*med) * units
	usual := med * units
	v := float64(x)
	if v < opts.Ratio*usual || v-usual < opts.K*scale {
		return Anomaly{}, false
	}
	return Anomaly{Bytes: x, Usual: uint64(math.Round(usual)), Samples: len(hist)}, true
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
