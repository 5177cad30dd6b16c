package sync

import (
	"context"
	"errors"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/pgtest"
	"github.com/packetbuddy/pb/internal/usage"
)

// newTestFleet is a Fleet on a fresh schema.
func newTestFleet(t *testing.T) (string, *Fleet) {
	t.Helper()
	url, _ := testSchema(t)
	f, err := NewFleet(url)
	if err != nil {
		t.Fatal(err)
	}
	return url, f
}

// Each device's today and month are its own zone's, and equal the local
// store's answers; the fleet sums are the devices' sums.
func TestFleetUsage(t *testing.T) {
	t.Parallel()
	url, f := newTestFleet(t)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	if _, err := f.Usage(ctx, now); err == nil {
		t.Error("fleet of an empty database: no error")
	}
	zones := []string{"Europe/Berlin", "America/New_York", "Asia/Kolkata"}
	devs := map[string]*device{}
	for _, z := range zones {
		d := newDevice(t, url, z)
		d.base = time.Date(2026, 2, 28, 18, 0, 0, 0, time.UTC)
		d.traffic(t, 0, 30*60) // 30 hours across both midnights and the month change
		mustSync(t, d)
		devs[d.id] = d
	}
	if _, err := f.Usage(ctx, now.Add(time.Second)); err == nil {
		t.Error("a failure is not remembered for CacheFor")
	}
	f.usage.errAt = time.Time{}
	fu, err := f.Usage(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(fu.Devices) != len(zones) {
		t.Fatalf("%d devices", len(fu.Devices))
	}
	var today, month, life usage.Totals
	for _, du := range fu.Devices {
		d := devs[du.DeviceID]
		loc, _ := time.LoadLocation(du.TimeZone)
		y, m, day := now.In(loc).Date()
		d0 := time.Date(y, m, day, 0, 0, 0, 0, loc)
		m0 := time.Date(y, m, 1, 0, 0, 0, 0, loc)
		wantToday, err := d.st.Totals(ctx, d0, d0.AddDate(0, 0, 1), usage.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		wantMonth, _ := d.st.Totals(ctx, m0, m0.AddDate(0, 1, 0), usage.Filter{})
		wantLife, _ := d.st.Lifetime(ctx, usage.Filter{})
		if du.Today != wantToday || du.Month != wantMonth || du.Lifetime != wantLife {
			t.Errorf("%s: today %+v month %+v life %+v; local %+v %+v %+v", du.TimeZone, du.Today, du.Month, du.Lifetime, wantToday, wantMonth, wantLife)
		}
		today, month, life = today.Add(wantToday), month.Add(wantMonth), life.Add(wantLife)
	}
	if fu.Today != today || fu.Month != month || fu.Lifetime != life {
		t.Errorf("fleet %+v %+v %+v, want %+v %+v %+v", fu.Today, fu.Month, fu.Lifetime, today, month, life)
	}
	if fu.RemoteBytes < 100_000 {
		t.Errorf("remote size %d bytes", fu.RemoteBytes)
	}
	if fu.Devices[0].Today == fu.Devices[1].Today {
		t.Errorf("zones made no difference: %+v", fu.Devices)
	}
	// Cached within CacheFor.
	c := pgtest.Connect(t, url)
	if _, err := c.Exec(ctx, "DELETE FROM pb_usage; DELETE FROM pb_days; DELETE FROM pb_lifetime"); err != nil {
		t.Fatal(err)
	}
	if again, _ := f.Usage(ctx, now.Add(time.Second)); again.Lifetime != life {
		t.Errorf("not cached")
	}
}

// Each device's days are its own zone's days, equal to the local store's
// days exactly; a month of days adds up to Usage's month; every device is
// listed, also one without traffic in the range.
func TestFleetDays(t *testing.T) {
	t.Parallel()
	url, f := newTestFleet(t)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	mar1, mar31 := usage.Date{Year: 2026, Month: 3, Day: 1}, usage.Date{Year: 2026, Month: 3, Day: 31}
	if _, err := f.Days(ctx, now, mar1, mar31); !errors.Is(err, ErrNoSchema) {
		t.Errorf("days of an empty database: %v, want ErrNoSchema", err)
	}
	f.days.errAt = time.Time{}
	// Auckland (UTC+13) is already in 1 March at 11:00 UTC on 28 February,
	// Los Angeles (UTC-8) still in 28 February until 08:00 UTC on 1 March,
	// Kolkata's midnight falls on a half hour.
	zones := []string{"Pacific/Auckland", "America/Los_Angeles", "Asia/Kolkata"}
	devs := map[string]*device{}
	for _, z := range zones {
		d := newDevice(t, url, z)
		d.base = time.Date(2026, 2, 28, 6, 0, 0, 0, time.UTC)
		d.traffic(t, 0, 40*60) // 40 hours: three local dates in every zone
		mustSync(t, d)
		devs[d.id] = d
	}
	fu, err := f.Usage(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	feb27 := usage.Date{Year: 2026, Month: 2, Day: 27}
	fd, err := f.Days(ctx, now, feb27, mar31)
	if err != nil {
		t.Fatal(err)
	}
	if len(fd.Devices) != len(zones) || fd.From != feb27 || fd.To != mar31 {
		t.Fatalf("days: %d devices, %s..%s", len(fd.Devices), fd.From, fd.To)
	}
	var all usage.Totals
	for i, dd := range fd.Devices {
		if dd.DeviceID != fu.Devices[i].DeviceID {
			t.Errorf("device %d is %s, Usage lists %s there", i, dd.DeviceID, fu.Devices[i].DeviceID)
		}
		d := devs[dd.DeviceID]
		loc, _ := time.LoadLocation(dd.TimeZone)
		local, err := d.st.Days(ctx, feb27, mar31, loc, usage.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		var want []usage.DayTotals
		var total usage.Totals
		for _, ld := range local {
			if ld.Total() > 0 {
				want = append(want, usage.DayTotals{Date: ld.Date, Totals: ld.Totals})
				total = total.Add(ld.Totals)
			}
		}
		if len(want) != 3 {
			t.Errorf("%s: traffic on %d local days, the test wants 3", dd.TimeZone, len(want))
		}
		if !slices.Equal(dd.Days, want) || dd.Total != total {
			t.Errorf("%s: days %+v total %+v; local %+v %+v", dd.TimeZone, dd.Days, dd.Total, want, total)
		}
		// The month's days add up to Usage's month.
		var month usage.Totals
		for _, day := range dd.Days {
			if !day.Date.Before(mar1) {
				month = month.Add(day.Totals)
			}
		}
		if month != fu.Devices[i].Month {
			t.Errorf("%s: March days sum to %+v, Usage's month is %+v", dd.TimeZone, month, fu.Devices[i].Month)
		}
		all = all.Add(total)
	}
	if fd.Total != all {
		t.Errorf("fleet total %+v, want %+v", fd.Total, all)
	}
	first := func(fd FleetDays) []usage.Date {
		var out []usage.Date
		for _, dd := range fd.Devices {
			out = append(out, dd.Days[0].Date)
		}
		return out
	}
	if got := first(fd); len(slices.Compact(slices.SortedFunc(slices.Values(got), usage.Date.Compare))) < 2 {
		t.Errorf("zones made no difference: first days %v", got)
	}

	// A range without traffic still lists every device, with no days.
	jan := usage.Date{Year: 2026, Month: 1, Day: 1}
	empty, err := f.Days(ctx, now, jan, jan.AddDays(30))
	if err != nil {
		t.Fatal(err)
	}
	if len(empty.Devices) != len(zones) || empty.Total != (usage.Totals{}) || len(empty.Devices[0].Days) != 0 {
		t.Errorf("January: %+v", empty)
	}
	// Cached per range within CacheFor; another range is read anew.
	c := pgtest.Connect(t, url)
	if _, err := c.Exec(ctx, "DELETE FROM pb_usage; DELETE FROM pb_days; DELETE FROM pb_lifetime"); err != nil {
		t.Fatal(err)
	}
	if again, _ := f.Days(ctx, now.Add(time.Second), jan, jan.AddDays(30)); len(again.Devices) != len(zones) {
		t.Errorf("not cached: %+v", again)
	}
	if again, _ := f.Days(ctx, now.Add(time.Second), feb27, mar31); again.Total != (usage.Totals{}) {
		t.Errorf("another range answered from the cache: %+v", again.Total)
	}
	if _, err := f.Days(ctx, now, mar31, mar1); err == nil {
		t.Error("a reversed range: no error")
	}
}

// A reader that gave up (the browser reloaded) must not make the fleet
// answer its error to everyone for the cache time; a server that did not
// answer in time must (one timeout, not one per request).
func TestFleetDoesNotRememberCanceledReads(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { // accepts and never answers: a hung server
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // when the listener closes
		}
	}()
	f, err := NewFleet("postgres://pb@" + ln.Addr().String() + "/pb?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	if _, err := f.Usage(ctx, time.Now()); err == nil {
		t.Fatal("a read of a hung server succeeded")
	}
	if !f.usage.errAt.IsZero() {
		t.Errorf("a canceled read was remembered: %v", f.usage.err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := f.Days(ctx, time.Now(), usage.Date{Year: 2026, Month: 3, Day: 1}, usage.Date{Year: 2026, Month: 3, Day: 2}); err == nil {
		t.Fatal("a read of a hung server succeeded")
	}
	if f.days.errAt.IsZero() {
		t.Error("a timed-out read was not remembered: every request would wait for the server again")
	}
}

func TestMonthBounds(t *testing.T) {
	for _, tc := range []struct {
		now    time.Time
		lo, hi string
	}{
		{time.Date(2026, 11, 24, 14, 0, 0, 0, time.UTC), "2026-11-01", "2026-11-30"},
		{time.Date(2026, 3, 1, 5, 0, 0, 0, time.UTC), "2026-02-01", "2026-03-31"},    // UTC-12 is still in February
		{time.Date(2026, 12, 31, 12, 0, 0, 0, time.UTC), "2026-12-01", "2027-01-31"}, // UTC+14 is in January
		{time.Date(2026, 6, 15, 0, 0, 0, 0, time.FixedZone("x", 5*3600)), "2026-06-01", "2026-06-30"},
	} {
		if lo, hi := monthBounds(tc.now); lo != tc.lo || hi != tc.hi {
			t.Errorf("monthBounds(%v) = %s, %s; want %s, %s", tc.now, lo, hi, tc.lo, tc.hi)
		}
	}
}
