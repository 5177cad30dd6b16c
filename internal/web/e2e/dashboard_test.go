// Package e2e tests the dashboard in a real headless Chromium against a real
// API server (internal/api) on a real store filled with known data.
//
// It needs Debian's chromium (scripts/install-chromium.sh). Under CI=true a
// missing browser is a failure; elsewhere the test is skipped.
//
// Screenshots and timings go to $PB_ARTIFACTS, or artifacts/ at the
// repository root. PB_UPDATE_SCREENSHOT=1 also rewrites the README's
// pictures: docs/screenshot-dashboard.png, screenshot-phone.png (Linux)
// and screenshot-apps.png.
package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // the test's zone must exist on any machine

	"github.com/packetbuddy/pb/internal/api"
	"github.com/packetbuddy/pb/internal/chromium"
	"github.com/packetbuddy/pb/internal/plan"
	"github.com/packetbuddy/pb/internal/store"
	"github.com/packetbuddy/pb/internal/units"
	"github.com/packetbuddy/pb/internal/usage"
	"github.com/packetbuddy/pb/internal/web"
)

// zone is both the daemon's and the browser's time zone: west of UTC, so a
// date parsed as UTC midnight (new Date("YYYY-MM-DD")) shows the day before
// and the test catches it. Its DST change days are 23 and 25 hours long.
const zone = "America/Los_Angeles"

// netLog records what the browser asked for, in every target (the page and
// its service worker).
type netLog struct {
	mu       sync.Mutex
	urls     map[string]string // session+requestId -> URL
	requests []string
	failures []string
	console  []string
}

func (n *netLog) record(ev cdpEvent) {
	n.mu.Lock()
	defer n.mu.Unlock()
	switch ev.Method {
	case "Network.requestWillBeSent":
		var p struct {
			RequestID string `json:"requestId"`
			Request   struct {
				URL string `json:"url"`
			} `json:"request"`
		}
		_ = json.Unmarshal(ev.Params, &p)
		n.urls[ev.SessionID+p.RequestID] = p.Request.URL
		n.requests = append(n.requests, p.Request.URL)
	case "Network.loadingFailed":
		var p struct {
			RequestID     string `json:"requestId"`
			ErrorText     string `json:"errorText"`
			Canceled      bool   `json:"canceled"`
			BlockedReason string `json:"blockedReason"`
		}
		_ = json.Unmarshal(ev.Params, &p)
		if !p.Canceled {
			n.failures = append(n.failures, fmt.Sprintf("%s: %s %s", n.urls[ev.SessionID+p.RequestID], p.ErrorText, p.BlockedReason))
		}
	case "Network.responseReceived":
		var p struct {
			Response struct {
				URL    string `json:"url"`
				Status int    `json:"status"`
			} `json:"response"`
		}
		_ = json.Unmarshal(ev.Params, &p)
		if p.Response.Status >= 400 {
			n.failures = append(n.failures, fmt.Sprintf("%s: HTTP %d", p.Response.URL, p.Response.Status))
		}
	case "Runtime.consoleAPICalled":
		var p struct {
			Type string `json:"type"`
			Args []struct {
				Value       any    `json:"value"`
				Description string `json:"description"`
			} `json:"args"`
		}
		_ = json.Unmarshal(ev.Params, &p)
		if p.Type == "error" || p.Type == "assert" {
			var parts []string
			for _, a := range p.Args {
				parts = append(parts, fmt.Sprint(a.Value, a.Description))
			}
			n.console = append(n.console, "console."+p.Type+": "+strings.Join(parts, " "))
		}
	case "Runtime.exceptionThrown":
		var p struct {
			ExceptionDetails struct {
				Text      string `json:"text"`
				Exception struct {
					Description string `json:"description"`
				} `json:"exception"`
			} `json:"exceptionDetails"`
		}
		_ = json.Unmarshal(ev.Params, &p)
		n.console = append(n.console, "exception: "+p.ExceptionDetails.Text+" "+p.ExceptionDetails.Exception.Description)
	case "Log.entryAdded":
		var p struct {
			Entry struct {
				Level  string `json:"level"`
				Source string `json:"source"`
				Text   string `json:"text"`
				URL    string `json:"url"`
			} `json:"entry"`
		}
		_ = json.Unmarshal(ev.Params, &p)
		if p.Entry.Level == "error" { // failed loads, CSP violations, ...
			n.console = append(n.console, "log ("+p.Entry.Source+"): "+p.Entry.Text+" "+p.Entry.URL)
		}
	}
}

func (n *netLog) snapshot() (requests, failures, console []string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.requests), slices.Clone(n.failures), slices.Clone(n.console)
}

// server is the API on a real store, as pb serve builds it.
type server struct {
	*api.Server
	base   string
	closed bool
}

// stop closes the server once (api.Server.Close must not be called twice).
func (s *server) stop(ctx context.Context) error {
	if s.closed {
		return nil
	}
	s.closed = true
	return s.Close(ctx)
}

func openServer(t *testing.T, st *store.Store, live api.Monitor, loc *time.Location, addr string, tweak ...func(*api.Deps)) *server {
	t.Helper()
	d := api.Deps{
		Store:       st,
		Monitor:     live,
		Location:    loc,
		DeviceID:    "00000000-0000-4000-8000-000000000e2e",
		Hostname:    "e2e-host",
		OSType:      "Linux",
		Version:     "e2e",
		ReleaseDate: "2026-01-01",
		Dashboard:   web.FS(),
	}
	for _, fn := range tweak {
		fn(&d)
	}
	s, err := api.New(d)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Open(addr); err != nil {
		t.Fatal(err)
	}
	srv := &server{Server: s, base: "http://" + s.Addr()}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.stop(ctx)
	})
	return srv
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	b := getBody(t, u)
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

func getBody(t *testing.T, u string) []byte {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v %s", u, res.StatusCode, err, b)
	}
	return b
}

type usageJSON struct {
	BytesSent     uint64 `json:"bytes_sent"`
	BytesReceived uint64 `json:"bytes_received"`
	TotalBytes    uint64 `json:"total_bytes"`
	PeakSpeed     uint64 `json:"peak_speed"`
	HumanReadable struct {
		Sent, Received, Total string
		PeakSpeed             string `json:"peak_speed"`
	} `json:"human_readable"`
}

