package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/api"
	"github.com/packetbuddy/pb/internal/store"
	"github.com/packetbuddy/pb/internal/units"
	"github.com/packetbuddy/pb/internal/usage"
)

// appSeed is the per-app traffic the apps tests write: twelve programs and
// the unattributed rest on eth0, on today and on days back to 35 days ago
// (outside an app's 30-day view), so that the largest-first order is the
// same in every period.
type appSeed struct {
	apps []usage.App         // largest first
	days map[usage.Date]bool // the days with traffic
	// per app and day
	traffic map[usage.App]map[usage.Date]usage.Totals
}

// seedApps writes appSeed's traffic; the order of apps is the order the
// panel must show, unattributed 4th.
func seedApps(ctx context.Context, t *testing.T, st *store.Store, loc *time.Location, now time.Time) appSeed {
	t.Helper()
	today := usage.DateOf(now.In(loc))
	s := appSeed{
		apps: []usage.App{
			{Path: "/usr/lib/firefox/firefox", Name: "firefox", Package: "flatpak:org.mozilla.firefox"},
			{Path: "/home/ana/.steam/ubuntu12_32/steam", Name: "steam"},
			{Path: "/opt/Google Chrome/chrome", Name: "chrome"}, // a space in the path
			usage.Unattributed,
			{Path: "/usr/bin/spotify", Name: "spotify"},
			{Path: "/usr/lib/systemd/systemd-resolved", Name: "systemd-resolve", Unit: "systemd-resolved.service"},
			{Path: "/usr/bin/curl", Name: "curl"},
			{Path: "/usr/bin/ssh", Name: "ssh"},
			{Path: "/usr/bin/git", Name: "git"},
			{Path: "/usr/bin/apt", Name: "apt"},
			{Path: "/usr/bin/rsync", Name: "rsync"},
			{Path: "/snap/slack/current/slack", Name: "slack", Package: "snap:slack"},
			{Name: "kworker"}, // exited before it was looked at: the name only
		},
		days:    map[usage.Date]bool{},
		traffic: map[usage.App]map[usage.Date]usage.Totals{},
	}
	var b usage.Batch
	for _, back := range []int{0, 1, 3, 7, 12, 20, 28, 35} {
		d := today.AddDays(-back)
		s.days[d] = true
		at := d.Start(loc) // today: midnight, in the past
		if back > 0 {
			at = at.Add(13 * time.Hour)
		}
		for i, a := range s.apps {
			// The same ranking on every day: every period keeps it.
			weight := uint64(len(s.apps) - i)
			tot := usage.Totals{Rx: weight*weight*1_000_000*uint64(back+1) + 1_234, Tx: weight*50_000*uint64(back+2) + 7}
			b.Apps = append(b.Apps, usage.AppDelta{App: a, Iface: "eth0", MAC: "02:00:00:00:00:01", Bucket: at.UTC(), Totals: tot})
			if s.traffic[a] == nil {
				s.traffic[a] = map[usage.Date]usage.Totals{}
			}
			s.traffic[a][d] = tot
		}
	}
	if err := st.Flush(ctx, b); err != nil {
		t.Fatal(err)
	}
	return s
}

// sum is app a's traffic on the days from..to.
func (s appSeed) sum(a usage.App, from, to usage.Date) usage.Totals {
	var t usage.Totals
	for d, x := range s.traffic[a] {
		if !d.Before(from) && !d.After(to) {
			t = t.Add(x)
		}
	}
	return t
}

// appRowText is a row of the panel: its app, the line under the name and
// the three figures, as shown.
type appRowText struct {
	Name, Where, Down, Up, Total string
	Hidden, Unattributed         bool
}

func readAppRows(ctx context.Context, p *page) []appRowText {
	var rows []appRowText
	p.mustEval(ctx, `[...document.querySelectorAll('#app-rows tr')].map((tr) => ({
		Name: tr.querySelector('.app-name').textContent,
		Where: tr.querySelector('.app-where').textContent,
		Down: tr.children[1].textContent,
		Up: tr.children[2].textContent,
		Total: tr.children[3].textContent,
		Hidden: tr.hidden,
		Unattributed: tr.classList.contains('unattributed'),
	}))`, &rows)
	return rows
}

