package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/packetbuddy/pb/internal/api"
	"github.com/packetbuddy/pb/internal/config"
	"github.com/packetbuddy/pb/internal/golden"
	"github.com/packetbuddy/pb/internal/plan"
	"github.com/packetbuddy/pb/internal/store"
)

// planConfig adds three plans to the query fixture: the counted total with
// a price (7.375 GB, 74 % used in March), the Wi-Fi alone (over its cap) and a
// one-time pack that expired in January.
const planConfig = `
[[plan]]
name = "Home"
cap = "10GB"
currency = "USD"
fixed_fee = 30
overage_per_gb = 2

[[plan]]
name = "Wi-Fi"
interfaces = ["wlan*"]
cap = "5GB"
thresholds = [80, 100]

[[plan]]
name = "Holiday pack"
cap = "2GB"
cycle = "once"
start = "2026-01-01"
expires = "2026-01-31"
`

func newPlanDataDir(t *testing.T, plans string) string {
	t.Helper()
	dir := newDataDir(t, false)
	f, err := os.OpenFile(filepath.Join(dir, "config.toml"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(plans); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestPlanGolden(t *testing.T) {
	dir := newPlanDataDir(t, planConfig)
	for _, v := range []struct{ name, color string }{{"plan.txt", "never"}, {"plan.color.txt", "always"}} {
		code, out, errs := runAt(t, nil, "plan", "--data-dir", dir, "--color", v.color)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		golden.Check(t, filepath.Join("query", v.name), []byte(out))
		for _, l := range strings.Split(out, "\n") {
			if n := len([]rune(l)); n > 80 && v.color == "never" {
				t.Errorf("line wider than 80 columns (%d): %q", n, l)
			}
		}
	}
}

func TestPlanJSONMatchesAPI(t *testing.T) {
	dir := newPlanDataDir(t, planConfig)
	cfg, err := config.LoadWith(config.Options{DataDir: dir, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), filepath.Join(dir, dbFile), store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv, err := api.New(api.Deps{Store: st, Location: nyc, Plans: cfg.Plans, Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/api/plans", nil)
	req.Host = "127.0.0.1:7373"
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, req)
	code, out, errs := runAt(t, nil, "plan", "--json", "--data-dir", dir)
	if code != 0 || rec.Code != 200 {
		t.Fatalf("exit %d %s; api %d", code, errs, rec.Code)
	}
	var got, want any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &want); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("pb plan --json differs from /api/plans (-api +cli):\n%s", d)
	}
}

func TestCheck(t *testing.T) {
	dir := newPlanDataDir(t, planConfig)
	for _, tc := range []struct {
		name string
		args []string
		code int
		out  []string // lines of stdout, in order
	}{
		{"all plans", nil, exitPlanOverCap, []string{
			"WARN Home: 74% of 10.00 GB used (7.38 GB), 24 days left, cap reached around 2026-03-26",
			"OVER Wi-Fi: 123% of 5.00 GB used (6.13 GB), 24 days left",
			"OK   Holiday pack: not active today",
		}},
		{"quiet", []string{"--quiet"}, exitPlanOverCap, []string{
			"WARN Home: 74% of 10.00 GB used (7.38 GB), 24 days left, cap reached around 2026-03-26",
			"OVER Wi-Fi: 123% of 5.00 GB used (6.13 GB), 24 days left",
		}},
		{"one plan over a threshold", []string{"--plan", "home"}, exitPlanThreshold, []string{
			"WARN Home: 74% of 10.00 GB used (7.38 GB), 24 days left, cap reached around 2026-03-26",
		}},
		{"a higher bar", []string{"--plan", "Home", "--over", "90"}, exitOK, []string{
			"OK   Home: 74% of 10.00 GB used (7.38 GB), 24 days left, cap reached around 2026-03-26",
		}},
		// A week of history leaves the forecast's band wide: its low edge
		// is under the cap, so --forecast does not warn yet.
		{"a higher bar and the forecast", []string{"--plan", "Home", "--over", "90", "--forecast"}, exitOK, []string{
			"OK   Home: 74% of 10.00 GB used (7.38 GB), 24 days left, cap reached around 2026-03-26",
		}},
		{"the expired pack", []string{"--plan", "Holiday pack", "--quiet"}, exitOK, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runAt(t, nil, append([]string{"check", "--data-dir", dir}, tc.args...)...)
			if code != tc.code || errs != "" {
				t.Errorf("exit %d (stderr %q), want %d", code, errs, tc.code)
			}
			var lines []string
			if out != "" {
				lines = strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			}
			if d := cmp.Diff(tc.out, lines); d != "" {
				t.Errorf("output (-want +got):\n%s", d)
			}
		})
	}
}

func TestPlanBadInput(t *testing.T) {
	dir := newPlanDataDir(t, planConfig)
	none := newDataDir(t, false)
	bad := newPlanDataDir(t, "\n[[plan]]\nname = \"Home\"\ncap = \"-5GB\"\n")
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"plan", "--data-dir", none}, exitError, "no data plans are configured: add a [[plan]] table to"},
		{[]string{"check", "--data-dir", none}, exitError, "no data plans are configured"},
		{[]string{"check", "--data-dir", dir, "--plan", "Office"}, exitUsage, `--plan "Office": no such plan; the plans are "Home", "Wi-Fi", "Holiday pack"`},
		{[]string{"check", "--data-dir", dir, "--over", "-3"}, exitUsage, "--over -3: use a percentage between 1 and 1000"},
		{[]string{"check", "--data-dir", dir, "--over", "0.5"}, exitUsage, "--over 0.5: use a percentage between 1 and 1000"},
		{[]string{"plan", "--data-dir", dir, "-i", "eth0"}, exitUsage, "-i does not apply"},
		{[]string{"plan", "--data-dir", bad}, exitError, `line 9: plan "Home": cap = "-5GB": must be a positive size`},
	} {
		code, out, errs := runAt(t, nil, tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.msg) || out != "" {
			t.Errorf("pb %v: exit %d, stdout %q, stderr %q; want exit %d and %q", tc.args, code, out, errs, tc.code, tc.msg)
		}
		if strings.Count(strings.TrimSpace(errs), "\n") > 1 {
			t.Errorf("pb %v: more than a sentence and a hint: %q", tc.args, errs)
		}
	}
}