type dayJSON struct {
	Date          string `json:"date"`
	BytesSent     uint64 `json:"bytes_sent"`
	BytesReceived uint64 `json:"bytes_received"`
	TotalBytes    uint64 `json:"total_bytes"`
	PeakSpeed     uint64 `json:"peak_speed"`
}

type periodJSON struct {
	Days    []dayJSON `json:"days"`
	Summary usageJSON `json:"summary"`
}

// env is one browser tab on one API server with the known data.
type env struct {
	ctx       context.Context
	loc       *time.Location
	now       time.Time
	st        *store.Store
	counted   uint64
	live      *fakeLive
	srv       *server
	b         *browser
	p         *page
	nl        *netLog
	downloads string
	artifacts string
}

// newEnv opens the dashboard on the known data, with these data plans.
func newEnv(t *testing.T, plans ...plan.Spec) *env {
	t.Helper()
	return newEnvWith(t, nil, plans...)
}

// newEnvWith is newEnv with the API's Deps changed by tweak (if not nil).
func newEnvWith(t *testing.T, tweak func(*api.Deps), plans ...plan.Spec) *env {
	t.Helper()
	chromium.Find(t) // skip (or, under CI, fail) before building anything
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	// The page and the daemon each decide "today" at a slightly different
	// moment; keep the run away from local midnight.
	if n := time.Now().In(loc); n.Hour() == 23 && n.Minute() >= 57 {
		time.Sleep(time.Until(time.Date(n.Year(), n.Month(), n.Day()+1, 0, 0, 5, 0, loc)))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(cancel)
	e := &env{ctx: ctx, loc: loc, artifacts: chromium.ArtifactDir(t), downloads: t.TempDir()}

	e.st, err = store.Open(ctx, filepath.Join(t.TempDir(), "pb.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.st.Close() })
	e.now = time.Now()
	e.counted = fillStore(ctx, t, e.st, loc, e.now)
	e.live = newFakeLive()
	t.Cleanup(e.live.close)
	e.srv = openServer(t, e.st, e.live, loc, "127.0.0.1:0", func(d *api.Deps) {
		d.Plans = plans
		if len(plans) > 0 {
			// A plan's budget and forecast move with every second of the
			// day: one clock, so the page and the test read the same numbers.
			d.Now = func() time.Time { return e.now }
		}
		if tweak != nil {
			tweak(d)
		}
	})

	b := startBrowser(t)
	e.b = b
	e.nl = &netLog{urls: map[string]string{}}
	b.hook(e.nl.record)
	// Follow the service worker too: its requests must stay on this host.
	b.hook(func(ev cdpEvent) {
		if ev.Method != "Target.targetCreated" {
			return
		}
		var p struct {
			TargetInfo struct {
				TargetID string `json:"targetId"`
				Type     string `json:"type"`
			} `json:"targetInfo"`
		}
		_ = json.Unmarshal(ev.Params, &p)
		if p.TargetInfo.Type != "service_worker" {
			return
		}
		go func() {
			var att struct {
				SessionID string `json:"sessionId"`
			}
			if b.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": p.TargetInfo.TargetID, "flatten": true}, &att) == nil {
				_ = b.call(ctx, att.SessionID, "Network.enable", nil, nil)
				_ = b.call(ctx, att.SessionID, "Runtime.enable", nil, nil)
				_ = b.call(ctx, att.SessionID, "Runtime.runIfWaitingForDebugger", nil, nil)
			}
		}()
	})
	if err := b.call(ctx, "", "Target.setDiscoverTargets", map[string]any{"discover": true}, nil); err != nil {
		t.Fatal(err)
	}
	if err := b.call(ctx, "", "Browser.setDownloadBehavior", map[string]any{"behavior": "allowAndName", "downloadPath": e.downloads, "eventsEnabled": true}, nil); err != nil {
		t.Fatal(err)
	}

	e.p = b.newPage(ctx, t)
	e.p.diag = func() string {
		_, failures, console := e.nl.snapshot()
		return "failed requests:\n  " + strings.Join(failures, "\n  ") + "\nconsole:\n  " + strings.Join(console, "\n  ")
	}
	e.p.must(ctx, "Emulation.setTimezoneOverride", map[string]any{"timezoneId": zone}, nil)
	e.p.must(ctx, "Emulation.setLocaleOverride", map[string]any{"locale": "en-US"}, nil)
	e.p.viewport(ctx, 1280, 900, false, "light")
	return e
}

// newTab starts a browser (with any extra flags) with one 1280x900 light
// page in the test's zone and locale, logging its requests and console.
func newTab(ctx context.Context, t *testing.T, extra ...string) (*page, *netLog) {
	t.Helper()
	b := startBrowser(t, extra...)
	nl := &netLog{urls: map[string]string{}}
	b.hook(nl.record)
	p := b.newPage(ctx, t)
	p.diag = func() string {
		_, failures, console := nl.snapshot()
		return "failed requests:\n  " + strings.Join(failures, "\n  ") + "\nconsole:\n  " + strings.Join(console, "\n  ")
	}
	p.must(ctx, "Emulation.setTimezoneOverride", map[string]any{"timezoneId": zone}, nil)
	p.must(ctx, "Emulation.setLocaleOverride", map[string]any{"locale": "en-US"}, nil)
	p.viewport(ctx, 1280, 900, false, "light")
	return p, nl
}

// checkClean fails on console errors, failed requests and other hosts so far.
func (e *env) checkClean(t *testing.T) {
	t.Helper()
	requests, failures, console := e.nl.snapshot()
	if len(failures) > 0 {
		t.Errorf("failed requests:\n%s", strings.Join(failures, "\n"))
	}
	if len(console) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(console, "\n"))
	}
	checkHosts(t, requests, e.srv.Addr())
}

