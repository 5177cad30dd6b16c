package api

import (
	"cmp"
	"context"
	"io"
	"math"
	"slices"
	"time"

	"github.com/packetbuddy/pb/internal/units"
	"github.com/packetbuddy/pb/internal/usage"
)

// Report formats rendered by a Reporter (JSON and CSV exports are the API's
// own, since their shapes are part of the contract).
const (
	FormatHTML     = "html"
	FormatMarkdown = "markdown"
	FormatTOON     = "toon" // also served as "llm"
)

// Report kinds.
const (
	KindExport = "export" // everything tracked (/api/export)
	KindReport = "report" // a chosen range (/api/exports/generate)
	KindWrapup = "wrapup" // a year in review (/api/export/wrapup)
)

// Reporter renders reports. The API computes every number (ReportData) and
// a Reporter only lays it out, so a richer internal/report package can
// replace the built-in minimal one without touching the handlers. Render
// must escape every value for its format.
type Reporter interface {
	Render(w io.Writer, format string, d *ReportData) error
}

// ReportData is everything a report shows, computed once for all formats.
type ReportData struct {
	Kind        string
	Title       string
	GeneratedAt time.Time
	Timezone    string
	Device      ReportDevice
	// From and To are the range asked for, inclusive.
	From, To usage.Date
	// FirstDate and LastDate are the tracked days within the range (the
	// database's first to last recorded day, clipped); DaysTracked counts
	// them. Empty means nothing was recorded in the range.
	FirstDate, LastDate usage.Date
	DaysTracked         int
	Empty               bool
	Totals              usage.Totals
	// DailyAverage is Totals divided by DaysTracked (v1 divided by 30).
	DailyAverage usage.Totals
	PeakSpeed    uint64
	PeakSpeedAt  time.Time // zero when unknown
	PeakDay      usage.DayTotals
	Months       []usage.MonthTotals
	Days         []usage.DayTotals
	// NotByDay is the part of Totals known only as whole months or years
	// (imported): in Totals and Months, in no day and not in DailyAverage.
	NotByDay usage.Totals
	Cost     ReportCost
	// UploadRatio is transmitted / received (0 when nothing was received).
	UploadRatio float64
	Personality string
	DVDs        float64 // Totals / 4.7 GB
	HDMovies    float64 // Totals / 5 GB
	UnitBase    units.Base
}

// ReportDevice identifies the device.
type ReportDevice struct {
	Hostname string
	OSType   string
	DeviceID string
}

// ReportCost is the priced traffic.
type ReportCost struct {
	RatePerGB         float64
	Currency          string
	Upload            float64
	Download          float64
	Total             float64
	UploadFormatted   string
	DownloadFormatted string
	TotalFormatted    string
	RateFormatted     string
}

// Personality from the upload/download ratio, as v1 named them.
func personality(ratio float64, t usage.Totals) string {
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

// buildReport computes a report over from..to (inclusive, at most
// maxRangeDays days when asked for by a client).
func (s *Server) buildReport(ctx context.Context, now time.Time, kind, title string, from, to usage.Date) (*ReportData, error) {
	d := &ReportData{
		Kind: kind, Title: title, GeneratedAt: now.In(s.loc), Timezone: s.loc.String(),
		Device:   ReportDevice{Hostname: s.d.Hostname, OSType: s.d.OSType, DeviceID: s.d.DeviceID},
		From:     from,
		To:       to,
		UnitBase: s.set.UnitBase,
	}
	days, err := s.days(ctx, now, from, to)
	if err != nil {
		return nil, err
	}
	life, err := s.lifetime(ctx, now)
	if err != nil {
		return nil, err
	}
	// Tracked days: the recorded span clipped to the range; the days in
	// between count even when idle (the daemon ran and saw nothing).
	if life.tracked && !life.first.After(to) && !life.last.Before(from) {
		d.FirstDate, d.LastDate = life.first, life.last
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
	if err := s.addPeriods(ctx, d, from, to); err != nil {
		return nil, err
	}
	d.Empty = d.Totals.Total() == 0
	if d.DaysTracked > 0 {
		n := uint64(d.DaysTracked)
		d.DailyAverage = usage.Totals{Rx: (byDay.Rx + n/2) / n, Tx: (byDay.Tx + n/2) / n}
	}
	if d.PeakSpeed > 0 {
		if bps, at, err := s.store.Peak(ctx, from.Start(s.loc), to.AddDays(1).Start(s.loc)); err == nil && bps == d.PeakSpeed {
			d.PeakSpeedAt = at.In(s.loc)
		}
	}
	if d.Totals.Rx > 0 {
		d.UploadRatio = roundTo(float64(d.Totals.Tx)/float64(d.Totals.Rx), 3)
	}
	d.Personality = personality(d.UploadRatio, d.Totals)
	d.DVDs = roundTo(float64(d.Totals.Total())/4.7e9, 2)
	d.HDMovies = roundTo(float64(d.Totals.Total())/5e9, 2)
	cb := s.costBlock(d.Totals, s.rate)
	d.Cost = ReportCost{
		RatePerGB: s.rate, Currency: s.currency.Code,
		Upload: cb.Upload.Cost, Download: cb.Download.Cost, Total: cb.Total.Cost,
		UploadFormatted: cb.Upload.CostFormatted, DownloadFormatted: cb.Download.CostFormatted,
		TotalFormatted: cb.Total.CostFormatted, RateFormatted: s.currency.Format(s.rate),
	}
	return d, nil
}

// addPeriods adds the month and year totals known only as a whole that lie
// in from..to to the report's totals, and the months' to their month.
func (s *Server) addPeriods(ctx context.Context, d *ReportData, from, to usage.Date) error {
	periods, err := s.store.Periods(ctx, from.Start(s.loc), to.AddDays(1).Start(s.loc), usage.Filter{})
	if err != nil {
		return err
	}
	for _, p := range periods {
		d.NotByDay = d.NotByDay.Add(p.Totals)
		d.Totals = d.Totals.Add(p.Totals)
		if p.Kind != usage.PeriodMonth {
			continue
		}
		m := usage.DateOf(p.Start.In(s.loc))
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

// ratioString prints an upload/download ratio for people.
func ratioString(r float64) string {
	if math.IsInf(r, 0) || math.IsNaN(r) {
		return "n/a"
	}
	return formatFloat(r, 2)
}
