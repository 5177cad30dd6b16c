package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	pbsync "github.com/packetbuddy/pb/internal/sync"
	"github.com/packetbuddy/pb/internal/usage"
)

func date(y int, m time.Month, d int) usage.Date { return usage.Date{Year: y, Month: m, Day: d} }

func newFleetFixture(t *testing.T, opts ...func(*Deps)) (*fakeFleet, http.Handler) {
	t.Helper()
	fl := &fakeFleet{
		fu: pbsync.FleetUsage{
			At: fixedNow,
			Devices: []pbsync.DeviceUsage{
				{DeviceID: "a", Hostname: "laptop", OSType: "Darwin", TimeZone: "Europe/Berlin", LastSeen: fixedNow.Add(-10 * time.Minute),
					Today: usage.Totals{Rx: 1000, Tx: 500}, Month: usage.Totals{Rx: 5_000_000, Tx: 2_500_000}, Lifetime: usage.Totals{Rx: 9_000_000_000, Tx: 1}},
				{DeviceID: "b", Hostname: "tv", OSType: "Linux", TimeZone: "Asia/Kolkata", LastSeen: fixedNow.Add(-5 * time.Hour),
					Month: usage.Totals{Rx: 7, Tx: 3}, Lifetime: usage.Totals{Rx: 70, Tx: 30}},
			},
			Today:    usage.Totals{Rx: 1000, Tx: 500},
			Month:    usage.Totals{Rx: 5_000_007, Tx: 2_500_003},
			Lifetime: usage.Totals{Rx: 9_000_000_070, Tx: 31},
		},
		fd: pbsync.FleetDays{Devices: []pbsync.DeviceDays{
			{DeviceID: "a", Hostname: "laptop", TimeZone: "Europe/Berlin", LastSeen: fixedNow, Days: []usage.DayTotals{
				{Date: date(2026, 3, 1), Totals: usage.Totals{Rx: 100, Tx: 10}},
				{Date: date(2026, 3, 8), Totals: usage.Totals{Rx: 200, Tx: 20}},
			}},
			{DeviceID: "b", Hostname: "tv", TimeZone: "Asia/Kolkata", LastSeen: fixedNow, Days: []usage.DayTotals{
				{Date: date(2026, 3, 8), Totals: usage.Totals{Rx: 1, Tx: 2}},
			}},
		}},
	}
	f := newFixture(t, false, append([]func(*Deps){func(d *Deps) { d.Fleet = fl }}, opts...)...)
	return fl, f.srv.Handler()
}