func TestDashboard(t *testing.T) {
	e := newEnv(t)
	ctx, p, b, live, st, loc, now := e.ctx, e.p, e.b, e.live, e.st, e.loc, e.now
	srv, counted, artifacts, downloads := e.srv, e.counted, e.artifacts, e.downloads
	addr, base, nl := srv.Addr(), srv.base, e.nl

	// ---- first load -----------------------------------------------------
	p.navigate(ctx, base+"/dashboard/")
	p.waitTrue(ctx, "the first data", `document.body.dataset.ready === 'true'`)
	var timing struct {
		FCP, DCL, Load, Ready float64
	}
	p.waitTrue(ctx, "first-contentful-paint", `performance.getEntriesByName('first-contentful-paint').length > 0`)
	p.mustEval(ctx, `(() => {
		const nav = performance.getEntriesByType('navigation')[0];
		return {
			FCP: performance.getEntriesByName('first-contentful-paint')[0].startTime,
			DCL: nav.domContentLoadedEventEnd,
			Load: nav.loadEventEnd,
			Ready: performance.getEntriesByName('pb-ready')[0].startTime,
		};
	})()`, &timing)
	t.Logf("first render: first-contentful-paint %.0f ms, DOMContentLoaded %.0f ms, load %.0f ms, data on the page %.0f ms", timing.FCP, timing.DCL, timing.Load, timing.Ready)

	if !isHidden(ctx, p, "#fleet-link") {
		t.Error("the Fleet link shows with sync off")
	}

	// ---- installable: the manifest parses, the service worker runs --------
	var manifest struct {
		URL    string `json:"url"`
		Errors []struct {
			Message  string `json:"message"`
			Critical int    `json:"critical"`
		} `json:"errors"`
	}
	p.must(ctx, "Page.getAppManifest", nil, &manifest)
	if manifest.URL == "" || len(manifest.Errors) > 0 {
		t.Errorf("web app manifest %q: %+v", manifest.URL, manifest.Errors)
	}
	p.waitTrue(ctx, "the service worker", `navigator.serviceWorker.ready.then((r) => Boolean(r.active))`)

	// ---- every control has a name for screen readers ----------------------
	var unnamed []string
	p.mustEval(ctx, `[...document.querySelectorAll('button, a[href], input, select, textarea, [tabindex]')]
		.filter((el) => !(el.getAttribute('aria-label') || el.labels?.length || el.textContent.trim()))
		.map((el) => el.outerHTML.slice(0, 80))`, &unnamed)
	if len(unnamed) > 0 {
		t.Errorf("controls without an accessible name: %q", unnamed)
	}

	// ---- numbers equal the API's ------------------------------------------
	text := func(sel string) string {
		t.Helper()
		var s string
		p.mustEval(ctx, fmt.Sprintf(`(document.querySelector(%q)?.textContent ?? '<missing>').trim()`, sel), &s)
		return s
	}
	expect := func(what, sel, want string) {
		t.Helper()
		if got := text(sel); got != want {
			t.Errorf("%s (%s) = %q, want %q (from the API)", what, sel, got, want)
		}
	}
	field := func(name string) string { return fmt.Sprintf(`[data-field=%q]`, name) }

	var today struct {
		usageJSON
		Cost struct {
			Total struct {
				CostFormatted string `json:"cost_formatted"`
			} `json:"total"`
		} `json:"cost"`
	}
	getJSON(t, base+"/api/today", &today)
	expect("today downloaded", field("today-received"), today.HumanReadable.Received)
	expect("today uploaded", field("today-sent"), today.HumanReadable.Sent)
	expect("today total", field("today-total"), today.HumanReadable.Total)
	expect("today peak", field("today-peak"), today.HumanReadable.PeakSpeed)
	expect("today cost", field("today-cost"), today.Cost.Total.CostFormatted)
	if today.TotalBytes == 0 {
		t.Error("today has no traffic: the fixture is wrong")
	}
	if !isHidden(ctx, p, "#today-global") {
		t.Error(`"All devices" is shown without sync`)
	}
	if !isHidden(ctx, p, "#plans") {
		t.Error(`"Data plans" is shown with no plan configured`)
	}

	var sum struct {
		usageJSON
		DaysTracked int    `json:"days_tracked"`
		FirstDate   string `json:"first_date"`
		Cost        struct {
			Total struct {
				CostFormatted string `json:"cost_formatted"`
			} `json:"total"`
		} `json:"cost"`
	}
	getJSON(t, base+"/api/summary", &sum)
	if sum.TotalBytes != counted {
		t.Errorf("API lifetime total %d, the fixture counted %d", sum.TotalBytes, counted)
	}
	expect("lifetime total", field("life-total"), sum.HumanReadable.Total)
	expect("lifetime downloaded", field("life-received"), sum.HumanReadable.Received)
	expect("lifetime uploaded", field("life-sent"), sum.HumanReadable.Sent)
	expect("lifetime cost", field("life-cost"), sum.Cost.Total.CostFormatted)
	expect("days tracked", field("life-days"), fmt.Sprint(sum.DaysTracked))
	var export struct {
		Summary struct {
			Averages struct {
				DailyHuman string `json:"daily_human"`
			} `json:"averages"`
		} `json:"summary"`
	}
	getJSON(t, base+"/api/export?format=json", &export)
	expect("daily average", field("life-avg"), export.Summary.Averages.DailyHuman)

	var top struct{ Days []dayJSON }
	getJSON(t, base+"/api/top?limit=5", &top)
	if len(top.Days) == 0 {
		t.Fatal("no top days from the API")
	}
	expect("busiest day", "#top-days li:first-child .v", units.FormatBytes(top.Days[0].TotalBytes))
	var nTop int
	p.mustEval(ctx, `document.querySelectorAll('#top-days li').length`, &nTop)
	if nTop != len(top.Days) {
		t.Errorf("top days: %d on the page, %d from the API", nTop, len(top.Days))
	}

	// ---- the month chart: one bar per day, and navigation ---------------
	cur := now.In(loc)
	checkMonth := func(year int, month time.Month) {
		t.Helper()
		key := fmt.Sprintf("%04d-%02d", year, month)
		label := fmt.Sprintf("%s %d", month, year)
		p.waitTrue(ctx, "month "+key, fmt.Sprintf(`document.getElementById('month-h').textContent.endsWith(%q)`, label))
		var m periodJSON
		getJSON(t, base+"/api/month?month="+key, &m)
		expect("month total "+key, field("month-total"), m.Summary.HumanReadable.Total)
		days := time.Date(year, month+1, 0, 12, 0, 0, 0, time.UTC).Day()
		var bars struct {
			Labels, Bars, Rows int
			First, Last        string
			Rx                 []float64
		}
		p.mustEval(ctx, `(() => {
			const c = Chart.getChart(document.getElementById('month-chart'));
			return { Labels: c.data.labels.length, Bars: c.getDatasetMeta(0).data.length,
				Rows: document.querySelectorAll('#month-rows tr').length,
				First: c.data.labels[0], Last: c.data.labels[c.data.labels.length - 1],
				Rx: c.data.datasets[0].data };
		})()`, &bars)
		if bars.Labels != days || bars.Bars != days || bars.Rows != days {
			t.Errorf("month %s: %d labels, %d bars, %d table rows; want %d (one per day of the month)", key, bars.Labels, bars.Bars, bars.Rows, days)
		}
		if bars.First != "1" || bars.Last != fmt.Sprint(days) {
			t.Errorf("month %s: bars labelled %q..%q, want 1..%d", key, bars.First, bars.Last, days)
		}
		for _, d := range m.Days {
			i := 0
			fmt.Sscanf(d.Date[8:], "%d", &i)
			if i < 1 || i > len(bars.Rx) || uint64(bars.Rx[i-1]) != d.BytesReceived {
				t.Errorf("month %s: day %s downloaded %d in the API, bar %v", key, d.Date, d.BytesReceived, bars.Rx)
				break
			}
		}
	}
	checkMonth(cur.Year(), cur.Month())
	var nextDisabled bool
	p.mustEval(ctx, `document.getElementById('month-next').disabled`, &nextDisabled)
	if !nextDisabled {
		t.Error("next month is enabled on the current month")
	}
	p.mustEval(ctx, `document.getElementById('month-prev').click()`, nil)
	prev := time.Date(cur.Year(), cur.Month()-1, 1, 12, 0, 0, 0, loc)
	checkMonth(prev.Year(), prev.Month())
	p.mustEval(ctx, `document.getElementById('month-now').click()`, nil)
	checkMonth(cur.Year(), cur.Month())

	// The year view: this year by month, and the year before.
	var yr periodJSON
	getJSON(t, fmt.Sprintf("%s/api/range?from_date=%d-01-01&to_date=%s", base, cur.Year(), cur.Format("2006-01-02")), &yr)
	expect("year total", field("year-total"), yr.Summary.HumanReadable.Total)
	p.mustEval(ctx, `document.getElementById('year-prev').click()`, nil)
	p.waitTrue(ctx, "the previous year", fmt.Sprintf(`document.getElementById('year-h').textContent === 'Year %d'`, cur.Year()-1))
	getJSON(t, fmt.Sprintf("%s/api/range?from_date=%d-01-01&to_date=%d-12-31", base, cur.Year()-1, cur.Year()-1), &yr)
	p.waitTrue(ctx, "the previous year's total", fmt.Sprintf(`document.querySelector('[data-field="year-total"]').textContent === %q`, yr.Summary.HumanReadable.Total))
	var yearBars int
	p.mustEval(ctx, `Chart.getChart(document.getElementById('year-chart')).getDatasetMeta(0).data.length`, &yearBars)
	if yearBars != 12 {
		t.Errorf("year chart has %d bars, want 12", yearBars)
	}
	p.mustEval(ctx, `document.getElementById('year-next').click()`, nil)
	p.waitTrue(ctx, "this year again", fmt.Sprintf(`document.getElementById('year-h').textContent === 'Year %d'`, cur.Year()))

	// ---- heat map: 7 days x 24 hours, traffic where the API has it ----------
	var heat struct {
		Rows, Cells, Busy int
	}
	p.mustEval(ctx, `({
		Rows: document.querySelectorAll('#heat-rows tr').length,
		Cells: document.querySelectorAll('#heat-rows td').length,
		Busy: [...document.querySelectorAll('#heat-rows td')].filter((c) => /\bl[1-5]\b/.test(c.className)).length,
	})`, &heat)
	busy := 0
	for i := -6; i <= 0; i++ {
		var hrs struct {
			Hours []struct {
				Hour       int    `json:"hour"`
				TotalBytes uint64 `json:"total_bytes"`
			} `json:"hours"`
		}
		getJSON(t, base+"/api/hours?date="+usage.DateOf(cur).AddDays(i).String(), &hrs)
		seen := map[int]bool{}
		for _, h := range hrs.Hours {
			if h.TotalBytes > 0 && !seen[h.Hour] {
				seen[h.Hour] = true
				busy++
			}
		}
	}
	if heat.Rows != 7 || heat.Cells != 7*24 || heat.Busy != busy {
		t.Errorf("heat map: %d rows, %d cells, %d busy; want 7, 168, %d (from /api/hours)", heat.Rows, heat.Cells, heat.Busy, busy)
	}

	// ---- interfaces and events ------------------------------------------
	var ifs struct {
		Interfaces []struct {
			Name    string    `json:"name"`
			Counted bool      `json:"counted"`
			Today   usageJSON `json:"today"`
		} `json:"interfaces"`
	}
	getJSON(t, base+"/api/interfaces", &ifs)
	for _, i := range ifs.Interfaces {
		row := fmt.Sprintf(`#iface-rows tr[data-iface=%q]`, i.Name)
		expect(i.Name+" downloaded today", row+" td:nth-of-type(2)", i.Today.HumanReadable.Received)
		want := "Counted"
		if !i.Counted {
			want = "Excluded"
		}
		expect(i.Name+" in total", row+" td:nth-of-type(1)", want)
	}
	var events []string
	p.mustEval(ctx, `[...document.querySelectorAll('#event-list li .kind-tag')].map((e) => e.textContent)`, &events)
	if !slices.Equal(events, []string{"Spike discarded", "Daemon restarted"}) {
		t.Errorf("events on the page: %q", events)
	}

	// ---- formatting and dates in the browser ----------------------------
	samples := []uint64{0, 1, 532, 999, 1000, 1005, 1023, 1024, 2_621_440, 999_994, 999_995, 1_048_570, 1_048_571, 999_999_999, 1_234_567_890_123, 999_995_000_000_000, 1 << 53}
	var formatted []string
	p.mustEval(ctx, fmt.Sprintf(`import('./js/format.js').then((m) => %s.map((n) => m.formatBytes(n)))`, jsNumbers(samples)), &formatted)
	for i, n := range samples {
		if want := units.FormatBytes(n); i >= len(formatted) || formatted[i] != want {
			t.Errorf("formatBytes(%d) = %q in the page, %q in the API", n, at(formatted, i), want)
		}
	}
	// The same with the daemon set to binary units.
	var binary []string
	p.mustEval(ctx, fmt.Sprintf(`import('./js/format.js').then((m) => { m.useUnits('iec'); const out = %s.map((n) => m.formatBytes(n)); m.useUnits('si'); return out; })`, jsNumbers(samples)), &binary)
	for i, n := range samples {
		if want := units.FormatBytesBase(n, units.IEC); i >= len(binary) || binary[i] != want {
			t.Errorf("formatBytes(%d) in binary units = %q in the page, %q in the API", n, at(binary, i), want)
		}
	}
	var short []string
	p.mustEval(ctx, `import('./js/format.js').then((m) => [0, 800, 999.6, 2500, 999_600, 25_000_000_000, 250e9].map(m.formatBytesShort))`, &short)
	if want := []string{"0 B", "800 B", "1 KB", "2.5 KB", "1 MB", "25 GB", "250 GB"}; !slices.Equal(short, want) {
		t.Errorf("axis labels: got %q, want %q", short, want)
	}
	var dates []string
	p.mustEval(ctx, `import('./js/format.js').then((m) => [
		m.dayKey(m.parseDay('2026-03-08')), m.addDays('2026-03-08', 1), m.addDays('2026-11-01', 1),
		m.addDays('2024-03-01', -1), String(m.monthDays(2024, 2).length), String(m.parseDay('2025-02-30')),
		m.today(new Date(2026, 0, 31, 23, 59)), m.dayLabel('2026-03-01'),
	])`, &dates)
	wantDates := []string{"2026-03-08", "2026-03-09", "2026-11-02", "2024-02-29", "29", "null", "2026-01-31", "Sun, Mar 1"}
	if !slices.Equal(dates, wantDates) {
		t.Errorf("calendar in %s: got %q, want %q", zone, dates, wantDates)
	}

	// ---- live speed -------------------------------------------------------
	p.waitTrue(ctx, "live speed 0", `document.getElementById('live-rx').textContent === '0 B/s'`)
	live.set(5_000_000, 1_250_000)
	p.waitTrue(ctx, "live download 5.00 MB/s", `document.getElementById('live-rx').textContent === '5.00 MB/s'`)
	expect("live upload", "#live-tx", "1.25 MB/s")
	expect("connection", "#conn-text", "Live")
	p.waitTrue(ctx, "eth0's live speed in the table", `document.querySelector('#iface-rows tr[data-iface="eth0"] .now').textContent.includes('5.00 MB/s')`)
	var points []struct{ X, Y float64 }
	p.mustEval(ctx, `Chart.getChart(document.getElementById('live-chart')).data.datasets[0].data.map((p) => ({X: p.x, Y: p.y}))`, &points)
	if len(points) < 2 || points[len(points)-1].Y != 5_000_000 || points[0].Y != 0 {
		t.Errorf("live chart points %v: want a rise from 0 to 5e6", points)
	}

	// ---- export dialog ------------------------------------------------------
	// Opened from the keyboard: focus the button and press Enter.
	p.mustEval(ctx, `document.getElementById('export-open').focus()`, nil)
	p.pressKey(ctx, "Enter", "Enter", 13)
	p.waitTrue(ctx, "the export dialog", `document.getElementById('export').open`)
	download := func(what string) []byte {
		t.Helper()
		from := b.eventCount()
		p.mustEval(ctx, `document.getElementById('export-go').click()`, nil)
		ev, err := b.waitEvent(ctx, from, func(e cdpEvent) bool {
			return e.Method == "Browser.downloadProgress" && (strings.Contains(string(e.Params), `"completed"`) || strings.Contains(string(e.Params), `"canceled"`))
		})
		if err != nil {
			t.Fatalf("download %s: %v", what, err)
		}
		var pr struct{ GUID, State string }
		_ = json.Unmarshal(ev.Params, &pr)
		if pr.State != "completed" {
			t.Fatalf("download %s: %s", what, pr.State)
		}
		data, err := os.ReadFile(filepath.Join(downloads, pr.GUID))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	choose := func(rangeType, format string) {
		t.Helper()
		p.mustEval(ctx, fmt.Sprintf(`(() => {
			const d = document.getElementById('export');
			if (!d.open) document.getElementById('export-open').click();
			d.querySelector('input[name=range][value=%q]').click();
			d.querySelector('input[name=format][value=%q]').click();
		})()`, rangeType, format), nil)
	}
	// Everything as CSV: byte for byte the API's CSV.
	choose("all", "csv")
	gotCSV := download("all as CSV")
	wantCSV := getBody(t, base+"/api/export?format=csv")
	if !bytes.Equal(gotCSV, wantCSV) {
		t.Errorf("downloaded CSV differs from /api/export?format=csv:\n%s\nwant\n%s", head(gotCSV), head(wantCSV))
	}
	if rows, err := csv.NewReader(bytes.NewReader(gotCSV)).ReadAll(); err != nil || len(rows) < 2 || strings.Join(rows[0], ",") != "date,bytes_sent,bytes_received,total_bytes,peak_speed" {
		t.Errorf("CSV is not the v1 export: %v %q", err, head(gotCSV))
	}
	p.waitTrue(ctx, "the dialog to close", `!document.getElementById('export').open`)
	// This month as CSV (built in the page from /api/range): the API's rows.
	choose("month", "csv")
	gotCSV = download("this month as CSV")
	var mr periodJSON
	getJSON(t, fmt.Sprintf("%s/api/range?from_date=%s&to_date=%s", base, cur.Format("2006-01")+"-01", cur.Format("2006-01-02")), &mr)
	var want strings.Builder
	want.WriteString("date,bytes_sent,bytes_received,total_bytes,peak_speed\n")
	for _, d := range mr.Days {
		fmt.Fprintf(&want, "%s,%d,%d,%d,%d\n", d.Date, d.BytesSent, d.BytesReceived, d.TotalBytes, d.PeakSpeed)
	}
	if string(gotCSV) != want.String() {
		t.Errorf("month CSV:\n%s\nwant\n%s", head(gotCSV), head([]byte(want.String())))
	}
	p.waitTrue(ctx, "the dialog to close", `!document.getElementById('export').open`)
	// Every other choice links to an API URL that answers 200.
	for _, c := range [][2]string{{"week", "html"}, {"year", "markdown"}, {"all", "llm"}, {"today", "json"}, {"all", "json"}} {
		choose(c[0], c[1])
		var href string
		p.mustEval(ctx, `document.getElementById('export-go').href`, &href)
		if !strings.HasPrefix(href, base+"/api/") {
			t.Errorf("export %v links to %q", c, href)
			continue
		}
		getBody(t, href)
	}
	choose("custom", "html")
	p.mustEval(ctx, fmt.Sprintf(`(() => {
		const s = document.getElementById('export-start'), e = document.getElementById('export-end');
		s.value = %q; e.value = %q; s.dispatchEvent(new Event('input', {bubbles: true}));
		return document.getElementById('export-go').href;
	})()`, prev.Format("2006-01-02"), cur.Format("2006-01-02")), nil)
	var customHref string
	p.mustEval(ctx, `document.getElementById('export-go').href`, &customHref)
	if u, err := url.Parse(customHref); err != nil || u.Query().Get("start_date") != prev.Format("2006-01-02") || u.Query().Get("range_type") != "custom" {
		t.Errorf("custom export link %q", customHref)
	} else {
		getBody(t, customHref)
	}
	p.pressKey(ctx, "Escape", "Escape", 27)
	p.waitTrue(ctx, "Escape to close the dialog", `!document.getElementById('export').open`)

	// ---- screenshots ------------------------------------------------------
	e.screenshots(t, "dashboard")
	if os.Getenv("PB_UPDATE_SCREENSHOT") == "1" {
		p.viewport(ctx, 1280, 1000, false, "light")
		p.mustEval(ctx, `document.activeElement && document.activeElement.blur()`, nil) // no focus ring in the picture
		settle(ctx, p)
		docs := filepath.Join(repoRoot(t), "docs", "screenshot-dashboard.png")
		p.viewportShot(ctx, docs)
		if fi, err := os.Stat(docs); err != nil || fi.Size() > 300<<10 {
			t.Errorf("docs screenshot: %v, %d bytes (keep it under 300 KB)", err, fi.Size())
		}
	}
	p.viewport(ctx, 1280, 900, false, "light")

	// ---- no errors, no other hosts, page weight ---------------------------
	e.checkClean(t)
	requests, _, _ := nl.snapshot()
	weight := pageWeight(t, requests, addr)
	t.Logf("page weight: %d bytes gzipped (%d files the browser loaded from /dashboard/)", weight.gz, weight.files)
	if weight.gz >= 300<<10 {
		t.Errorf("the page weighs %d bytes gzipped; the budget is 300 KB", weight.gz)
	}
	writeMetrics(t, artifacts, timing.FCP, timing.DCL, timing.Ready, weight)

	// ---- the daemon stops, then comes back ----------------------------------
	closeCtx, closeCancel := context.WithTimeout(ctx, 10*time.Second)
	err := srv.stop(closeCtx)
	closeCancel()
	if err != nil {
		t.Logf("closing the server: %v", err)
	}
	t.Log("server closed; waiting for the page to notice")
	p.waitTrue(ctx, "the unreachable state", `document.body.classList.contains('is-offline') && !document.getElementById('offline').hidden`)
	expect("live speed while down", "#live-rx", "—")
	expect("connection while down", "#conn-text", "Daemon unreachable")
	p.screenshot(ctx, filepath.Join(artifacts, "dashboard-unreachable.png"))
	// Opened while the daemon is down, the installed app still loads (the
	// service worker's copy of the page) and says so.
	p.navigate(ctx, base+"/dashboard/")
	p.waitTrue(ctx, "the offline page from the service worker", `document.body.classList.contains('is-offline') && !document.getElementById('offline').hidden`)
	openServer(t, st, live, loc, addr) // same port, as a restarted daemon (closed at cleanup)
	p.waitTrue(ctx, "reconnecting by itself", `!document.body.classList.contains('is-offline') && document.getElementById('conn-text').textContent === 'Live'`)
	p.waitTrue(ctx, "live speed after the restart", `document.getElementById('live-rx').textContent === '5.00 MB/s'`)
	p.waitTrue(ctx, "today's numbers after the restart", fmt.Sprintf(`document.querySelector('[data-field="today-total"]').textContent === %q`, today.HumanReadable.Total))
	requests, _, _ = nl.snapshot()
	checkHosts(t, requests, addr)
}

// screenshots saves the page at desktop and phone widths in the light and
// dark themes as artifacts/<prefix>-<width>-<scheme>.png, and fails if the
// page scrolls sideways at any of them. It leaves the desktop light view.
func (e *env) screenshots(t *testing.T, prefix string) {
	t.Helper()
	ctx, p := e.ctx, e.p
	for _, v := range []struct {
		width, height int
		mobile        bool
		scheme        string
	}{{1280, 900, false, "light"}, {1280, 900, false, "dark"}, {390, 844, true, "light"}, {390, 844, true, "dark"}} {
		p.viewport(ctx, v.width, v.height, v.mobile, v.scheme)
		settle(ctx, p)
		var overflow int
		p.mustEval(ctx, `document.documentElement.scrollWidth - document.documentElement.clientWidth`, &overflow)
		if overflow > 0 {
			t.Errorf("at %d px wide the page scrolls sideways by %d px", v.width, overflow)
		}
		name := filepath.Join(e.artifacts, fmt.Sprintf("%s-%d-%s.png", prefix, v.width, v.scheme))
		p.screenshot(ctx, name)
		t.Logf("screenshot %s", name)
	}
	p.viewport(ctx, 1280, 900, false, "light")
}

// settle waits for the charts to follow the theme (the page re-colours them
// when prefers-color-scheme changes), then for layout and resizing.
func settle(ctx context.Context, p *page) {
	p.waitTrue(ctx, "the charts to take the theme's colours", `(() => {
		const down = getComputedStyle(document.documentElement).getPropertyValue('--down').trim();
		// the colours the charts last drew with, as resolved by Chart.js
		const live = Chart.getChart(document.getElementById('live-chart')).getDatasetMeta(0).dataset;
		const bars = ['month-chart', 'year-chart'].map((id) => Chart.getChart(document.getElementById(id)).getDatasetMeta(0).data[0]);
		return live.options.borderColor === down && bars.every((b) => b.options.backgroundColor === down);
	})()`)
	p.mustEval(ctx, `new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 400))))`, nil)
}

// viewportShot saves what the window shows (for the README: a fixed size).
func (p *page) viewportShot(ctx context.Context, path string) {
	p.t.Helper()
	var shot struct{ Data []byte }
	p.must(ctx, "Page.captureScreenshot", map[string]any{"format": "png"}, &shot)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(path, shot.Data, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

func isHidden(ctx context.Context, p *page, sel string) bool {
	var hidden bool
	p.mustEval(ctx, fmt.Sprintf(`document.querySelector(%q).hidden`, sel), &hidden)
	return hidden
}

// checkHosts fails on any request to a host other than the server's own.
func checkHosts(t *testing.T, requests []string, addr string) {
	t.Helper()
	for _, r := range requests {
		u, err := url.Parse(r)
		if err != nil {
			t.Errorf("unparsable request URL %q", r)
			continue
		}
		switch u.Scheme {
		case "data", "blob", "about":
			continue
		}
		if u.Host != addr {
			t.Errorf("the page requested %s: a host other than its own (%s)", r, addr)
		}
	}
}

type weightReport struct {
	gz, raw, files int
	byFile         map[string]int
}

// pageWeight sums the gzip-compressed size of every dashboard file the
// browser loaded, read from the embedded files.
func pageWeight(t *testing.T, requests []string, addr string) weightReport {
	t.Helper()
	w := weightReport{byFile: map[string]int{}}
	for _, r := range requests {
		u, err := url.Parse(r)
		if err != nil || u.Host != addr || !strings.HasPrefix(u.Path, "/dashboard/") {
			continue
		}
		name := strings.TrimPrefix(u.Path, "/dashboard/")
		if name == "" {
			name = "index.html"
		}
		name = path.Clean(name)
		if _, ok := w.byFile[name]; ok {
			continue
		}
		b, err := fs.ReadFile(web.FS(), name)
		if err != nil {
			t.Errorf("the browser loaded %s, which is not in the embedded files", u.Path)
			continue
		}
		var z bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
		zw.Write(b)
		zw.Close()
		w.byFile[name] = z.Len()
		w.gz += z.Len()
		w.raw += len(b)
		w.files++
	}
	return w
}

func writeMetrics(t *testing.T, dir string, fcp, dcl, ready float64, w weightReport) {
	t.Helper()
	b, _ := json.MarshalIndent(map[string]any{
		"first_contentful_paint_ms": fcp,
		"dom_content_loaded_ms":     dcl,
		"data_on_page_ms":           ready,
		"page_bytes_gzip":           w.gz,
		"page_bytes_raw":            w.raw,
		"page_files":                w.byFile,
	}, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "dashboard-metrics.json"), append(b, '\n'), 0o644); err != nil {
		t.Error(err)
	}
}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

func jsNumbers(ns []uint64) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = fmt.Sprint(n)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "<missing>"
}

func head(b []byte) string {
	lines := strings.SplitN(string(b), "\n", 6)
	if len(lines) > 5 {
		lines = lines[:5]
	}
	return strings.Join(lines, "\n")
}

// TestDashboardSync checks the "this device / all devices" view. The API
// adds /api/today's "global" block only when sync is on, which needs a
// PostgreSQL fleet; here the browser's own request interception adds it to
// the real answers, as a synced daemon would send them.
func TestDashboardSync(t *testing.T) {
	e := newEnv(t)
	ctx, p := e.ctx, e.p
	global := map[string]any{
		"bytes_sent": 3_000_000_000, "bytes_received": 12_345_678_901, "total_bytes": 15_345_678_901,
		"human_readable": map[string]string{"sent": "3.00 GB", "received": "12.35 GB", "total": "15.35 GB"},
		"cost":           map[string]any{"total": map[string]any{"gb_used": 15.346, "cost": 115.09, "cost_formatted": "₹115.09"}},
		"device_count":   3,
	}
	e.b.hook(func(ev cdpEvent) {
		if ev.Method != "Fetch.requestPaused" {
			return
		}
		var rp struct {
			RequestID       string `json:"requestId"`
			Request         struct{ URL string }
			ResponseHeaders []map[string]string `json:"responseHeaders"`
		}
		_ = json.Unmarshal(ev.Params, &rp)
		go func() {
			var body struct {
				Body          string `json:"body"`
				Base64Encoded bool   `json:"base64Encoded"`
			}
			if err := p.call(ctx, "Fetch.getResponseBody", map[string]any{"requestId": rp.RequestID}, &body); err != nil {
				t.Error(err)
				return
			}
			raw := []byte(body.Body)
			if body.Base64Encoded {
				raw, _ = base64.StdEncoding.DecodeString(body.Body)
			}
			var doc map[string]any
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Errorf("%s: %v", rp.Request.URL, err)
				return
			}
			lifeGlobal := map[string]any{"bytes_sent": 1, "bytes_received": 999_999_999_999, "total_bytes": 1_000_000_000_000, "device_count": 3}
			switch {
			case strings.Contains(rp.Request.URL, "/api/dashboard"):
				// The first screen: the same blocks in one answer.
				doc["today"].(map[string]any)["global"] = global
				doc["summary"].(map[string]any)["global"] = lifeGlobal
				doc["device"].(map[string]any)["sync_enabled"] = true
			case strings.Contains(rp.Request.URL, "/api/today"):
				doc["global"] = global
			case strings.Contains(rp.Request.URL, "/api/fleet"):
				// This server has no fleet (404); a synced daemon answers 200.
				doc = map[string]any{"device_count": 3, "devices": []any{}}
			case strings.Contains(rp.Request.URL, "/api/summary"):
				doc["global"] = lifeGlobal
			default:
				doc["sync_enabled"], doc["device_count"] = true, 3
			}
			out, _ := json.Marshal(doc)
			_ = p.call(ctx, "Fetch.fulfillRequest", map[string]any{
				"requestId": rp.RequestID, "responseCode": 200, "responseHeaders": rp.ResponseHeaders, "body": out,
			}, nil)
		}()
	})
	p.must(ctx, "Fetch.enable", map[string]any{"patterns": []map[string]string{
		{"urlPattern": "*/api/dashboard", "requestStage": "Response"},
		{"urlPattern": "*/api/today", "requestStage": "Response"},
		{"urlPattern": "*/api/health", "requestStage": "Response"},
		{"urlPattern": "*/api/summary", "requestStage": "Response"},
		{"urlPattern": "*/api/fleet", "requestStage": "Response"},
	}}, nil)
	p.navigate(ctx, e.srv.base+"/dashboard/")
	p.waitTrue(ctx, "the first data", `document.body.dataset.ready === 'true'`)
	p.waitTrue(ctx, "the all-devices column", `!document.getElementById('today-global').hidden`)
	var got struct{ Local, Global, Total, Cost, Mine string }
	p.mustEval(ctx, `({
		Local: document.getElementById('today-local-h').hidden ? '<hidden>' : document.getElementById('today-local-h').textContent,
		Global: document.getElementById('today-global-h').textContent,
		Total: document.querySelector('[data-field="global-total"]').textContent,
		Cost: document.querySelector('[data-field="global-cost"]').textContent,
		Mine: document.querySelector('[data-field="today-total"]').textContent,
	})`, &got)
	var today usageJSON
	getJSON(t, e.srv.base+"/api/today", &today)
	want := struct{ Local, Global, Total, Cost, Mine string }{"This device", "All devices (3)", "15.35 GB", "₹115.09", today.HumanReadable.Total}
	if got != want {
		t.Errorf("sync view: got %+v, want %+v", got, want)
	}
	var life []string
	p.mustEval(ctx, `[document.getElementById('life-global').hidden ? '<hidden>' : document.getElementById('life-global-h').textContent,
		document.querySelector('[data-field="life-global-total"]').textContent]`, &life)
	if !slices.Equal(life, []string{"All devices (3)", "1.00 TB"}) {
		t.Errorf("lifetime of all devices: %q", life)
	}
	p.waitTrue(ctx, "the link to the fleet page", `!document.getElementById('fleet-link').hidden`)
	settle(ctx, p)
	p.screenshot(ctx, filepath.Join(e.artifacts, "dashboard-sync-1280-light.png"))
	e.checkClean(t)
}

