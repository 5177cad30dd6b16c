package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/packetbuddy/pb/internal/golden"
	"github.com/packetbuddy/pb/internal/units"
)

var dbSizeLine = regexp.MustCompile(`(?m)^pb_database_size_bytes \d+$`)

// TestEndpointsGolden renders every read endpoint on the known data and on
// an empty database and compares the bodies with testdata/golden/.
// Run `go test ./internal/api -run TestEndpointsGolden -update` after an
// intended change, and read the diff.
func TestEndpointsGolden(t *testing.T) {
	targets := []struct{ name, target string }{
		{"today", "/api/today"},
		{"live", "/api/live"},
		{"cost", "/api/cost"},
		{"cost_custom_rate", "/api/cost?cost_per_gb=0.5"},
		{"month", "/api/month"},
		{"month_past", "/api/month?month=2026-02"},
		{"month_future", "/api/month?month=2027-01"},
		{"range", "/api/range?from_date=2026-02-28&to_date=2026-03-08"},
		{"range_alias", "/api/range?from=2026-03-02&to=2026-03-02"},
		{"summary", "/api/summary"},
		{"days_default", "/api/days"},
		{"hours_spring_forward", "/api/hours"},
		{"hours_fall_back", "/api/hours?date=2025-11-02"},
		{"hours_plain", "/api/hours?date=2026-03-01"},
		{"top", "/api/top?limit=3"},
		{"interfaces", "/api/interfaces"},
		{"dashboard", "/api/dashboard"},
		{"apps_today", "/api/apps"},
		{"apps_range", "/api/apps?from=2026-03-01&to=2026-03-08&interface=wlan0,eth0"},
		{"networks_today", "/api/networks"},
		{"networks_range", "/api/networks?from=2026-03-01&to=2026-03-08&interface=wlan0,eth0"},
		{"networks_one", "/api/networks?from=2026-03-01&to=2026-03-08&network=gateway+02:aa:00:00:00:02"},
		{"events", "/api/events"},
		{"trends", "/api/trends"},
		{"minutes_default", "/api/minutes"},
		{"minutes_spring_forward", "/api/minutes?from=2026-03-08T01:00:00-05:00&to=2026-03-08T03:30:00-04:00"},
		{"export_json", "/api/export"},
		{"export_csv", "/api/export?format=csv"},
		{"export_csv_apps", "/api/export?format=csv&by=app"},
		{"export_json_apps", "/api/export?format=json&by=app&from=2026-03-08"},
		{"export_toon", "/api/export?format=toon"},
		{"export_llm", "/api/export/llm"},
		{"export_html", "/api/export?format=html"},
		{"export_markdown", "/api/export?format=markdown"},
		{"wrapup_html", "/api/export/wrapup"},
		{"wrapup_toon", "/api/export/wrapup?format=toon&year=2025"},
		{"generate_month_html", "/api/exports/generate?range_type=month"},
		{"generate_custom_md", "/api/exports/generate?range_type=custom&start_date=2026-03-01&end_date=2026-03-08&format=markdown"},
		{"generate_empty", "/api/exports/generate?range_type=custom&start_date=2024-01-01&end_date=2024-01-31&format=markdown"},
		{"generate_all", "/api/exports/generate?range_type=all&format=markdown"},
		{"metrics", "/metrics"},
	}
	for _, empty := range []bool{false, true} {
		f := newFixture(t, empty)
		for _, tc := range targets {
			name := tc.name
			if empty {
				if tc.name == "networks_one" {
					continue // no network of that name: a 400 (TestNetworksEdit)
				}
				name = "empty/" + name
			}
			t.Run(name, func(t *testing.T) {
				rec := do(t, f.srv.Handler(), "GET", tc.target)
				if rec.Code != http.StatusOK {
					t.Fatalf("GET %s: status %d, body %s", tc.target, rec.Code, rec.Body)
				}
				ext := ".json"
				switch ct := rec.Header().Get("Content-Type"); {
				case strings.HasPrefix(ct, "text/csv"):
					ext = ".csv"
				case strings.HasPrefix(ct, "text/html"):
					ext = ".html"
				case strings.HasPrefix(ct, "text/markdown"):
					ext = ".md"
				case strings.HasPrefix(ct, "text/plain"):
					ext = ".txt"
				}
				body := rec.Body.Bytes()
				if tc.name == "metrics" {
					// The file size depends on SQLite's page layout, not on us.
					body = dbSizeLine.ReplaceAll(body, []byte("pb_database_size_bytes SIZE"))
					// The process' own footprint comes last and changes
					// with every run: TestMetricsProcess checks it.
					if i := bytes.Index(body, []byte("# HELP process_")); i >= 0 {
						body = body[:i]
					}
				}
				golden.Check(t, "golden/"+name+ext, body)
			})
		}
	}
}