func TestFleetEndpoint(t *testing.T) {
	_, h := newFleetFixture(t)
	rec := do(t, h, "GET", "/api/fleet")
	if rec.Code != 200 {
		t.Fatalf("fleet = %d %s", rec.Code, rec.Body)
	}
	var got struct {
		At                string `json:"at"`
		DeviceCount       int    `json:"device_count"`
		StaleAfterSeconds int64  `json:"stale_after_seconds"`
		Month             struct {
			TotalBytes    uint64            `json:"total_bytes"`
			HumanReadable map[string]string `json:"human_readable"`
		} `json:"month"`
		Devices []struct {
			Hostname string `json:"hostname"`
			LastSeen string `json:"last_seen"`
			Age      int64  `json:"last_seen_age_seconds"`
			Stale    bool   `json:"stale"`
			Lifetime struct {
				HumanReadable map[string]string `json:"human_readable"`
			} `json:"lifetime"`
		} `json:"devices"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.At != "2026-03-08T12:00:00-04:00" || got.DeviceCount != 2 || got.StaleAfterSeconds != 3600 ||
		got.Month.TotalBytes != 7_500_010 || got.Month.HumanReadable["total"] != "7.50 MB" {
		t.Errorf("fleet = %s", rec.Body)
	}
	if len(got.Devices) != 2 {
		t.Fatalf("devices = %s", rec.Body)
	}
	a, b := got.Devices[0], got.Devices[1]
	if a.Hostname != "laptop" || a.Age != 600 || a.Stale || a.Lifetime.HumanReadable["received"] != "9.00 GB" || a.LastSeen != "2026-03-08T11:50:00-04:00" {
		t.Errorf("laptop = %+v", a)
	}
	if b.Age != 5*3600 || !b.Stale {
		t.Errorf("tv = %+v, want stale after 5 h", b)
	}
	// A long sync interval moves the mark: three intervals.
	_, h = newFleetFixture(t, func(d *Deps) { d.Settings.SyncInterval = 2 * time.Hour })
	if rec := do(t, h, "GET", "/api/fleet"); !strings.Contains(rec.Body.String(), `"stale_after_seconds":21600`) || strings.Contains(rec.Body.String(), `"stale":true`) {
		t.Errorf("fleet with a 2 h interval = %s", rec.Body)
	}
}

func TestFleetDaysEndpoint(t *testing.T) {
	fl, h := newFleetFixture(t)
	rec := do(t, h, "GET", "/api/fleet/days")
	if rec.Code != 200 {
		t.Fatalf("fleet days = %d %s", rec.Code, rec.Body)
	}
	if fl.from != date(2026, 3, 1) || fl.to != date(2026, 3, 31) {
		t.Errorf("default range %s..%s, want this month", fl.from, fl.to)
	}
	var got struct {
		From, To string
		Dates    []string
		Days     []dayRow
		Summary  struct {
			TotalBytes uint64 `json:"total_bytes"`
		}
		Devices []struct {
			Hostname string
			Total    struct {
				TotalBytes    uint64            `json:"total_bytes"`
				HumanReadable map[string]string `json:"human_readable"`
			}
			Days []dayRow
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.From != "2026-03-01" || got.To != "2026-03-31" || len(got.Dates) != 31 || len(got.Days) != 31 || got.Summary.TotalBytes != 333 {
		t.Errorf("fleet days = %s", rec.Body)
	}
	if len(got.Devices) != 2 {
		t.Fatalf("devices: %s", rec.Body)
	}
	for _, d := range got.Devices {
		if len(d.Days) != 31 {
			t.Errorf("%s: %d days, want 31 (zero days included)", d.Hostname, len(d.Days))
		}
	}
	if d := got.Devices[0]; d.Total.TotalBytes != 330 || d.Days[0].TotalBytes != 110 || d.Days[7].TotalBytes != 220 || d.Days[1].TotalBytes != 0 || d.Days[30].Date != "2026-03-31" {
		t.Errorf("laptop: %+v", d)
	}
	if diff := cmp.Diff(dayRow{Date: "2026-03-08", BytesSent: 22, BytesReceived: 201, TotalBytes: 223}, got.Days[7]); diff != "" {
		t.Errorf("fleet's 8 March (-want +got):\n%s", diff)
	}

	do(t, h, "GET", "/api/fleet/days?from=2025-03-09&to=2026-03-09")
	if fl.from != date(2025, 3, 9) || fl.to != date(2026, 3, 9) {
		t.Errorf("366 days: asked %s..%s", fl.from, fl.to)
	}
	for _, tc := range []struct{ query, want string }{
		{"from=2026-02-30", "not a valid date"},
		{"from=2026-03-10&to=2026-03-01", "starts (2026-03-10) after it ends"},
		{"from=2025-03-08&to=2026-03-09", "367 days; at most 366"},
		{"from=2016-03-08&to=2026-03-09", "at most 366"},
		{"from=2026-03-01&from=2026-03-02", "given 2 times"},
		{"from=2026-03-01&from_date=2026-03-02", "mean the same"},
	} {
		rec := do(t, h, "GET", "/api/fleet/days?"+tc.query)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), tc.want) || !strings.HasPrefix(rec.Body.String(), `{"error":`) {
			t.Errorf("%s = %d %s, want 400 with %q", tc.query, rec.Code, rec.Body, tc.want)
		}
	}
}

func TestFleetEndpointsErrors(t *testing.T) {
	h := newFixture(t, false).srv.Handler()
	for _, path := range []string{"/api/fleet", "/api/fleet/days", "/api/fleet/days?from=2026-03-01"} {
		if rec := do(t, h, "GET", path); rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "PB_DATABASE_URL") {
			t.Errorf("%s without sync = %d %s", path, rec.Code, rec.Body)
		}
	}
	for _, tc := range []struct {
		err  error
		code int
	}{{pbsync.ErrNoSchema, http.StatusServiceUnavailable}, {errors.New("the sync database is unreachable"), http.StatusBadGateway}} {
		fl, h := newFleetFixture(t)
		fl.err = tc.err
		for _, path := range []string{"/api/fleet", "/api/fleet/days"} {
			if rec := do(t, h, "GET", path); rec.Code != tc.code || !strings.HasPrefix(rec.Body.String(), `{"error":`) {
				t.Errorf("%s with %v = %d %s", path, tc.err, rec.Code, rec.Body)
			}
		}
	}
}

func TestFleetHome(t *testing.T) {
	for _, tc := range []struct {
		home bool
		want string
	}{{false, "/dashboard/"}, {true, "/dashboard/fleet.html"}} {
		_, h := newFleetFixture(t, func(d *Deps) { d.FleetHome = tc.home })
		if rec := do(t, h, "GET", "/"); rec.Code != http.StatusFound || rec.Header().Get("Location") != tc.want {
			t.Errorf("FleetHome %v: / = %d → %q, want %q", tc.home, rec.Code, rec.Header().Get("Location"), tc.want)
		}
	}
}