// With [display] units = "iec" every byte figure on the dashboard is in
// binary units: the ones the API formats and the ones the page computes
// (averages, tables, chart labels) alike.
func TestDashboardIECUnits(t *testing.T) {
	e := newEnvWith(t, func(d *api.Deps) { d.Settings.UnitBase = units.IEC })
	ctx, p, base := e.ctx, e.p, e.srv.base
	var health struct {
		Units string `json:"units"`
	}
	getJSON(t, base+"/api/health", &health)
	if health.Units != "iec" {
		t.Fatalf("/api/health units = %q, want iec", health.Units)
	}
	p.navigate(ctx, base+"/dashboard/")
	p.waitTrue(ctx, "the first data", `document.body.dataset.ready === 'true'`)

	var today, sum usageJSON
	getJSON(t, base+"/api/today", &today)
	getJSON(t, base+"/api/summary", &sum)
	var got struct{ Today, Life, Avg, AvgValue string }
	p.mustEval(ctx, `({
		Today: document.querySelector('[data-field="today-total"]').textContent.trim(),
		Life: document.querySelector('[data-field="life-total"]').textContent.trim(),
		Avg: document.querySelector('[data-field="life-avg"]').textContent.trim(),
		AvgValue: document.querySelector('[data-field="life-avg"]').dataset.value,
	})`, &got)
	if !strings.HasSuffix(today.HumanReadable.Total, "iB") || got.Today != today.HumanReadable.Total {
		t.Errorf("today total on the page %q, in the API %q; want the same, in binary units", got.Today, today.HumanReadable.Total)
	}
	if !strings.HasSuffix(sum.HumanReadable.Total, "iB") || got.Life != sum.HumanReadable.Total {
		t.Errorf("lifetime total on the page %q, in the API %q; want the same, in binary units", got.Life, sum.HumanReadable.Total)
	}
	// The daily average is computed by the page, not the API.
	avg, err := strconv.ParseUint(got.AvgValue, 10, 64)
	if err != nil || got.Avg != units.FormatBytesBase(avg, units.IEC) {
		t.Errorf("daily average on the page %q (value %q), want %q", got.Avg, got.AvgValue, units.FormatBytesBase(avg, units.IEC))
	}
	// No figure anywhere on the page is in decimal units.
	var figures []string
	p.mustEval(ctx, `[...document.querySelectorAll('main *')]
		.filter((el) => el.children.length === 0)
		.map((el) => el.textContent.trim())
		.filter((s) => /\d [KMGTPE]i?B(\/s)?$/.test(s))`, &figures)
	if len(figures) < 10 {
		t.Fatalf("only %d byte figures found on the page: %q", len(figures), figures)
	}
	for _, f := range figures {
		if !strings.Contains(f, "iB") {
			t.Errorf("figure %q is in decimal units with units = iec", f)
		}
	}
	e.checkClean(t)
}
