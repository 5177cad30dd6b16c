package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/packetbuddy/pb/internal/api"
	"github.com/packetbuddy/pb/internal/chromium"
	"github.com/packetbuddy/pb/internal/pgtest"
	"github.com/packetbuddy/pb/internal/store"
	pbsync "github.com/packetbuddy/pb/internal/sync"
	"github.com/packetbuddy/pb/internal/usage"
)

// seedDevice is one pb with its own store that syncs traffic to url with
// the real Syncer: per (minutes ago, bytes) an eth0 bucket, and always some
// uncounted loopback.
func seedDevice(ctx context.Context, t *testing.T, url, host, os, tz string, now time.Time, traffic map[int]uint64) (id string, counted uint64) {
	t.Helper()
	st := tempStore(ctx, t)
	id, err := st.DeviceID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.StartChangeTracking(ctx); err != nil {
		t.Fatal(err)
	}
	b := usage.Batch{Interfaces: []usage.Interface{{Name: "eth0", Kind: "ethernet", Counted: true}, {Name: "lo", Kind: "loopback"}}}
	for ago, n := range traffic {
		at := now.Add(-time.Duration(ago) * time.Minute)
		b.Deltas = append(b.Deltas,
			usage.Delta{Iface: "eth0", Bucket: at, Totals: usage.Totals{Rx: n, Tx: n / 4}},
			usage.Delta{Iface: "lo", Bucket: at, Totals: usage.Totals{Rx: 1 << 30, Tx: 1 << 30}})
		counted += n + n/4
	}
	if err := st.Flush(ctx, b); err != nil {
		t.Fatal(err)
	}
	sy := pbsync.New(st, pbsync.Options{URL: url, Device: pbsync.Device{ID: id, Hostname: host, OSType: os, TimeZone: tz}, ConnectTimeout: 5 * time.Second})
	if _, err := sy.SyncNow(ctx); err != nil {
		t.Fatalf("sync %s: %v", host, err)
	}
	return id, counted
}

