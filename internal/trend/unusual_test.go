package trend

import (
	"math"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/golden"
	"github.com/packetbuddy/pb/internal/units"
	"github.com/packetbuddy/pb/internal/usage"
)

// habit is a user's usual traffic in one hour starting at t (local): quiet
// nights, a working day, busy evenings, more at weekends, and ±25 % of
// deterministic noise per hour.
func habit(t time.Time) float64 {
	h := t.Hour()
	var mb float64
	switch {
	case h < 7:
		mb = 5
	case h < 18:
		mb = 60
	default:
		mb = 180
	}
	if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
		mb *= 1.6
	}
	noise := float64((t.YearDay()*31+h*17)%21-10) / 40 // -0.25..+0.25
	return mb * 1e6 * (1 + noise)
}

// generate returns the real hours from local midnight of first to that of
// last, each with habit's traffic plus extra's.
func generate(loc *time.Location, first, last usage.Date, extra func(t time.Time) float64) []Hour {
	var out []Hour
	end := last.Start(loc)
	for t := first.Start(loc); t.Before(end); t = t.Add(time.Hour) {
		lt := t.In(loc)
		v := habit(lt)
		if extra != nil {
			v += extra(lt)
		}
		out = append(out, Hour{Start: t, Bytes: uint64(math.Round(v))})
	}
	return out
}

func date(y int, m time.Month, d int) usage.Date { return usage.Date{Year: y, Month: m, Day: d} }

// A steady history raises nothing, through both DST changes of the year
// (a 23-hour day, a 25-hour day with its repeated hour) in two zones.
func TestUnusualSteadyHistoryAcrossDST(t *testing.T) {
	for _, zone := range []string{"Europe/Berlin", "America/New_York", "Australia/Lord_Howe"} {
		loc := golden.Location(zone)
		first, last := date(2026, 1, 1), date(2026, 12, 31)
		hours := generate(loc, first, last, nil)
		from := first.AddDays(8 * 7).Start(loc)
		// Sensitive settings too: a repeated hour taken as one two-hour
		// slot, or a 25-hour day compared with 24-hour ones, would show.
		sensitive := Options{Weeks: 8, MinSamples: 4, Ratio: 1.6, K: 4, MinHour: 1e6, MinDay: 10e6}
		for _, opts := range []Options{DefaultOptions, sensitive} {
			got := Unusual(hours, usage.Coverage{Since: first.Start(loc)}, loc, from, last.Start(loc), opts)
			for _, a := range got {
				t.Errorf("%s, %+v: %s", zone, opts, a.Message(loc, units.SI))
			}
		}
	}
}

// Injected anomalies are found, on ordinary days and on DST days, and
// nothing else is.
func TestUnusualFindsInjected(t *testing.T) {
	for _, zone := range []string{"Europe/Berlin", "America/New_York"} {
		loc := golden.Location(zone)
		at := func(m time.Month, d, h int) time.Time { return time.Date(2026, m, d, h, 0, 0, 0, loc) }
		type inj struct {
			from, to time.Time
			perHour  float64
			kind     Kind
		}
		// The day clocks go back: its first 01:00 (New York) or 02:00
		// (Berlin) hour.
		back := date(2026, 11, 1)
		backHour := 1
		if zone == "Europe/Berlin" {
			back, backHour = date(2026, 10, 25), 2
		}
		backAt := time.Date(back.Year, back.Month, back.Day, backHour, 0, 0, 0, loc)
		injected := []inj{
			{at(5, 12, 14), at(5, 12, 15), 4.2e9, KindHour}, // a Tuesday afternoon download
			{at(7, 4, 0), at(7, 5, 0), 300e6, KindDay},      // a Saturday at 3.5 times the usual
			{at(9, 16, 3), at(9, 16, 4), 900e6, KindHour},   // a night-time backup
			{backAt, backAt.Add(time.Hour), 2e9, KindHour},  // on the 25-hour day
		}
		extra := func(t time.Time) float64 {
			var v float64
			for _, in := range injected {
				if !t.Before(in.from) && t.Before(in.to) {
					v += in.perHour
				}
			}
			return v
		}
		first, last := date(2026, 1, 1), date(2026, 12, 31)
		hours := generate(loc, first, last, extra)
		from := first.AddDays(8 * 7).Start(loc)
		got := Unusual(hours, usage.Coverage{Since: first.Start(loc)}, loc, from, last.Start(loc), DefaultOptions)
		found := make([]bool, len(injected))
		for _, a := range got {
			ok := false
			for i, in := range injected {
				inside := !a.Start.Before(in.from) && !a.End.After(in.to)
				contains := a.Kind == KindDay && !in.from.Before(a.Start) && !in.to.After(a.End)
				if inside || contains {
					ok = true
					if a.Kind == in.kind && a.Start.Equal(in.from) && a.End.Equal(in.to) {
						found[i] = true
					}
				}
			}
			if !ok {
				t.Errorf("%s: not injected: %s", zone, a.Message(loc, units.SI))
			}
		}
		for i, in := range injected {
			if !found[i] {
				t.Errorf("%s: injected %s %v..%v (%.0f B an hour) not found in %d anomalies", zone, in.kind, in.from, in.to, in.perHour, len(got))
			}
		}
	}
}

// The hours before pb was installed are not hours without traffic: with
// the coverage nothing is unusual; taken as counted, the first weeks of use
// would all look unusual against a history of zeros.
func TestUnusualCoverage(t *testing.T) {
	loc := golden.Location("Europe/Berlin")
	first, last := date(2026, 1, 1), date(2026, 4, 30)
	install := date(2026, 2, 16).Start(loc)
	hours := generate(loc, first, last, func(t time.Time) float64 {
		if t.Before(install) {
			return -habit(t)
		}
		return 0
	})
	from := first.AddDays(8 * 7).Start(loc)
	if got := Unusual(hours, usage.Coverage{Since: install}, loc, from, last.Start(loc), DefaultOptions); len(got) != 0 {
		t.Errorf("with coverage: %d anomalies, first %s", len(got), got[0].Message(loc, units.SI))
	}
	if got := Unusual(hours, usage.Coverage{}, loc, from, last.Start(loc), DefaultOptions); len(got) == 0 {
		t.Error("without coverage the zeros before the install raise nothing: the test does not test")
	}
}

func TestAnomalyMessage(t *testing.T) {
	loc := golden.Location("Europe/Berlin")
	s := time.Date(2026, 5, 12, 14, 0, 0, 0, loc)
	tests := []struct {
		a    Anomaly
		want string
	}{
		{Anomaly{Kind: KindHour, Start: s, End: s.Add(time.Hour), Bytes: 4.2e9, Usual: 466e6}, "Tuesday 2026-05-12 14:00–15:00: 4.20 GB, 9× your usual (466.00 MB)"},
		{Anomaly{Kind: KindDay, Start: date(2026, 5, 12).Start(loc), End: date(2026, 5, 13).Start(loc), Bytes: 12e9, Usual: 3e9}, "Tuesday 2026-05-12: 12.00 GB, 4× your usual (3.00 GB)"},
		{Anomaly{Kind: KindHour, Start: s, End: s.Add(time.Hour), Bytes: 900e6}, "Tuesday 2026-05-12 14:00–15:00: 900.00 MB, where there is usually none"},
	}
	for _, tt := range tests {
		if got := tt.a.Message(loc, units.SI); got != tt.want {
			t.Errorf("Message = %q, want %q", got, tt.want)
		}
	}
}
