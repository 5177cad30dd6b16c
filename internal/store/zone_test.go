package store_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/packetbuddy/pb/internal/golden"
	"github.com/packetbuddy/pb/internal/usage"
)

// TestZones puts a distinct byte count in every 15-minute bucket around a
// day and checks that days, months, hours and totals in the zone sum exactly
// the buckets whose start lies inside each local period, on ordinary days,
// in half- and quarter-hour zones and on DST change days of 23, 23.5, 24.5
// and 25 hours. A bucket assigned to the wrong side of a local midnight or
// hour changes a sum.
func TestZones(t *testing.T) {
	tests := []struct {
		zone  string
		day   usage.Date
		hours int // rows Hours returns
		len   time.Duration
	}{
		{"UTC", usage.Date{Year: 2024, Month: time.March, Day: 10}, 24, 24 * time.Hour},
		{"Asia/Kolkata", usage.Date{Year: 2024, Month: time.March, Day: 1}, 24, 24 * time.Hour}, // +5:30, month boundary
		{"Asia/Kathmandu", usage.Date{Year: 2024, Month: time.March, Day: 1}, 24, 24 * time.Hour},
		{"Asia/Kathmandu", usage.Date{Year: 2024, Month: time.February, Day: 29}, 24, 24 * time.Hour},
		{"America/St_Johns", usage.Date{Year: 2024, Month: time.January, Day: 1}, 24, 24 * time.Hour}, // -3:30, year boundary
		{"America/St_Johns", usage.Date{Year: 2024, Month: time.March, Day: 10}, 23, 23 * time.Hour},  // -3:30 → -2:30
		{"America/St_Johns", usage.Date{Year: 2024, Month: time.November, Day: 3}, 25, 25 * time.Hour},
		{"Europe/Berlin", usage.Date{Year: 2024, Month: time.March, Day: 31}, 23, 23 * time.Hour},
		{"Europe/Berlin", usage.Date{Year: 2024, Month: time.October, Day: 27}, 25, 25 * time.Hour},
		{"America/New_York", usage.Date{Year: 2024, Month: time.March, Day: 10}, 23, 23 * time.Hour},
		{"America/New_York", usage.Date{Year: 2024, Month: time.November, Day: 3}, 25, 25 * time.Hour},
		{"Australia/Lord_Howe", usage.Date{Year: 2024, Month: time.April, Day: 7}, 25, 24*time.Hour + 30*time.Minute},   // +11 → +10:30
		{"Australia/Lord_Howe", usage.Date{Year: 2024, Month: time.October, Day: 6}, 24, 23*time.Hour + 30*time.Minute}, // +10:30 → +11
		// Chatham changes at 03:45 → 02:45 and 02:45 → 03:45, inside an
		// hour: the hour of the change is split in two rows.
		{"Pacific/Chatham", usage.Date{Year: 2024, Month: time.April, Day: 7}, 26, 25 * time.Hour}, // +13:45 → +12:45
		{"Pacific/Chatham", usage.Date{Year: 2024, Month: time.September, Day: 29}, 24, 23 * time.Hour},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s %s", tc.zone, tc.day), func(t *testing.T) {
			loc := golden.Location(tc.zone)
			start, end := tc.day.Start(loc), tc.day.AddDays(1).Start(loc)
			if got := end.Sub(start); got != tc.len {
				t.Fatalf("test case: %s is %v long in %s, not %v", tc.day, got, tc.zone, tc.len)
			}
			s, _ := mustOpen(t, newClock(end.Add(72*time.Hour)))

			// Every quarter from 3 days before to 3 days after, each with
			// its own byte counts.
			type bucket struct {
				at time.Time
				t  usage.Totals
			}
			var buckets []bucket
			var b usage.Batch
			from := start.Add(-72 * time.Hour).Truncate(15 * time.Minute)
			for i, at := 0, from; at.Before(end.Add(72 * time.Hour)); i, at = i+1, at.Add(15*time.Minute) {
				v := tot(uint64(i+1), uint64(i*i%1013))
				buckets = append(buckets, bucket{at, v})
				b.Deltas = append(b.Deltas, delta(at, v.Rx, v.Tx))
				b.Peaks = append(b.Peaks, usage.Peak{Bucket: at, BytesPerSec: uint64(i)})
			}
			mustFlush(t, s, b)

			// Expected sums, from Go's own idea of each bucket's local time.
			wantDay := map[usage.Date]usage.Totals{}
			wantPeak := map[usage.Date]uint64{}
			wantMonth := map[[2]int]usage.Totals{}
			var wantHours []usage.HourTotals
			for _, bk := range buckets {
				lt := bk.at.In(loc)
				d := usage.DateOf(lt)
				wantDay[d] = wantDay[d].Add(bk.t)
				wantPeak[d] = max(wantPeak[d], uint64(bk.at.Sub(from)/(15*time.Minute)))
				m := [2]int{lt.Year(), int(lt.Month())}
				wantMonth[m] = wantMonth[m].Add(bk.t)
				if d != tc.day {
					continue
				}
				_, off := lt.Zone()
				if n := len(wantHours); n == 0 || wantHours[n-1].Start.Hour() != lt.Hour() || offset(wantHours[n-1].Start) != off {
					wantHours = append(wantHours, usage.HourTotals{Start: lt})
				}
				wantHours[len(wantHours)-1].Totals = wantHours[len(wantHours)-1].Totals.Add(bk.t)
			}

			// Days: the day and its neighbours.
			days, err := s.Days(ctx, tc.day.AddDays(-1), tc.day.AddDays(1), loc, usage.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			var want []usage.DayTotals
			for d := tc.day.AddDays(-1); !d.After(tc.day.AddDays(1)); d = d.AddDays(1) {
				want = append(want, usage.DayTotals{Date: d, Totals: wantDay[d], PeakBytesPerSec: wantPeak[d]})
			}
			if d := cmp.Diff(want, days); d != "" {
				t.Errorf("days (-want +got):\n%s", d)
			}

			// Totals over the local day, and the quarters either side of
			// its midnights.
			for _, r := range []struct {
				name     string
				from, to time.Time
				want     usage.Totals
			}{
				{"day", start, end, wantDay[tc.day]},
				{"quarter before midnight", start.Add(-15 * time.Minute), start, buckets[start.Sub(from)/(15*time.Minute)-1].t},
				{"quarter after midnight", start, start.Add(15 * time.Minute), buckets[start.Sub(from)/(15*time.Minute)].t},
				{"last quarter of the day", end.Add(-15 * time.Minute), end, buckets[end.Sub(from)/(15*time.Minute)-1].t},
			} {
				got, err := s.Totals(ctx, r.from, r.to, usage.Filter{})
				if err != nil || got != r.want {
					t.Errorf("totals of %s = %+v, %v; want %+v", r.name, got, err, r.want)
				}
			}

			// Hours: 23/24/25 rows, each its local hour at one offset.
			hours, err := s.Hours(ctx, tc.day, loc, usage.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(hours) != tc.hours {
				t.Errorf("hours: %d rows, want %d", len(hours), tc.hours)
			}
			if d := cmp.Diff(wantHours, hours); d != "" {
				t.Errorf("hours (-want +got):\n%s", d)
			}
			var sum usage.Totals
			for i, h := range hours {
				sum = sum.Add(h.Totals)
				if h.Start.Location() != loc || (i < len(wantHours) && offset(h.Start) != offset(wantHours[i].Start)) {
					t.Errorf("hour %d starts %v, want %v in %s", i, h.Start, wantHours[i].Start, tc.zone)
				}
			}
			if sum != wantDay[tc.day] {
				t.Errorf("hours sum to %+v, the day is %+v", sum, wantDay[tc.day])
			}

			// Months: the month of the day and its neighbours (partly
			// covered by the data; months outside it are zero).
			prev, next := tc.day.AddDays(-40), tc.day.AddDays(40)
			months, err := s.Months(ctx, prev, next, loc, usage.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			var wantMonths []usage.MonthTotals
			for m := (usage.Date{Year: prev.Year, Month: prev.Month, Day: 1}); !m.After(next); m = usage.DateOf(time.Date(m.Year, m.Month+1, 1, 0, 0, 0, 0, time.UTC)) {
				wantMonths = append(wantMonths, usage.MonthTotals{Year: m.Year, Month: m.Month, Totals: wantMonth[[2]int{m.Year, int(m.Month)}]})
			}
			if d := cmp.Diff(wantMonths, months); d != "" {
				t.Errorf("months (-want +got):\n%s", d)
			}
		})
	}
}

func offset(t time.Time) int {
	_, off := t.Zone()
	return off
}

// TestRandomRanges writes random minute deltas over three months that cross
// DST changes and compares every query with a brute-force sum, in several
// zones: the rollup decomposition (coarse ends, hourly, daily middle) must be
// invisible.
func TestRandomRanges(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	first := utc(2024, 2, 20, 0, 0)
	last := utc(2024, 5, 20, 0, 0)
	s, _ := mustOpen(t, newClock(last))
	type ev struct {
		at time.Time
		t  usage.Totals
	}
	var evs []ev
	var b usage.Batch
	for at := first; at.Before(last); at = at.Add(time.Duration(1+rng.IntN(40)) * time.Minute) {
		v := tot(uint64(rng.IntN(1e6)), uint64(rng.IntN(1e4)))
		evs = append(evs, ev{at, v})
		b.Deltas = append(b.Deltas, delta(at.Add(time.Duration(rng.IntN(60))*time.Second), v.Rx, v.Tx))
	}
	mustFlush(t, s, b)
	sumIf := func(keep func(time.Time) bool) usage.Totals {
		var t usage.Totals
		for _, e := range evs {
			if keep(e.at) {
				t = t.Add(e.t)
			}
		}
		return t
	}

	// Totals with the fine tier complete: exact to the minute.
	for range 300 {
		from := first.Add(time.Duration(rng.Int64N(int64(last.Sub(first)))))
		to := from.Add(time.Duration(rng.Int64N(int64(20 * 24 * time.Hour))))
		if rng.IntN(3) == 0 {
			from, to = from.Truncate(15*time.Minute), to.Truncate(time.Hour)
		}
		// Buckets count by start: a minute starting before from (with
		// sub-second from) is out.
		fs, ts := from.Truncate(time.Second), to.Truncate(time.Second)
		if !from.Equal(fs) {
			fs = fs.Add(time.Second)
		}
		if !to.Equal(ts) {
			ts = ts.Add(time.Second)
		}
		want := sumIf(func(at time.Time) bool { return !at.Before(fs) && at.Before(ts) })
		got, err := s.Totals(ctx, from, to, usage.Filter{})
		if err != nil || got != want {
			t.Fatalf("Totals(%v, %v) = %+v, %v; want %+v", from, to, got, err, want)
		}
	}

	for _, zone := range []string{"UTC", "Asia/Kolkata", "Asia/Kathmandu", "America/St_Johns", "Europe/Berlin", "Australia/Lord_Howe", "Pacific/Chatham"} {
		loc := golden.Location(zone)
		d0 := usage.DateOf(first.In(loc))
		d1 := usage.DateOf(last.In(loc))
		days, err := s.Days(ctx, d0, d1, loc, usage.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		want := map[usage.Date]usage.Totals{}
		for _, e := range evs {
			want[usage.DateOf(e.at.In(loc))] = want[usage.DateOf(e.at.In(loc))].Add(e.t)
		}
		var total usage.Totals
		for _, d := range days {
			if d.Totals != want[d.Date] {
				t.Errorf("%s %s = %+v, want %+v", zone, d.Date, d.Totals, want[d.Date])
			}
			total = total.Add(d.Totals)
		}
		if all := sumIf(func(time.Time) bool { return true }); total != all {
			t.Errorf("%s: days sum to %+v, want %+v", zone, total, all)
		}
		months, err := s.Months(ctx, d0, d1, loc, usage.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range months {
			w := sumIf(func(at time.Time) bool { lt := at.In(loc); return lt.Year() == m.Year && lt.Month() == m.Month })
			if m.Totals != w {
				t.Errorf("%s %d-%02d = %+v, want %+v", zone, m.Year, m.Month, m.Totals, w)
			}
		}
		for range 5 {
			d := d0.AddDays(1 + rng.IntN(d0.DaysUntil(d1)-1))
			hours, err := s.Hours(ctx, d, loc, usage.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			for i, h := range hours {
				end := d.AddDays(1).Start(loc)
				if i+1 < len(hours) {
					end = hours[i+1].Start
				}
				w := sumIf(func(at time.Time) bool { return !at.Before(h.Start) && at.Before(end) })
				if h.Totals != w {
					t.Errorf("%s %s hour %v = %+v, want %+v", zone, d, h.Start, h.Totals, w)
				}
			}
		}
	}

	// Series of every step reads the right tier and puts each bucket in
	// the point its start falls in.
	for _, step := range []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 6 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour} {
		from := first.Add(time.Duration(rng.IntN(24*4)) * 15 * time.Minute)
		to := from.Add(time.Duration(1+rng.IntN(200)) * step)
		if to.After(last) {
			to = last
		}
		pts, err := s.Series(ctx, from, to, step, usage.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pts {
			e := p.Start.Add(step)
			if e.After(to) {
				e = to
			}
			w := sumIf(func(at time.Time) bool {
				if step%(15*time.Minute) == 0 {
					at = at.Truncate(15 * time.Minute)
				}
				return !at.Before(p.Start) && at.Before(e)
			})
			if p.Totals != w {
				t.Fatalf("series step %v point %v = %+v, want %+v", step, p.Start, p.Totals, w)
			}
		}
	}
}
