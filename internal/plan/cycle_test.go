package plan

import (
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/golden"
	"github.com/packetbuddy/pb/internal/usage"
)

func date(y int, m time.Month, d int) usage.Date { return usage.Date{Year: y, Month: m, Day: d} }

func TestCycleBounds(t *testing.T) {
	monthly31 := Cycle{Kind: Monthly, ResetDay: 31}
	every28 := Cycle{Kind: EveryDays, Every: 28, Start: date(2026, 1, 15)}
	pack := Cycle{Kind: OneTime, Start: date(2026, 3, 1), Expires: date(2026, 3, 14)}
	tests := []struct {
		name       string
		c          Cycle
		zone       string
		at         string // local wall time in zone, "2006-01-02 15:04"
		start, end usage.Date
		ok         bool
		hours      float64 // expected end-start in hours; 0 = days*24
	}{
		{"day 31 in non-leap February", monthly31, "UTC", "2026-02-15 10:00", date(2026, 1, 31), date(2026, 2, 28), true, 0},
		{"day 31 on Feb 28 itself", monthly31, "UTC", "2026-02-28 00:00", date(2026, 2, 28), date(2026, 3, 31), true, 0},
		{"day 31 in leap February", monthly31, "UTC", "2028-02-20 10:00", date(2028, 1, 31), date(2028, 2, 29), true, 0},
		{"day 31 on leap day", monthly31, "UTC", "2028-02-29 23:59", date(2028, 2, 29), date(2028, 3, 31), true, 0},
		{"day 31 in April", monthly31, "UTC", "2026-04-30 08:00", date(2026, 4, 30), date(2026, 5, 31), true, 0},
		{"day 31 before April's reset", monthly31, "UTC", "2026-04-29 23:59", date(2026, 3, 31), date(2026, 4, 30), true, 0},
		{"day 30 in leap February", Cycle{Kind: Monthly, ResetDay: 30}, "UTC", "2028-03-01 00:00", date(2028, 2, 29), date(2028, 3, 30), true, 0},
		{"day 1 across new year", Cycle{Kind: Monthly, ResetDay: 1}, "UTC", "2026-12-31 23:59", date(2026, 12, 1), date(2027, 1, 1), true, 0},
		{"day 15 in January", Cycle{Kind: Monthly, ResetDay: 15}, "UTC", "2027-01-03 12:00", date(2026, 12, 15), date(2027, 1, 15), true, 0},
		{"N days on start", every28, "UTC", "2026-01-15 00:00", date(2026, 1, 15), date(2026, 2, 12), true, 0},
		{"N days after start", every28, "UTC", "2026-03-20 12:00", date(2026, 3, 12), date(2026, 4, 9), true, 0},
		{"N days before start", every28, "UTC", "2026-01-14 23:59", date(2025, 12, 18), date(2026, 1, 15), true, 0},
		{"N days long before start", every28, "UTC", "2025-11-01 12:00", date(2025, 10, 23), date(2025, 11, 20), true, 0},
		{"pack first day", pack, "UTC", "2026-03-01 00:00", date(2026, 3, 1), date(2026, 3, 15), true, 0},
		{"pack last day", pack, "UTC", "2026-03-14 23:59", date(2026, 3, 1), date(2026, 3, 15), true, 0},
		{"pack before", pack, "UTC", "2026-02-28 23:59", usage.Date{}, usage.Date{}, false, 0},
		{"pack after", pack, "UTC", "2026-03-15 00:00", usage.Date{}, usage.Date{}, false, 0},
		// March 8 2026: US clocks spring forward; the cycle loses an hour.
		{"DST spring inside cycle", Cycle{Kind: Monthly, ResetDay: 1}, "America/New_York", "2026-03-20 12:00", date(2026, 3, 1), date(2026, 4, 1), true, 31*24 - 1},
		// October 25 2026: EU clocks fall back; the cycle gains an hour.
		{"DST autumn inside cycle", Cycle{Kind: Monthly, ResetDay: 10}, "Europe/Berlin", "2026-10-30 00:30", date(2026, 10, 10), date(2026, 11, 10), true, 31*24 + 1},
		{"N days across DST", Cycle{Kind: EveryDays, Every: 7, Start: date(2026, 3, 5)}, "America/New_York", "2026-03-09 01:00", date(2026, 3, 5), date(2026, 3, 12), true, 7*24 - 1},
		{"Kiritimati +14", Cycle{Kind: Monthly, ResetDay: 31}, "Pacific/Kiritimati", "2026-03-01 00:30", date(2026, 2, 28), date(2026, 3, 31), true, 0},
		{"Tongatapu +13", Cycle{Kind: Monthly, ResetDay: 1}, "Pacific/Tongatapu", "2026-06-01 00:00", date(2026, 6, 1), date(2026, 7, 1), true, 0},
		{"Pago Pago -11", Cycle{Kind: Monthly, ResetDay: 1}, "Pacific/Pago_Pago", "2026-05-31 23:59", date(2026, 5, 1), date(2026, 6, 1), true, 0},
		{"Etc/GMT+12", pack, "Etc/GMT+12", "2026-03-14 23:00", date(2026, 3, 1), date(2026, 3, 15), true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := golden.Location(tt.zone)
			at, err := time.ParseInLocation("2006-01-02 15:04", tt.at, loc)
			if err != nil {
				t.Fatal(err)
			}
			// Pass the instant in UTC: Bounds must work in loc, not in t's zone.
			start, end, ok := tt.c.Bounds(at.UTC(), loc)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				if !start.IsZero() || !end.IsZero() {
					t.Errorf("bounds %v..%v, want zero times", start, end)
				}
				return
			}
			if !start.Equal(tt.start.Start(loc)) || !end.Equal(tt.end.Start(loc)) {
				t.Errorf("Bounds = %v .. %v, want %v .. %v", start, end, tt.start.Start(loc), tt.end.Start(loc))
			}
			for _, b := range []time.Time{start, end} {
				if l := b.In(loc); l.Hour() != 0 || l.Minute() != 0 {
					t.Errorf("boundary %v is not local midnight", l)
				}
			}
			if start.After(at) || !end.After(at) {
				t.Errorf("%v not inside [%v, %v)", at, start, end)
			}
			want := tt.hours
			if want == 0 {
				want = float64(tt.start.DaysUntil(tt.end) * 24)
			}
			if got := end.Sub(start).Hours(); got != want {
				t.Errorf("cycle lasts %v h, want %v h", got, want)
			}
		})
	}
}

// Every instant belongs to exactly one cycle and consecutive cycles touch.
func TestCycleBoundsContiguous(t *testing.T) {
	loc := golden.Location("Australia/Lord_Howe") // half-hour DST: the oddest midnight handling
	for _, c := range []Cycle{{Kind: Monthly, ResetDay: 31}, {Kind: Monthly, ResetDay: 29}, {Kind: EveryDays, Every: 30, Start: date(2027, 6, 1)}} {
		at := time.Date(2026, 1, 1, 0, 0, 0, 0, loc)
		_, end, _ := c.Bounds(at, loc)
		for range 40 {
			s, e, ok := c.Bounds(end, loc)
			if !ok || !s.Equal(end) || !e.After(s) {
				t.Fatalf("%+v: cycle after %v is %v..%v (ok %v)", c, end, s, e, ok)
			}
			if ps, pe, _ := c.Bounds(end.Add(-time.Nanosecond), loc); !pe.Equal(end) || !ps.Before(end) {
				t.Fatalf("%+v: instant before %v is in %v..%v", c, end, ps, pe)
			}
			end = e
		}
	}
}