// TestContractFields checks the v1 clients' field names (api-contract.md)
// one by one, independent of the golden files.
func TestContractFields(t *testing.T) {
	usage := []string{"bytes_sent", "bytes_received", "total_bytes", "human_readable.sent", "human_readable.received", "human_readable.total"}
	cost := func(p string) []string {
		var out []string
		for _, part := range []string{"upload", "download", "total"} {
			for _, f := range []string{"gb_used", "cost", "cost_formatted", "cost_inr"} {
				out = append(out, p+part+"."+f)
			}
		}
		return append(out, p+"cost_per_gb", p+"currency")
	}
	prefix := func(p string, fs []string) []string {
		out := make([]string, len(fs))
		for i, f := range fs {
			out[i] = p + f
		}
		return out
	}
	tests := []struct {
		target string
		fields []string
	}{
		{"/api/health", []string{"status", "version", "release_date", "device_id", "os_type", "hostname", "device_count", "sync_enabled", "timestamp", "storage.db_size_mb"}},
		{"/api/live", usage},
		{"/api/today", append(append(usage, "peak_speed", "human_readable.peak_speed"), cost("cost.")...)},
		{"/api/cost", append([]string{"usage.bytes_sent", "usage.bytes_received", "usage.total_bytes", "usage.gb_used", "info.cost_per_gb", "info.currency"}, cost("cost.")...)},
		{"/api/month", append([]string{"month", "days.0.date", "days.0.bytes_sent", "days.0.bytes_received", "days.0.total_bytes"}, prefix("summary.", usage)...)},
		{"/api/range?from_date=2026-03-01&to_date=2026-03-02", append([]string{"from", "to", "days.1.date", "days.1.bytes_sent", "days.1.bytes_received", "days.1.total_bytes"}, prefix("summary.", usage)...)},
		{"/api/summary", append(append(usage, "peak_speed"), cost("cost.")...)},
		{"/api/export", []string{"metadata.exported_at", "metadata.device.hostname", "metadata.device.os_type", "metadata.device.device_id",
			"metadata.tracking_period.first_date", "metadata.tracking_period.last_date", "metadata.tracking_period.total_days",
			"summary.totals.total_bytes", "summary.averages.daily_bytes", "summary.averages.daily_human", "summary.peak_speed.bytes_per_second",
			"summary.peak_speed.human_readable", "summary.peak_day.date", "summary.peak_day.bytes", "summary.peak_day.human",
			"monthly_data.0", "daily_data.0.date"}},
		{"/api/storage", []string{"local.db_size_mb", "retention"}},
	}
	f := newFixture(t, false)
	for _, tc := range tests {
		t.Run(tc.target, func(t *testing.T) {
			rec := do(t, f.srv.Handler(), "GET", tc.target)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			m := decode(t, rec.Body)
			for _, field := range tc.fields {
				if _, ok := lookup(m, field); !ok {
					t.Errorf("field %s missing", field)
				}
			}
		})
	}
}