// pb check --forecast warns when the whole likely range passes the cap,
// as the daemon's forecast alert does, not when only its middle does.
func TestCheckPlanForecast(t *testing.T) {
	sp := plan.Spec{Name: "p", Cap: 100e9}
	for _, tc := range []struct {
		name          string
		low, forecast uint64
		flag          bool
		want          int
	}{
		{"under", 50e9, 90e9, true, exitOK},
		{"middle over, low edge under", 60e9, 130e9, true, exitOK},
		{"low edge at the cap", 100e9, 130e9, true, exitPlanThreshold},
		{"low edge over without --forecast", 110e9, 130e9, false, exitOK},
	} {
		p := planView{Spec: sp, Status: plan.Status{Active: true, Used: 10e9, Forecast: tc.forecast, ForecastLow: tc.low, ForecastHigh: 2 * tc.forecast}}
		if _, code := checkPlan(p, 0, tc.flag); code != tc.want {
			t.Errorf("%s: exit %d, want %d", tc.name, code, tc.want)
		}
	}
}

// pb trends -i NAME --json is GET /api/trends?interface=NAME, byte for byte
// once indented alike.
func TestTrendsInterfaceJSONMatchesAPI(t *testing.T) {
	dir := newDataDir(t, false)
	st, err := store.Open(context.Background(), filepath.Join(dir, dbFile), store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv, err := api.New(api.Deps{Store: st, Location: nyc, Settings: api.Settings{RatePerGB: 0.10, Currency: "USD"},
		DeviceID: "0b6c9a0e-1f0e-4d4e-9a39-3c1e2f0a7d11", Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs := runAt(t, nil, "trends", "-i", "eth0", "--json", "--data-dir", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	req := httptest.NewRequest(http.MethodGet, "/api/trends?interface=eth0", nil)
	req.Host = "127.0.0.1:7373"
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, req)
	var want bytes.Buffer
	if err := json.Indent(&want, bytes.TrimSpace(rec.Body.Bytes()), "", "  "); err != nil || rec.Code != 200 {
		t.Fatalf("api: %d %v", rec.Code, err)
	}
	if want.WriteByte('\n'); out != want.String() {
		t.Errorf("pb trends -i eth0 --json differs from the API:\n%s\nwant\n%s", out, want.String())
	}
	if code, _, errs := runAt(t, nil, "trends", "-i", "wlan9", "--data-dir", dir); code != 2 || !strings.Contains(errs, "wlan9") {
		t.Errorf("unknown interface: exit %d, %q", code, errs)
	}
}
