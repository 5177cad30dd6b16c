package plan

import (
	"math"
	"time"

	"github.com/packetbuddy/pb/internal/usage"
)

// Forecast model. A forecast is a rate: bytes per second of counted time,
// per weekday, applied to the seconds left in the cycle. Only counted time
// enters the rate (see usage.Coverage): a user who installed pb forty
// minutes ago has forty minutes of history, not a month of zeros.
//
// The band is an 80 % interval (the 10th to the 90th percentile) of a
// normal approximation. Its width comes from two sources: the day-to-day
// spread of the daily rates, and how little is known about the mean rate
// when there is little counted time. A prior of one day with a spread as
// large as the rate itself keeps the band wide until real days replace it,
// so a few busy first hours do not claim a precise end-of-cycle figure.
const (
	daySeconds = 86400.0
	// bandZ is the normal quantile of the band's edges (10 % and 90 %).
	bandZ = 1.2816
	// priorDays is the weight, in days, of the prior guesses: weekday
	// rates start from the overall rate, and the day-to-day spread starts
	// at the rate itself (a coefficient of variation of 1).
	priorDays = 1.0
	// fullDay is the share of a day that must be counted for the day to be
	// a sample of the day-to-day spread.
	fullDay = 0.5
)

// DayBand is the forecast's likely range of the running cycle total (with
// Offset) at the end of one day.
type DayBand struct {
	Date      usage.Date
	Low, High uint64
}

// rateModel is the history a forecast extrapolates.
type rateModel struct {
	since     time.Time // first counted instant of the history read
	monitored float64   // counted seconds in the history
	overall   flow      // bytes per counted second, all days
	weekday   [7]flow   // bytes per counted second per weekday, shrunk towards overall
	spread    float64   // day-to-day standard deviation of rx+tx, bytes per second
}

// newRateModel reads the days from earliest (at most HistoryDays before
// today) to now.
func newRateModel(byDay map[usage.Date]flow, cov usage.Coverage, loc *time.Location, now time.Time, today, earliest usage.Date) rateModel {
	if cov.Since.IsZero() {
		// No coverage known: the days given are the history, all counted.
		cov.Since = earliest.Start(loc)
	}
	from := earliest
	if lim := today.AddDays(-HistoryDays); from.Before(lim) {
		from = lim
	}
	m := rateModel{since: cov.Since}
	type sample struct {
		rate float64
		wd   time.Weekday
	}
	var samples []sample
	var total flow
	var wdBytes [7]flow
	var wdSec [7]float64
	for d := from; !d.After(today); d = d.AddDays(1) {
		lo, hi := d.Start(loc), d.AddDays(1).Start(loc)
		length := hi.Sub(lo).Seconds()
		if hi.After(now) {
			hi = now
		}
		sec := cov.Seconds(lo, hi)
		b := byDay[d]
		if sec == 0 && b.rx+b.tx > 0 {
			// Traffic proves counting: trust it over missing coverage.
			sec = max(hi.Sub(lo).Seconds(), 0)
		}
		if sec == 0 {
			continue
		}
		wd := weekdayOf(d)
		total = total.add(b)
		m.monitored += sec
		wdBytes[wd] = wdBytes[wd].add(b)
		wdSec[wd] += sec
		if d.Before(today) && sec >= fullDay*length {
			samples = append(samples, sample{rate: (b.rx + b.tx) / sec, wd: wd})
		}
	}
	if m.monitored == 0 {
		return m
	}
	m.overall = total.scale(1 / m.monitored)
	k := priorDays * daySeconds
	for wd := range m.weekday {
		m.weekday[wd] = wdBytes[wd].add(m.overall.scale(k)).scale(1 / (wdSec[wd] + k))
	}
	// The spread of the days around their weekday's rate, pooled with the
	// prior spread (the overall rate) weighted as priorDays samples.
	prior := m.overall.rx + m.overall.tx
	ss, df := prior*prior*priorDays, priorDays
	if len(samples) >= 2 {
		for _, x := range samples {
			r := m.weekday[x.wd]
			e := x.rate - (r.rx + r.tx)
			ss += e * e
		}
		df += float64(len(samples) - 1)
	}
	m.spread = math.Sqrt(ss / df)
	return m
}

// rate is the expected traffic per second on a weekday.
func (m rateModel) rate(wd time.Weekday) flow { return m.weekday[wd] }

// band returns the likely range of the cycle total whose central forecast
// is mid, when used is counted so far and ahead bytes (rx+tx) are expected
// in the next horizon seconds. The spread of the sum of the coming days
// adds the day-to-day noise (growing with the square root of the days) and
// the uncertainty of the mean rate (growing with the days themselves,
// shrinking with the counted days behind it). The band is relative, so it
// applies to whichever direction the plan counts.
func (m rateModel) band(used, mid uint64, ahead, horizon float64) (lo, hi uint64) {
	if ahead <= 0 || mid <= used || m.monitored <= 0 {
		return mid, mid
	}
	days, known := horizon/daySeconds, m.monitored/daySeconds
	sd := m.spread * daySeconds * math.Sqrt(days*days/known+days)
	rel := bandZ * sd / ahead
	delta := float64(mid - used)
	return used + roundU(delta*max(1-rel, 0)), used + roundU(delta*(1+rel))
}