// TestValues checks the numbers against the fixture, worked out by hand.
func TestValues(t *testing.T) {
	f := newFixture(t, false)
	tests := []struct {
		target string
		want   map[string]string
	}{
		// Today (a 23-hour day): eth0 3,000+40,000 rx and 1,000+2,000 tx
		// stored, plus 500/50 pending; docker0 and the pending docker0 are
		// not counted; usb0's pending 1/2 is (a counted interface not yet
		// in the database). Peak: the pending 13 MB/s beats 12.4 MB/s.
		{"/api/today", map[string]string{
			"bytes_received": "43501", "bytes_sent": "3052", "total_bytes": "46553",
			"peak_speed": "13000000", "human_readable.peak_speed": "13.00 MB/s",
			"human_readable.total": "46.55 KB", "date": "2026-03-08",
			"cost.currency": "INR", "cost.cost_per_gb": "7.5", "cost.total.cost_formatted": "₹0.00",
		}},
		{"/api/live", map[string]string{"bytes_received": "1500000", "bytes_sent": "250000", "human_readable.received": "1.50 MB/s"}},
		// The wlan0 traffic at 23:50 local on 03-03 is 04:50 UTC on 03-04:
		// it belongs to the local 3rd. 999,995 B prints as 1.00 MB.
		{"/api/month", map[string]string{
			"month": "2026-03", "days.#": "8",
			"days.1.date": "2026-03-02", "days.1.total_bytes": "0",
			"days.2.date": "2026-03-03", "days.2.bytes_received": "5000000000", "days.2.peak_speed": "50000",
			"days.3.total_bytes":     "0",
			"days.6.bytes_received":  "999995",
			"days.7.bytes_received":  "43501",
			"summary.bytes_received": "5002043496", "summary.bytes_sent": "1000203057",
		}},
		{"/api/month?month=2026-02", map[string]string{"days.#": "28", "days.14.date": "2026-02-15", "days.14.total_bytes": "1000", "summary.human_readable.total": "1.00 KB"}},
		{"/api/month?month=2027-01", map[string]string{"days.#": "0", "summary.total_bytes": "0"}},
		// Lifetime: all counted traffic ever, with pending.
		{"/api/summary", map[string]string{
			"bytes_received": fmt.Sprint(uint64(100 + 200 + 700 + 1_000_000 + 5_000_000_000 + 999_995 + 3_000 + 40_000 + 500 + 1)),
			"bytes_sent":     fmt.Sprint(uint64(10 + 20 + 300 + 200_000 + 1_000_000_000 + 5 + 1_000 + 2_000 + 50 + 2)),
			"first_date":     "2025-11-02", "last_date": "2026-03-08", "days_tracked": "127",
		}},
		{"/api/hours", map[string]string{"hours.#": "23", "hours.1.start": "2026-03-08T01:00:00-05:00", "hours.1.total_bytes": "4000",
			"hours.2.start": "2026-03-08T03:00:00-04:00", "hours.2.hour": "3", "hours.2.total_bytes": "42000", "hours.10.total_bytes": "553"}},
		{"/api/hours?date=2025-11-02", map[string]string{"hours.#": "25", "hours.1.start": "2025-11-02T01:00:00-04:00", "hours.1.total_bytes": "110",
			"hours.2.start": "2025-11-02T01:00:00-05:00", "hours.2.hour": "1", "hours.2.total_bytes": "220"}},
		{"/api/top?limit=2", map[string]string{"days.#": "2", "days.0.date": "2026-03-03", "days.1.date": "2026-03-01"}},
		// 43,501 B downloaded today at ₹1,000,000 per GB.
		{"/api/cost?cost_per_gb=1000000", map[string]string{"cost.cost_per_gb": "1000000", "cost.download.cost": "43.5", "cost.download.cost_formatted": "₹43.50",
			"cost.download.cost_inr": "43.5", "cost.download.gb_used": "0.000044", "usage.gb_used": "0.000047"}},
		{"/api/export", map[string]string{"metadata.tracking_period.first_date": "2025-11-02", "metadata.tracking_period.total_days": "127",
			"summary.peak_day.date": "2026-03-03", "monthly_data.#": "5", "daily_data.#": "127"}},
	}
	for _, tc := range tests {
		t.Run(tc.target, func(t *testing.T) {
			rec := do(t, f.srv.Handler(), "GET", tc.target)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			m := decode(t, rec.Body)
			for path, want := range tc.want {
				var got any
				var ok bool
				if p, isLen := strings.CutSuffix(path, ".#"); isLen {
					var arr any
					if arr, ok = lookup(m, p); ok {
						got = len(arr.([]any))
					}
				} else {
					got, ok = lookup(m, path)
				}
				if !ok {
					t.Errorf("%s: missing", path)
					continue
				}
				if g := fmt.Sprint(got); g != want {
					t.Errorf("%s = %s, want %s", path, g, want)
				}
			}
		})
	}
}

