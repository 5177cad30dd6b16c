package sync

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/packetbuddy/pb/internal/usage"
)

// Each device's today and month are its own zone's, and equal the local
// store's answers; the fleet sums are the devices' sums.
func TestFleetUsage(t *testing.T) {
	t.Parallel()
	url, _ := testSchema(t)
	f, err := NewFleet(url)
	if err != nil {
		t.Fatal(err)
	}
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
	f.errAt = time.Time{}
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
	c, _ := pgx.Connect(ctx, url)
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "DELETE FROM pb_usage"); err != nil {
		t.Fatal(err)
	}
	if again, _ := f.Usage(ctx, now.Add(time.Second)); again.Lifetime != life {
		t.Errorf("not cached")
	}
}