// wantAppRows is what the panel must show for the days from..to.
func (s appSeed) wantAppRows(from, to usage.Date, all bool) []appRowText {
	var out []appRowText
	for i, a := range s.apps {
		t := s.sum(a, from, to)
		where := a.Path
		switch {
		case a == usage.Unattributed:
			where = "no process known"
		case a.Unit != "":
			where = a.Unit
		case a.Package != "":
			where = a.Package
		case a.Path == "":
			where = "exited before it was named"
		}
		out = append(out, appRowText{Name: a.Name, Where: where, Down: units.FormatBytes(t.Rx), Up: units.FormatBytes(t.Tx), Total: units.FormatBytes(t.Total()),
			Hidden: i >= 10 && !all, Unattributed: a == usage.Unattributed})
	}
	return out
}

// TestDashboardApps: the apps panel lists /api/apps largest first with its
// figures, the top ten and "Show 3 more", unattributed marked as such,
// today or this month; Enter on an app shows its 30 days, exactly, and
// Escape closes them and gives the focus back. Counting TCP only, it says
// so. It fits a phone, light and dark.
func TestDashboardApps(t *testing.T) {
	e := newEnvWith(t, func(d *api.Deps) { d.Settings.AppsMethod = "sock_diag" })
	ctx, p, base, loc := e.ctx, e.p, e.srv.base, e.loc
	s := seedApps(ctx, t, e.st, loc, e.now)
	today := usage.DateOf(e.now.In(loc))
	first := usage.Date{Year: today.Year, Month: today.Month, Day: 1}

	p.navigate(ctx, base+"/dashboard/")
	p.waitTrue(ctx, "the apps panel", `!document.getElementById('apps').hidden && document.querySelectorAll('#app-rows tr').length === 13`)
	check := func(what string, want []appRowText) {
		t.Helper()
		if got := readAppRows(ctx, p); !slices.Equal(got, want) {
			t.Errorf("%s: rows\n%+v\nwant\n%+v", what, got, want)
		}
	}
	text := func(sel string) string {
		var s string
		p.mustEval(ctx, fmt.Sprintf(`document.querySelector(%q).textContent`, sel), &s)
		return s
	}
	check("this month", s.wantAppRows(first, today, false))
	if got, want := text("#apps-more"), "Show 3 more apps"; got != want {
		t.Errorf("fold button %q, want %q", got, want)
	}
	var monthTotal usage.Totals
	for _, a := range s.apps {
		monthTotal = monthTotal.Add(s.sum(a, first, today))
	}
	if got, want := []string{text("#apps-total-rx"), text("#apps-total-tx"), text("#apps-total")},
		[]string{units.FormatBytes(monthTotal.Rx), units.FormatBytes(monthTotal.Tx), units.FormatBytes(monthTotal.Total())}; !slices.Equal(got, want) {
		t.Errorf("all apps %q, want %q", got, want)
	}
	if got, want := text("#apps-note"), "TCP only: apps are counted from the kernel’s socket diagnostics, so UDP (QUIC included) is booked as unattributed. For every protocol, run pb serve as root or with CAP_BPF and CAP_NET_ADMIN."; got != want {
		t.Errorf("note %q, want %q", got, want)
	}
	var tip string
	p.mustEval(ctx, `document.querySelector('#app-rows tr.unattributed .app-open').title`, &tip)
	if want := "Traffic no process is known for: forwarded container and VM traffic, connections opened before pb started, other network namespaces. Its last 30 days."; tip != want {
		t.Errorf("unattributed tooltip %q, want %q", tip, want)
	}
	if got := text("#apps-unattributed"); got != "Unattributed is the traffic no process is known for (forwarded container and VM traffic, connections opened before pb started, other network namespaces), so that the apps add up to the interfaces’ total. Counting TCP only, it holds all UDP too." {
		t.Errorf("unattributed line %q", got)
	}

	// Every app, then today only.
	p.mustEval(ctx, `document.getElementById('apps-more').click()`, nil)
	check("this month, every app", s.wantAppRows(first, today, true))
	if got := text("#apps-more"); got != "Show the top 10 only" {
		t.Errorf("fold button %q after unfolding", got)
	}
	p.mustEval(ctx, `document.getElementById('apps-more').click(); document.querySelector('input[name="apps-scope"][value="today"]').click()`, nil)
	p.waitTrue(ctx, "today's apps", `document.getElementById('apps').dataset.loaded === 'today'`)
	check("today", s.wantAppRows(today, today, false))
	if got := text("#apps-caption"); got != "Traffic per application today, largest first" {
		t.Errorf("caption %q", got)
	}

	// Enter on chrome (a path with a space) opens its last 30 days.
	chrome := s.apps[2]
	p.mustEval(ctx, `[...document.querySelectorAll('#app-rows .app-open')].find((b) => b.querySelector('.app-name').textContent === 'chrome').focus()`, nil)
	p.pressKey(ctx, "Enter", "Enter", 13)
	p.waitTrue(ctx, "chrome's days", `!document.getElementById('app-days').hidden && document.querySelectorAll('#app-day-rows tr').length === 30`)
	var days struct {
		Heading, ID, Summary string
		Dates                []string
		Cells                [][]string
		Focus, Expanded      bool
		ChartRx, ChartTx     float64
	}
	p.mustEval(ctx, `(() => {
		const rows = [...document.querySelectorAll('#app-day-rows tr')];
		const c = Chart.getChart(document.getElementById('app-days-chart'));
		return {
			Heading: document.getElementById('app-days-h').textContent,
			ID: document.getElementById('app-days-id').textContent,
			Summary: document.getElementById('app-days-summary').textContent,
			Dates: rows.map((r) => r.dataset.date),
			Cells: rows.map((r) => [...r.children].slice(1).map((c) => c.textContent)),
			Focus: document.getElementById('app-days').contains(document.activeElement),
			Expanded: document.querySelector('#app-rows tr.open .app-open')?.getAttribute('aria-expanded') === 'true',
			ChartRx: c.data.datasets[0].data.reduce((a, b) => a + b, 0),
			ChartTx: c.data.datasets[1].data.reduce((a, b) => a + b, 0),
		};
	})()`, &days)
	if days.Heading != "chrome, the last 30 days" || days.ID != "/opt/Google Chrome/chrome" || !days.Focus || !days.Expanded {
		t.Errorf("chrome's days: heading %q, identity %q, focus inside %v, row marked open %v", days.Heading, days.ID, days.Focus, days.Expanded)
	}
	var sum30 usage.Totals
	for i := range 30 {
		d := today.AddDays(i - 29)
		x := s.traffic[chrome][d]
		sum30 = sum30.Add(x)
		if i >= len(days.Dates) || days.Dates[i] != d.String() {
			t.Fatalf("day rows %v, want the 30 days up to %s", days.Dates, today)
		}
		if want := []string{units.FormatBytes(x.Rx), units.FormatBytes(x.Tx), units.FormatBytes(x.Total())}; !slices.Equal(days.Cells[i], want) {
			t.Errorf("chrome on %s: %q, want %q", d, days.Cells[i], want)
		}
	}
	if sum30 == s.sum(chrome, today.AddDays(-35), today) {
		t.Fatal("the seed has no chrome traffic before the 30 days: the window is not tested")
	}
	if uint64(days.ChartRx) != sum30.Rx || uint64(days.ChartTx) != sum30.Tx {
		t.Errorf("chart sums %.0f down %.0f up, want %d and %d", days.ChartRx, days.ChartTx, sum30.Rx, sum30.Tx)
	}
	if want := units.FormatBytes(sum30.Total()) + " in 30 days · " + units.FormatBytes(sum30.Rx) + " down · " + units.FormatBytes(sum30.Tx) + " up"; len(days.Summary) < len(want) || days.Summary[:len(want)] != want {
		t.Errorf("summary %q, want it to start with %q", days.Summary, want)
	}

	// Escape closes them and gives the focus back to chrome's button.
	p.pressKey(ctx, "Escape", "Escape", 27)
	p.waitTrue(ctx, "the days closed", `document.getElementById('app-days').hidden`)
	var focused string
	p.mustEval(ctx, `document.activeElement.closest('.app-open')?.querySelector('.app-name').textContent ?? document.activeElement.tagName`, &focused)
	if focused != "chrome" {
		t.Errorf("after Escape the focus is on %q, want chrome's button", focused)
	}

	// Unattributed has its days too; at phone width, light and dark, the
	// panel fits and unattributed is muted.
	p.mustEval(ctx, `document.querySelector('#app-rows tr.unattributed .app-open').click()`, nil)
	p.waitTrue(ctx, "unattributed's days", `document.getElementById('app-days-h').textContent === 'unattributed, the last 30 days' && document.querySelectorAll('#app-day-rows tr').length === 30`)
	e.screenshots(t, "apps")
	p.viewport(ctx, 390, 844, true, "dark")
	settle(ctx, p)
	var phone struct {
		Overflow, TableOverflow int
		Muted, Colour           string
	}
	p.mustEval(ctx, `(() => {
		const wrap = document.querySelector('#apps .table-scroll');
		return {
			Overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
			TableOverflow: wrap.scrollWidth - wrap.clientWidth,
			Muted: getComputedStyle(document.documentElement).getPropertyValue('--muted').trim(),
			Colour: getComputedStyle(document.querySelector('#app-rows tr.unattributed .app-name')).color,
		};
	})()`, &phone)
	if phone.Overflow > 0 || phone.TableOverflow > 0 {
		t.Errorf("at 390 px the page scrolls sideways by %d px, the apps table by %d px", phone.Overflow, phone.TableOverflow)
	}
	if phone.Muted != "#9aa3b2" || phone.Colour != "rgb(154, 163, 178)" {
		t.Errorf("dark theme: --muted %q, unattributed drawn in %q; want the dark muted colour", phone.Muted, phone.Colour)
	}
	p.elementShot(ctx, "#apps", filepath.Join(e.artifacts, "apps-panel-390-dark.png"))
	p.viewport(ctx, 1280, 900, false, "light")
	settle(ctx, p)
	p.elementShot(ctx, "#apps", filepath.Join(e.artifacts, "apps-panel-1280-light.png"))
	if os.Getenv("PB_UPDATE_SCREENSHOT") == "1" {
		// The README's picture: this month, firefox's days open.
		p.mustEval(ctx, `document.querySelector('input[name="apps-scope"][value="month"]').click()`, nil)
		p.waitTrue(ctx, "this month's apps", `document.getElementById('apps').dataset.loaded === 'month'`)
		p.mustEval(ctx, `[...document.querySelectorAll('#app-rows .app-open')].find((b) => b.querySelector('.app-name').textContent === 'firefox').click()`, nil)
		p.waitTrue(ctx, "firefox's days", `document.getElementById('app-days-h').textContent === 'firefox, the last 30 days' && document.querySelectorAll('#app-day-rows tr').length === 30`)
		p.mustEval(ctx, `document.activeElement && document.activeElement.blur()`, nil) // no focus ring in the picture
		settle(ctx, p)
		docs := filepath.Join(repoRoot(t), "docs", "screenshot-apps.png")
		p.elementShot(ctx, "#apps", docs)
		if fi, err := os.Stat(docs); err != nil || fi.Size() > 300<<10 {
			t.Errorf("docs screenshot: %v, %d bytes (keep it under 300 KB)", err, fi.Size())
		}
	}
	e.checkClean(t)
}