// TestCurrency checks the cost block in another currency: no cost_inr,
// the currency's symbol and digits.
func TestCurrency(t *testing.T) {
	tests := []struct {
		currency  string
		rate      float64
		formatted string
	}{
		// 46,553 B today.
		{"USD", 1e6, "$46.55"},
		{"JPY", 1e6, "¥47"},
		{"EUR", 1e5, "€4.66"},
		{"CHF", 1e6, "CHF 46.55"},
	}
	for _, tc := range tests {
		t.Run(tc.currency, func(t *testing.T) {
			f := newFixture(t, false, func(d *Deps) { d.Settings.Currency, d.Settings.RatePerGB = tc.currency, tc.rate })
			rec := do(t, f.srv.Handler(), "GET", "/api/today")
			m := decode(t, rec.Body)
			if got, _ := lookup(m, "cost.total.cost_formatted"); got != tc.formatted {
				t.Errorf("cost_formatted = %v, want %s", got, tc.formatted)
			}
			if _, ok := lookup(m, "cost.total.cost_inr"); ok {
				t.Error("cost_inr present for a currency other than INR")
			}
			if got, _ := lookup(m, "cost.currency"); got != tc.currency {
				t.Errorf("currency = %v", got)
			}
		})
	}
	if _, err := New(Deps{Store: openStore(t), Settings: Settings{Currency: "XYZ", RatePerGB: 1}}); err == nil {
		t.Error("unknown currency accepted")
	}
}

// TestHealth checks /api/health field by field (its size varies by SQLite
// version, so it has no golden file).
func TestHealth(t *testing.T) {
	f := newFixture(t, false)
	rec := do(t, f.srv.Handler(), "GET", "/api/health")
	var h healthResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &h); err != nil {
		t.Fatal(err)
	}
	if h.Status != "running" || h.Timestamp != "2026-03-08T12:00:00-04:00" || h.OSType != "Linux" || h.Hostname != "test-host" ||
		h.DeviceCount != 1 || h.SyncEnabled || h.Storage.DBSizeBytes <= 0 || h.Version != "2.0.0-test" || h.ReleaseDate != "2026-11-25" ||
		!h.Monitor.Running || h.Monitor.FlushErrors != 2 || h.UptimeSeconds != 3600 {
		t.Errorf("unexpected health: %+v", h)
	}
}

// The unit setting reaches the JSON: /api/health names it (the dashboard
// formats with it) and the human_readable strings and gb_used follow it.
func TestHealthUnits(t *testing.T) {
	for _, tc := range []struct {
		base       units.Base
		want, unit string
	}{{units.SI, "si", " KB"}, {units.IEC, "iec", " KiB"}} {
		f := newFixture(t, false, func(d *Deps) { d.Settings.UnitBase = tc.base })
		var h healthResponse
		if err := json.Unmarshal(do(t, f.srv.Handler(), "GET", "/api/health").Body.Bytes(), &h); err != nil {
			t.Fatal(err)
		}
		if h.Units != tc.want {
			t.Errorf("units = %q, want %q", h.Units, tc.want)
		}
		var today struct {
			TotalBytes    uint64                 `json:"total_bytes"`
			HumanReadable struct{ Total string } `json:"human_readable"`
		}
		if err := json.Unmarshal(do(t, f.srv.Handler(), "GET", "/api/today").Body.Bytes(), &today); err != nil {
			t.Fatal(err)
		}
		if s := today.HumanReadable.Total; s != units.FormatBytesBase(today.TotalBytes, tc.base) || !strings.HasSuffix(s, tc.unit) {
			t.Errorf("%s: today human_readable.total = %q for %d bytes", tc.want, s, today.TotalBytes)
		}
	}
}

