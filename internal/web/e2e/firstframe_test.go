package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// frameRecorder runs in the page from the moment its document exists
// (Page.addScriptToEvaluateOnNewDocument) and notes what the page shows
// on its animation frames, every 100 ms at most, until it is ready: the connection text, whether the
// placeholders are on, today's total, every visible chart tick label and
// the charts that show axes without any data.
const frameRecorder = `(() => {
  const frames = (window.__pbFrames = []);
  const snap = () => {
    const body = document.body;
    const labels = [];
    const empty = []; // charts showing axes with no data at all
    if (window.Chart) {
      for (const canvas of document.querySelectorAll('canvas')) {
        const c = window.Chart.getChart(canvas);
        if (!c) continue;
        const points = c.data.datasets.reduce((n, d) => n + d.data.length, 0);
        for (const [id, s] of Object.entries(c.scales)) {
          if (s.options.display === false) continue;
          if (!points) empty.push(canvas.id);
          for (const t of s.ticks || []) labels.push(canvas.id + ' ' + id + ': ' + [].concat(t.label).join(' '));
        }
      }
    }
    const total = document.querySelector('[data-field="today-total"]');
    const conn = document.getElementById('conn-text');
    frames.push({
      t: Math.round(performance.now()),
      blank: !body,
      loading: Boolean(body && body.classList.contains('is-loading')),
      conn: conn ? conn.textContent : '',
      total: total ? total.textContent : '',
      labels,
      empty,
    });
  };
  // On every animation frame (what is painted), at most every 100 ms.
  let last = -1e9;
  const tick = () => {
    const ready = document.body && document.body.dataset.ready === 'true';
    if (ready || performance.now() - last >= 100) {
      last = performance.now();
      snap();
    }
    if (!ready) requestAnimationFrame(tick);
  };
  tick();
})();`

type recordedFrame struct {
	T       float64  `json:"t"`
	Blank   bool     `json:"blank"` // no <body> yet: nothing on screen
	Loading bool     `json:"loading"`
	Conn    string   `json:"conn"`
	Total   string   `json:"total"`
	Labels  []string `json:"labels"`
	Empty   []string `json:"empty"`
}

// epochLabel is a time axis labelled in seconds since 1970 ("1796397627s").
var epochLabel = regexp.MustCompile(`: \d{7,}s$`)