// tempStore is an empty store in a temporary directory, closed at the end
// of the test.
func tempStore(ctx context.Context, t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "pb.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// openFleetServer is pb serve --fleet on the sync database at url, with an
// empty store of its own.
func openFleetServer(ctx context.Context, t *testing.T, url string, loc *time.Location, tweak ...func(*api.Deps)) *server {
	t.Helper()
	fl, err := pbsync.NewFleet(url)
	if err != nil {
		t.Fatal(err)
	}
	st := tempStore(ctx, t)
	return openServer(t, st, nil, loc, "127.0.0.1:0", append([]func(*api.Deps){func(d *api.Deps) { d.Fleet, d.FleetHome = fl, true }}, tweak...)...)
}

type fleetJSON struct {
	DeviceCount int       `json:"device_count"`
	Today       usageJSON `json:"today"`
	Month       usageJSON `json:"month"`
	Lifetime    usageJSON `json:"lifetime"`
	Devices     []struct {
		DeviceID string    `json:"device_id"`
		Hostname string    `json:"hostname"`
		TimeZone string    `json:"time_zone"`
		Age      int64     `json:"last_seen_age_seconds"`
		Stale    bool      `json:"stale"`
		Today    usageJSON `json:"today"`
		Month    usageJSON `json:"month"`
		Lifetime usageJSON `json:"lifetime"`
	} `json:"devices"`
}

// TestFleetPage: pb serve --fleet on a PostgreSQL fleet of three devices
// synced by the real Syncer. / opens the fleet page; its totals and device
// rows are /api/fleet's numbers; the chart has one stack part per device
// holding /api/fleet/days' numbers; a silent device is marked.
func TestFleetPage(t *testing.T) {
	chromium.Find(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	url, _ := pgtest.Schema(t)
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	// The page and the API decide "this month" at slightly different
	// moments; keep the run away from a month's end.
	if n := time.Now().In(loc); n.AddDate(0, 0, 1).Day() == 1 && n.Hour() == 23 && n.Minute() >= 58 {
		time.Sleep(3 * time.Minute)
	}
	now := time.Now().Truncate(15 * time.Minute)
	_, life1 := seedDevice(ctx, t, url, "desktop", "Linux", "Europe/Berlin", now, map[int]uint64{30: 5_000_000_000, 60 * 24 * 3: 2_000_000_000, 60 * 24 * 40: 7_000_000_000})
	_, life2 := seedDevice(ctx, t, url, "phone-laptop", "Darwin", "Pacific/Auckland", now, map[int]uint64{15: 300_000_000, 60 * 12: 900_000_000})
	old, life3 := seedDevice(ctx, t, url, "old-tv", "Linux", "America/Los_Angeles", now, map[int]uint64{60 * 6: 12_345_678})
	c, err := pgx.Connect(ctx, pgtest.Direct(t, url))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, `UPDATE pb_devices SET last_seen = now() - interval '5 hours 10 minutes' WHERE device_id = $1`, old); err != nil {
		t.Fatal(err)
	}
	c.Close(ctx)

	srv := openFleetServer(ctx, t, url, loc, func(d *api.Deps) { d.Settings.SyncInterval = time.Minute })

	p, nl := newTab(ctx, t)
	p.navigate(ctx, srv.base+"/")
	p.waitTrue(ctx, "the fleet page's data", `document.body.dataset.ready === 'true' && location.pathname === '/dashboard/fleet.html'`)

	var fj fleetJSON
	getJSON(t, srv.base+"/api/fleet", &fj)
	if fj.DeviceCount != 3 || len(fj.Devices) != 3 {
		t.Fatalf("/api/fleet: %+v", fj)
	}

	// Totals.
	var totals []string
	p.mustEval(ctx, `['fleet-today', 'fleet-month', 'fleet-life', 'fleet-count'].map((f) => {
		const el = document.querySelector('[data-field="' + f + '"]');
		return el.textContent + '|' + el.dataset.value;
	})`, &totals)
	wantTotals := []string{
		fmt.Sprintf("%s|%d", fj.Today.HumanReadable.Total, fj.Today.TotalBytes),
		fmt.Sprintf("%s|%d", fj.Month.HumanReadable.Total, fj.Month.TotalBytes),
		fmt.Sprintf("%s|%d", fj.Lifetime.HumanReadable.Total, fj.Lifetime.TotalBytes),
		"3|3",
	}
	if strings.Join(totals, " ") != strings.Join(wantTotals, " ") {
		t.Errorf("totals on the page %q, /api/fleet %q", totals, wantTotals)
	}
	if fj.Lifetime.TotalBytes != life1+life2+life3 {
		t.Errorf("fleet lifetime %d bytes: loopback counted or traffic lost", fj.Lifetime.TotalBytes)
	}

	// Device rows: /api/fleet's numbers, busiest month first, the silent
	// device marked.
	type row struct {
		ID, Host, Seen        string
		Today, Month, Life    string
		TodayB, MonthB, LifeB string
	}
	var rows []row
	p.mustEval(ctx, `[...document.querySelectorAll('#device-rows tr')].map((tr) => {
		const td = tr.querySelectorAll('td');
		return { ID: tr.dataset.device, Host: tr.querySelector('th').textContent, Seen: td[2].textContent,
			Today: td[3].textContent, Month: td[4].textContent, Life: td[5].textContent,
			TodayB: td[3].dataset.value, MonthB: td[4].dataset.value, LifeB: td[5].dataset.value };
	})`, &rows)
	if len(rows) != 3 {
		t.Fatalf("%d device rows", len(rows))
	}
	byID := map[string]row{}
	for i, r := range rows {
		byID[r.ID] = r
		if i > 0 {
			prev, _ := strconv.ParseUint(rows[i-1].MonthB, 10, 64)
			cur, _ := strconv.ParseUint(r.MonthB, 10, 64)
			if prev < cur {
				t.Errorf("rows not sorted by month, busiest first: %s (%d) before %s (%d)", rows[i-1].Host, prev, r.Host, cur)
			}
		}
	}
	for _, d := range fj.Devices {
		r := byID[d.DeviceID]
		want := row{ID: d.DeviceID, Host: d.Hostname, Seen: r.Seen,
			Today: d.Today.HumanReadable.Total, Month: d.Month.HumanReadable.Total, Life: d.Lifetime.HumanReadable.Total,
			TodayB: fmt.Sprint(d.Today.TotalBytes), MonthB: fmt.Sprint(d.Month.TotalBytes), LifeB: fmt.Sprint(d.Lifetime.TotalBytes)}
		if r != want {
			t.Errorf("row %+v, /api/fleet %+v", r, want)
		}
		if marked := strings.Contains(r.Seen, "not seen for"); marked != d.Stale || d.Stale != (d.DeviceID == old) {
			t.Errorf("%s: last seen %q, stale %v (age %d s)", d.Hostname, r.Seen, d.Stale, d.Age)
		}
		if d.DeviceID == old && !strings.Contains(r.Seen, "not seen for 5 h") {
			t.Errorf("the silent device's mark: %q", r.Seen)
		}
	}

	// The chart: one stack part per device, holding /api/fleet/days' days
	// of the month the page shows (the viewer's month).
	var ch struct {
		From, To string
		Labels   []string
		Stacks   []string
		Data     [][]uint64
	}
	p.mustEval(ctx, `(() => {
		const c = Chart.getChart(document.getElementById('fleet-chart'));
		const d = new Date(), pad = (n) => String(n).padStart(2, '0');
		const last = new Date(d.getFullYear(), d.getMonth() + 1, 0).getDate();
		const m = d.getFullYear() + '-' + pad(d.getMonth() + 1);
		return { From: m + '-01', To: m + '-' + pad(last), Labels: c.data.datasets.map((s) => s.label),
			Stacks: c.data.datasets.map((s) => s.stack), Data: c.data.datasets.map((s) => s.data) };
	})()`, &ch)
	var days struct {
		Devices []struct {
			Hostname string
			Days     []dayJSON
		}
	}
	getJSON(t, srv.base+"/api/fleet/days?from="+ch.From+"&to="+ch.To, &days)
	if len(ch.Labels) != 3 || len(days.Devices) != 3 {
		t.Fatalf("chart datasets %q, /api/fleet/days has %d devices", ch.Labels, len(days.Devices))
	}
	for i, d := range days.Devices {
		if ch.Labels[i] != d.Hostname || ch.Stacks[i] != ch.Stacks[0] || len(ch.Data[i]) != len(d.Days) {
			t.Errorf("dataset %d: %q in stack %q with %d bars; want %q, one stack, %d days", i, ch.Labels[i], ch.Stacks[i], len(ch.Data[i]), d.Hostname, len(d.Days))
			continue
		}
		for j, day := range d.Days {
			if ch.Data[i][j] != day.TotalBytes {
				t.Errorf("%s on %s: chart %d, /api/fleet/days %d", d.Hostname, day.Date, ch.Data[i][j], day.TotalBytes)
			}
		}
	}

	// The month picker: the previous month loads, and back.
	p.mustEval(ctx, `document.getElementById('month-prev').click()`, nil)
	p.waitTrue(ctx, "the previous month", `!document.getElementById('month-h').textContent.startsWith('This month')`)
	p.mustEval(ctx, `document.getElementById('month-now').click()`, nil)
	p.waitTrue(ctx, "this month again", `document.getElementById('month-h').textContent.startsWith('This month')`)

	p.mustEval(ctx, `new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 400))))`, nil)
	p.viewportShot(ctx, filepath.Join(chromium.ArtifactDir(t), "fleet-1280-light.png"))
	requests, failures, console := nl.snapshot()
	if len(failures) > 0 {
		t.Errorf("failed requests:\n%s", strings.Join(failures, "\n"))
	}
	if len(console) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(console, "\n"))
	}
	checkHosts(t, requests, srv.Addr())
}