// TestStorageAndCleanup checks /api/storage and the POST cleanup.
func TestStorageAndCleanup(t *testing.T) {
	f := newFixture(t, false)
	rec := do(t, f.srv.Handler(), "GET", "/api/storage")
	var s storageResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	if s.Local.Interfaces != 4 || s.Local.CoarseRows == 0 || s.Retention.FineDays != 7 || s.Local.DBSizeBytes <= 0 {
		t.Errorf("unexpected storage: %+v", s)
	}
	before := do(t, f.srv.Handler(), "GET", "/api/summary").Body.String()
	rec = do(t, f.srv.Handler(), "POST", "/api/storage/cleanup", "Origin", "http://127.0.0.1:7373")
	if rec.Code != http.StatusOK {
		t.Fatalf("cleanup: %d %s", rec.Code, rec.Body)
	}
	var c cleanupResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &c); err != nil || c.Status != "ok" || c.DeletedRows == 0 {
		t.Errorf("cleanup: %+v, %v (the fixture has fine rows older than 7 days)", c, err)
	}
	if after := do(t, f.srv.Handler(), "GET", "/api/summary").Body.String(); after != before {
		t.Errorf("lifetime changed by cleanup:\n%s\n%s", before, after)
	}
	if rec := do(t, f.srv.Handler(), "GET", "/api/storage/cleanup"); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET cleanup: %d, want 405", rec.Code)
	}
}

// TestDashboard checks the redirect and the placeholder.
func TestDashboard(t *testing.T) {
	f := newFixture(t, true)
	rec := do(t, f.srv.Handler(), "GET", "/")
	if rec.Code != http.StatusFound || rec.Header().Get("Location") != "/dashboard/" {
		t.Errorf("GET /: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	rec = do(t, f.srv.Handler(), "GET", "/dashboard/")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "not built into this binary") {
		t.Errorf("placeholder: %d %s", rec.Code, rec.Body)
	}
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("dashboard CSP %q", csp)
	}
}

// TestDashboardFS serves files from the given fs.FS.
func TestDashboardFS(t *testing.T) {
	f := newFixture(t, true, func(d *Deps) {
		d.Dashboard = fstest.MapFS{
			"index.html": {Data: []byte("<h1>dash</h1>")},
			"app.js":     {Data: []byte("console.log(1)")},
			"sub/x.txt":  {Data: []byte("x")},
		}
	})
	for _, tc := range []struct {
		path string
		code int
		body string
	}{
		{"/dashboard/", 200, "<h1>dash</h1>"},
		{"/dashboard/app.js", 200, "console.log(1)"},
		{"/dashboard/sub/", 404, ""},
		{"/dashboard/missing.js", 404, ""},
	} {
		rec := do(t, f.srv.Handler(), "GET", tc.path)
		if rec.Code != tc.code || (tc.body != "" && rec.Body.String() != tc.body) {
			t.Errorf("GET %s: %d %q", tc.path, rec.Code, rec.Body)
		}
	}
}

// TestReportEscaping: a hostile host name cannot break out of any format.
func TestReportEscaping(t *testing.T) {
	const evil = "<script>alert(1)</script> | *x* [a](b) \"q\" \\ #h\nnext: line, comma"
	f := newFixture(t, false, func(d *Deps) { d.Hostname = evil })
	h := f.srv.Handler()

	html := do(t, h, "GET", "/api/export?format=html").Body.String()
	if strings.Contains(html, "<script>") || !strings.Contains(html, "&lt;script&gt;") {
		t.Errorf("HTML not escaped:\n%s", html[:400])
	}
	md := do(t, h, "GET", "/api/exports/generate?format=markdown").Body.String()
	firstLines := strings.SplitN(md, "\n", 4)
	if !strings.Contains(firstLines[2], `\<script\>`) || !strings.Contains(firstLines[2], `\|`) || strings.Contains(firstLines[2], "\nnext") {
		t.Errorf("Markdown not escaped: %q", firstLines[2])
	}
	toon := do(t, h, "GET", "/api/export/llm").Body.String()
	var host string
	for _, line := range strings.Split(toon, "\n") {
		if strings.HasPrefix(line, "  hostname: ") {
			host = strings.TrimPrefix(line, "  hostname: ")
		}
	}
	want := `"<script>alert(1)</script> | *x* [a](b) \"q\" \\ #h\nnext: line, comma"`
	if host != want {
		t.Errorf("TOON hostname line %q, want %q", host, want)
	}
	rec := do(t, h, "GET", "/api/export")
	var doc exportJSON
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil || doc.Metadata.Device.Hostname != evil {
		t.Errorf("JSON export hostname %q, %v", doc.Metadata.Device.Hostname, err)
	}
}
