package query

import (
	"cmp"
	"context"
	"math"
	"slices"
	"time"

	"github.com/packetbuddy/pb/internal/units"
	"github.com/packetbuddy/pb/internal/usage"
)

// Report kinds.
const (
	KindExport = "export" // everything tracked, or a chosen range (/api/export, pb export)
	KindReport = "report" // a chosen range (/api/exports/generate)
	KindWrapup = "wrapup" // a year in review (/api/export/wrapup)
)

// Report is everything a report or an export shows, computed once for all
// formats (JSON, CSV, HTML, Markdown, TOON).
type Report struct {
	Kind        string
	Title       string
	GeneratedAt time.Time
	Timezone    string
	Device      Device
	// From and To are the range asked for, inclusive.
	From, To usage.Date
	// FirstDate and LastDate are the tracked days within the range (the
	// database's first to last recorded day, clipped); DaysTracked counts
	// them. Empty means nothing was recorded in the range.
	FirstDate, LastDate usage.Date
	DaysTracked         int
	Empty               bool
	Totals              usage.Totals
	// DailyAverage is the by-day traffic divided by DaysTracked (v1
	// divided by 30).
	DailyAverage usage.Totals
	PeakSpeed    uint64
	PeakSpeedAt  time.Time // zero when unknown
	PeakDay      usage.DayTotals
	Months       []usage.MonthTotals
	Days         []usage.DayTotals
	// NotByDay is the part of Totals known only as whole months or years
	// (imported): in Totals and Months, in no day and not in DailyAverage.
	NotByDay usage.Totals
	Cost     Cost
	// UploadRatio is transmitted / received (0 when nothing was received).
	UploadRatio float64
	Personality string
	DVDs        float64 // Totals / 4.7 GB
	HDMovies    float64 // Totals / 5 GB
	UnitBase    units.Base
	// Networks is the traffic per network over the tracked days (largest
	// first, the unknown network included; known networks that carried
	// nothing left out), at 15-minute resolution.
	Networks []usage.NetworkTotals
}

// Device identifies the device a report is about.
type Device struct {
	Hostname string
	OSType   string
	DeviceID string
}

// Personality names a traffic profile from the upload/download ratio
// (transmitted / received), as v1 did: < 0.3 Streamer, < 0.6 Browsing,
// < 1.0 Creator, else Power User.
func Personality(ratio float64, t usage.Totals) string {
	switch {
	case t.Total() == 0:
		return "Just Getting Started"
	case t.Rx == 0:
		return "Power User"
	case ratio < 0.3:
		return "Streamer"
	case ratio < 0.6:
		return "Browsing"
	case ratio < 1.0:
		return "Creator"
	}
	return "Power User"
}