// TestDashboardFirstFrame opens the dashboard on a CPU slowed six times
// (DevTools Emulation.setCPUThrottlingRate), records the page every 100 ms
// from navigation to ready, and checks every frame: no axis in seconds
// since 1970, no "1 B" axis, no "Connecting…" (the daemon answers all
// along), and no card that looks filled while it is empty (placeholders
// stay marked until today's numbers are there). The times to the first
// numbers and to ready go to first-frame.json in the artifacts folder.
func TestDashboardFirstFrame(t *testing.T) {
	e := newEnv(t)
	ctx, p := e.ctx, e.p
	p.must(ctx, "Emulation.setCPUThrottlingRate", map[string]any{"rate": 6}, nil)
	p.must(ctx, "Page.addScriptToEvaluateOnNewDocument", map[string]any{"source": frameRecorder}, nil)
	p.navigate(ctx, e.srv.base+"/dashboard/")
	p.waitTrue(ctx, "the page to be ready", `document.body.dataset.ready === 'true'`)

	var frames []recordedFrame
	p.mustEval(ctx, `window.__pbFrames`, &frames)
	var marks struct{ First, Ready float64 }
	p.mustEval(ctx, `({First: performance.getEntriesByName('pb-first-numbers')[0].startTime,
		Ready: performance.getEntriesByName('pb-ready')[0].startTime})`, &marks)
	p.must(ctx, "Emulation.setCPUThrottlingRate", map[string]any{"rate": 1}, nil)

	var today usageJSON
	getJSON(t, e.srv.base+"/api/today", &today)
	if len(frames) < 3 {
		t.Fatalf("only %d frames recorded before ready: %+v", len(frames), frames)
	}
	placeholders, withNumbers := 0, 0
	for _, f := range frames {
		for _, l := range f.Labels {
			if epochLabel.MatchString(l) {
				t.Errorf("frame at %.0f ms: an axis in seconds since 1970: %q", f.T, l)
			}
			if strings.HasSuffix(l, ": 1 B") || strings.HasSuffix(l, ": 1 B/s") {
				t.Errorf("frame at %.0f ms: a \"1 B\" axis: %q", f.T, l)
			}
		}
		if strings.Contains(f.Conn, "Connecting") {
			t.Errorf("frame at %.0f ms says %q while the daemon answers", f.T, f.Conn)
		}
		if len(f.Empty) > 0 {
			t.Errorf("frame at %.0f ms: axes on charts without data: %q", f.T, f.Empty)
		}
		switch {
		case f.Blank:
		case f.Loading:
			placeholders++
		case f.Total == "" || f.Total == "—":
			t.Errorf("frame at %.0f ms: placeholders off but today's total is %q", f.T, f.Total)
		default:
			withNumbers++
		}
	}
	if placeholders == 0 {
		t.Errorf("no frame showed the placeholders (%d frames)", len(frames))
	}
	last := frames[len(frames)-1]
	if last.Loading || last.Total != today.HumanReadable.Total {
		t.Errorf("when ready: placeholders %v, today's total %q, /api/today %q", last.Loading, last.Total, today.HumanReadable.Total)
	}
	t.Logf("6x CPU throttling: %d frames, %d with placeholders, %d with numbers; first numbers at %.0f ms, ready at %.0f ms",
		len(frames), placeholders, withNumbers, marks.First, marks.Ready)
	b, _ := json.MarshalIndent(map[string]any{
		"cpu_throttling_rate": 6, "first_numbers_ms": marks.First, "ready_ms": marks.Ready,
		"frames": len(frames), "frames_with_placeholders": placeholders, "recorded_at": time.Now().UTC().Format(time.RFC3339),
	}, "", "  ")
	if err := os.WriteFile(filepath.Join(e.artifacts, "first-frame.json"), append(b, '\n'), 0o644); err != nil {
		t.Error(err)
	}
	e.checkClean(t)
}