// TestDashboardAppsOff: without per-app counting and without per-app
// traffic the panel stays hidden; with history but counting off, it shows
// the history and says how to turn counting on.
func TestDashboardAppsOff(t *testing.T) {
	e := newEnvWith(t, func(d *api.Deps) { d.Settings.AppsMethod = "off" })
	ctx, p, base := e.ctx, e.p, e.srv.base
	p.navigate(ctx, base+"/dashboard/")
	p.waitTrue(ctx, "the apps answer", `document.getElementById('apps').dataset.loaded === 'month'`)
	if !isHidden(ctx, p, "#apps") {
		t.Error("the apps panel shows without per-app counting or traffic")
	}

	s := seedApps(ctx, t, e.st, e.loc, e.now)
	p.navigate(ctx, base+"/dashboard/")
	p.waitTrue(ctx, "the apps panel", `!document.getElementById('apps').hidden && document.querySelectorAll('#app-rows tr').length === 13`)
	var note string
	p.mustEval(ctx, `document.getElementById('apps-note').textContent`, &note)
	if want := "Per-app counting is off: these are the numbers from when it was on. Turn it on with [apps] enabled = true in the config and run pb serve as root or with CAP_BPF and CAP_NET_ADMIN (Linux only)."; note != want {
		t.Errorf("note %q, want %q", note, want)
	}
	today := usage.DateOf(e.now.In(e.loc))
	if got, want := readAppRows(ctx, p), s.wantAppRows(usage.Date{Year: today.Year, Month: today.Month, Day: 1}, today, false); !slices.Equal(got, want) {
		t.Errorf("rows\n%+v\nwant\n%+v", got, want)
	}
	e.checkClean(t)
}

// elementShot saves a PNG of the element sel, wherever it is on the page.
func (p *page) elementShot(ctx context.Context, sel, path string) {
	p.t.Helper()
	var r struct{ X, Y, Width, Height float64 }
	p.mustEval(ctx, fmt.Sprintf(`(() => {
		const b = document.querySelector(%q).getBoundingClientRect();
		return { X: b.left + scrollX, Y: b.top + scrollY, Width: b.width, Height: b.height };
	})()`, sel), &r)
	var shot struct {
		Data []byte `json:"data"`
	}
	p.must(ctx, "Page.captureScreenshot", map[string]any{
		"format": "png", "captureBeyondViewport": true,
		"clip": map[string]any{"x": r.X, "y": r.Y, "width": r.Width, "height": r.Height, "scale": 1},
	}, &shot)
	if err := os.WriteFile(path, shot.Data, 0o644); err != nil {
		p.t.Fatal(err)
	}
}