// Report computes a report over from..to (inclusive).
func (e *Engine) Report(ctx context.Context, now time.Time, dev Device, kind, title string, from, to usage.Date) (*Report, error) {
	d := &Report{
		Kind: kind, Title: title, GeneratedAt: now.In(e.loc), Timezone: e.loc.String(),
		Device: dev, From: from, To: to, UnitBase: e.price.Base,
	}
	days, err := e.Days(ctx, now, from, to)
	if err != nil {
		return nil, err
	}
	life, err := e.Lifetime(ctx, now)
	if err != nil {
		return nil, err
	}
	// Tracked days: the recorded span clipped to the range; the days in
	// between count even when idle (the daemon ran and saw nothing).
	if life.Tracked && !life.First.After(to) && !life.Last.Before(from) {
		d.FirstDate, d.LastDate = life.First, life.Last
		if d.FirstDate.Before(from) {
			d.FirstDate = from
		}
		if d.LastDate.After(to) {
			d.LastDate = to
		}
		d.DaysTracked = d.FirstDate.DaysUntil(d.LastDate) + 1
	}
	for _, day := range days {
		if day.Date.Before(d.FirstDate) || day.Date.After(d.LastDate) || d.DaysTracked == 0 {
			continue
		}
		d.Days = append(d.Days, day)
		d.Totals = d.Totals.Add(day.Totals)
		d.PeakSpeed = max(d.PeakSpeed, day.PeakBytesPerSec)
		if day.Total() > d.PeakDay.Total() {
			d.PeakDay = day
		}
		if n := len(d.Months); n == 0 || d.Months[n-1].Year != day.Date.Year || d.Months[n-1].Month != day.Date.Month {
			d.Months = append(d.Months, usage.MonthTotals{Year: day.Date.Year, Month: day.Date.Month})
		}
		d.Months[len(d.Months)-1].Totals = d.Months[len(d.Months)-1].Totals.Add(day.Totals)
	}
	byDay := d.Totals
	if err := e.addPeriods(ctx, d, from, to); err != nil {
		return nil, err
	}
	d.Empty = d.Totals.Total() == 0
	if d.DaysTracked > 0 {
		n := uint64(d.DaysTracked)
		d.DailyAverage = usage.Totals{Rx: (byDay.Rx + n/2) / n, Tx: (byDay.Tx + n/2) / n}
	}
	if d.PeakSpeed > 0 {
		if bps, at, err := e.st.Peak(ctx, from.Start(e.loc), to.AddDays(1).Start(e.loc)); err == nil && bps == d.PeakSpeed {
			d.PeakSpeedAt = at.In(e.loc)
		}
	}
	if d.Totals.Rx > 0 {
		d.UploadRatio = roundTo(float64(d.Totals.Tx)/float64(d.Totals.Rx), 3)
	}
	d.Personality = Personality(d.UploadRatio, d.Totals)
	d.DVDs = roundTo(float64(d.Totals.Total())/4.7e9, 2)
	d.HDMovies = roundTo(float64(d.Totals.Total())/5e9, 2)
	d.Cost = e.price.Of(d.Totals)
	if d.DaysTracked > 0 {
		n, err := e.Networks(ctx, d.FirstDate, d.LastDate, usage.Filter{}, nil)
		if err != nil {
			return nil, err
		}
		for _, x := range n.Networks {
			if x.Total() > 0 {
				d.Networks = append(d.Networks, x)
			}
		}
	}
	return d, nil
}

// addPeriods adds the month and year totals known only as a whole that lie
// in from..to to the report's totals, and the months' to their month.
func (e *Engine) addPeriods(ctx context.Context, d *Report, from, to usage.Date) error {
	periods, err := e.st.Periods(ctx, from.Start(e.loc), to.AddDays(1).Start(e.loc), e.scope)
	if err != nil {
		return err
	}
	for _, p := range periods {
		d.NotByDay = d.NotByDay.Add(p.Totals)
		d.Totals = d.Totals.Add(p.Totals)
		if p.Kind != usage.PeriodMonth {
			continue
		}
		m := usage.DateOf(p.Start.In(e.loc))
		i, found := slices.BinarySearchFunc(d.Months, m, func(mt usage.MonthTotals, m usage.Date) int {
			return cmp.Or(cmp.Compare(mt.Year, m.Year), cmp.Compare(mt.Month, m.Month))
		})
		if !found {
			d.Months = slices.Insert(d.Months, i, usage.MonthTotals{Year: m.Year, Month: m.Month})
		}
		d.Months[i].Totals = d.Months[i].Totals.Add(p.Totals)
	}
	return nil
}

// ExportSpan is the range of an export of everything: the first tracked
// day (or the oldest month or year known only as a whole, often an
// import's) to the last tracked day, at least today.
func (e *Engine) ExportSpan(ctx context.Context, now time.Time) (from, to usage.Date, err error) {
	today := usage.DateOf(now.In(e.loc))
	l, err := e.Lifetime(ctx, now)
	if err != nil {
		return from, to, err
	}
	from, to = today, today
	if l.Tracked {
		from = l.First
		if l.Last.After(to) {
			to = l.Last
		}
	}
	periods, err := e.st.Periods(ctx, Epoch, FarAway, e.scope)
	if err != nil {
		return from, to, err
	}
	for _, p := range periods {
		if d := usage.DateOf(p.Start.In(e.loc)); d.Before(from) {
			from = d
		}
		if d := usage.DateOf(p.End.Add(-time.Second).In(e.loc)); d.After(to) {
			to = d // the current month's total ends after today
		}
	}
	return from, to, nil
}

// roundTo rounds v to n decimals, for numbers that are shown, not summed.
func roundTo(v float64, n int) float64 {
	p := math.Pow10(n)
	return math.Round(v*p) / p
}

// RoundTo rounds v to n decimals, for numbers that are shown, not summed.
func RoundTo(v float64, n int) float64 { return roundTo(v, n) }