// TestDocsPage: /docs opens the API reference (linked from the dashboard's
// footer), which renders every operation of the OpenAPI document with no
// request to another host and no console error.
func TestDocsPage(t *testing.T) {
	e := newEnv(t)
	ctx, p := e.ctx, e.p
	p.navigate(ctx, e.srv.base+"/dashboard/")
	p.waitTrue(ctx, "the dashboard", `document.body.dataset.ready === 'true'`)
	p.mustEval(ctx, `document.querySelector('footer a[href="docs.html"]').click()`, nil)
	p.waitTrue(ctx, "the API reference", `location.pathname === '/dashboard/docs.html' && document.body.dataset.ready === 'true'`)

	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	getJSON(t, e.srv.base+"/api/openapi.json", &doc)
	var want []string
	for path, ops := range doc.Paths {
		for m := range ops {
			want = append(want, strings.ToUpper(m)+" "+path)
		}
	}
	var got struct {
		Ops     []string
		Schemas int
		RxNote  string
		Title   string
	}
	p.mustEval(ctx, `({
		Ops: [...document.querySelectorAll('.docs-op h3')].map((h) => h.textContent),
		Schemas: document.querySelectorAll('.docs-schema').length,
		RxNote: [...document.querySelectorAll('#schema-DeviceTotals tr')].filter((tr) => tr.querySelector('th').textContent === 'rx').map((tr) => tr.className + ' ' + tr.lastChild.textContent).join(),
		Title: document.getElementById('api-version').textContent,
	})`, &got)
	if fmt.Sprint(sorted(got.Ops)) != fmt.Sprint(sorted(want)) {
		t.Errorf("operations on the page:\n%q\nin openapi.json:\n%q", sorted(got.Ops), sorted(want))
	}
	if got.Schemas != len(doc.Components.Schemas) || got.Schemas < 20 {
		t.Errorf("%d schemas on the page, %d in the document", got.Schemas, len(doc.Components.Schemas))
	}
	if !strings.HasPrefix(got.RxNote, "deprecated ") || !strings.Contains(got.RxNote, "use bytes_received") {
		t.Errorf("the rx alias of /api/devices is not marked deprecated: %q", got.RxNote)
	}
	if !strings.HasPrefix(got.Title, "PacketBuddy API") {
		t.Errorf("title %q", got.Title)
	}
	// /docs itself is the short address.
	p.navigate(ctx, e.srv.base+"/docs")
	p.waitTrue(ctx, "the API reference from /docs", `location.pathname === '/dashboard/docs.html' && document.body.dataset.ready === 'true'`)
	p.mustEval(ctx, `new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))`, nil)
	p.screenshot(ctx, filepath.Join(e.artifacts, "docs-1280-light.png"))
	e.checkClean(t)
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestThemeSwitch: the header's switch picks light, dark or the system's
// theme; the choice survives a reload (localStorage), "system" follows the
// system's setting as it changes, and the charts take the new colours.
// Screenshots of each state go to the artifacts folder.
func TestThemeSwitch(t *testing.T) {
	e := newEnv(t)
	ctx, p := e.ctx, e.p
	const light, dark = "rgb(245, 246, 248)", "rgb(16, 19, 24)"
	state := func() (theme, bg, sel, chartColor string) {
		t.Helper()
		var s struct{ Theme, Bg, Sel, Chart string }
		p.mustEval(ctx, `({Theme: document.documentElement.dataset.theme, Bg: getComputedStyle(document.body).backgroundColor,
			Sel: document.getElementById('theme-choice').value, Chart: String(Chart.defaults.color)})`, &s)
		return s.Theme, s.Bg, s.Sel, s.Chart
	}
	check := func(what, wantTheme, wantBg, wantSel, wantChart string) {
		t.Helper()
		p.waitTrue(ctx, what, `document.documentElement.dataset.theme === '`+wantTheme+`'`)
		settle(ctx, p)
		th, bg, sel, ch := state()
		if th != wantTheme || bg != wantBg || sel != wantSel || ch != wantChart {
			t.Errorf("%s: theme %q, background %s, switch %q, chart text %s; want %q, %s, %q, %s", what, th, bg, sel, ch, wantTheme, wantBg, wantSel, wantChart)
		}
	}
	choose := func(v string) {
		t.Helper()
		p.mustEval(ctx, `(() => { const s = document.getElementById('theme-choice'); s.value = '`+v+`'; s.dispatchEvent(new Event('change')); })()`, nil)
	}
	p.navigate(ctx, e.srv.base+"/dashboard/")
	p.waitTrue(ctx, "the dashboard", `document.body.dataset.ready === 'true'`)
	check("system, light", "light", light, "system", "#5d6470")
	p.screenshot(ctx, filepath.Join(e.artifacts, "theme-system-light.png"))

	choose("dark")
	check("dark chosen", "dark", dark, "dark", "#9aa3b2")
	p.screenshot(ctx, filepath.Join(e.artifacts, "theme-dark.png"))

	p.navigate(ctx, e.srv.base+"/dashboard/")
	p.waitTrue(ctx, "the dashboard again", `document.body.dataset.ready === 'true'`)
	check("dark after a reload", "dark", dark, "dark", "#9aa3b2")
	var stored string
	p.mustEval(ctx, `localStorage.getItem('pb-theme')`, &stored)
	if stored != "dark" {
		t.Errorf("localStorage pb-theme = %q", stored)
	}

	// The system turns dark, the choice is light: light wins.
	p.viewport(ctx, 1280, 900, false, "dark")
	choose("light")
	check("light chosen on a dark system", "light", light, "light", "#5d6470")
	p.screenshot(ctx, filepath.Join(e.artifacts, "theme-light-on-dark-system.png"))

	// "System" follows the system, and its changes.
	choose("system")
	check("system, dark", "dark", dark, "system", "#9aa3b2")
	p.viewport(ctx, 1280, 900, false, "light")
	check("system turned light", "light", light, "system", "#5d6470")
	stored = "<unset>"
	p.mustEval(ctx, `localStorage.getItem('pb-theme') || ''`, &stored)
	if stored != "" {
		t.Errorf("localStorage pb-theme = %q after choosing system", stored)
	}
	e.checkClean(t)
}