// TestFleetSameHostName: two devices both named "vm" (cloned VMs) are told
// apart on the fleet page by a short device id, in the table and in the
// chart's legend; /api/devices carries the usual byte names and the old
// rx/tx aliases with the same numbers.
func TestFleetSameHostName(t *testing.T) {
	chromium.Find(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	url, _ := pgtest.Schema(t)
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Truncate(15 * time.Minute)
	id1, _ := seedDevice(ctx, t, url, "vm", "Linux", zone, now, map[int]uint64{30: 4_000_000})
	id2, _ := seedDevice(ctx, t, url, "vm", "Linux", zone, now, map[int]uint64{30: 9_000_000})
	_, _ = seedDevice(ctx, t, url, "desk", "Linux", zone, now, map[int]uint64{30: 1_000_000})
	srv := openFleetServer(ctx, t, url, loc)

	var devs struct {
		Devices []struct {
			DeviceID string `json:"device_id"`
			Today    struct {
				BytesReceived uint64 `json:"bytes_received"`
				BytesSent     uint64 `json:"bytes_sent"`
				Rx, Tx        uint64
			} `json:"today"`
		} `json:"devices"`
	}
	getJSON(t, srv.base+"/api/devices", &devs)
	if len(devs.Devices) != 3 {
		t.Fatalf("/api/devices lists %d devices", len(devs.Devices))
	}
	for _, d := range devs.Devices {
		if d.Today.BytesReceived == 0 || d.Today.BytesReceived != d.Today.Rx || d.Today.BytesSent != d.Today.Tx {
			t.Errorf("/api/devices %s today: %+v", d.DeviceID, d.Today)
		}
	}

	p, nl := newTab(ctx, t)
	p.navigate(ctx, srv.base+"/")
	p.waitTrue(ctx, "the fleet page's data", `document.body.dataset.ready === 'true'`)
	var rows map[string]string
	p.mustEval(ctx, `Object.fromEntries([...document.querySelectorAll('#device-rows tr')].map((tr) => [tr.dataset.device, tr.querySelector('th').textContent]))`, &rows)
	want := map[string]string{id1: "vm · " + id1[:8], id2: "vm · " + id2[:8]}
	for id, name := range want {
		if rows[id] != name {
			t.Errorf("device %s shown as %q, want %q", id, rows[id], name)
		}
	}
	if len(rows) != 3 || rows[id1] == rows[id2] {
		t.Errorf("rows %q", rows)
	}
	for id, name := range rows {
		if id != id1 && id != id2 && name != "desk" {
			t.Errorf("a unique host name is shown as %q, want it alone", name)
		}
	}
	var labels []string
	p.mustEval(ctx, `Chart.getChart(document.getElementById('fleet-chart')).data.datasets.map((s) => s.label).sort()`, &labels)
	wantLabels := []string{"desk", "vm (" + id1[:8] + ")", "vm (" + id2[:8] + ")"}
	slices.Sort(wantLabels)
	if !slices.Equal(labels, wantLabels) {
		t.Errorf("chart legend %q, want %q", labels, wantLabels)
	}
	p.viewportShot(ctx, filepath.Join(chromium.ArtifactDir(t), "fleet-same-host.png"))
	requests, failures, console := nl.snapshot()
	if len(failures) > 0 || len(console) > 0 {
		t.Errorf("failures %q, console %q", failures, console)
	}
	checkHosts(t, requests, srv.Addr())
}
