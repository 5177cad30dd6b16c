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
	"github.com/packetbuddy/pb/internal/golden"
	"github.com/packetbuddy/pb/internal/store"
	"github.com/packetbuddy/pb/internal/usage"
)

// The fixed clock of the query tests: noon on the spring-forward day in New
// York (a day of 23 hours), as in the api package's tests.
var (
	nyc      = golden.Location("America/New_York")
	fixedNow = time.Date(2026, 3, 8, 12, 0, 0, 0, nyc)
)

func at(y int, m time.Month, d, hh, mm int) time.Time { return time.Date(y, m, d, hh, mm, 0, 0, nyc) }

// fixtureBatch is the known data of the query tests.
func fixtureBatch() usage.Batch {
	d := func(iface string, t time.Time, rx, tx uint64) usage.Delta {
		return usage.Delta{Iface: iface, Bucket: t.UTC().Truncate(time.Minute), Totals: usage.Totals{Rx: rx, Tx: tx}}
	}
	return usage.Batch{
		Interfaces: []usage.Interface{
			{Name: "eth0", Kind: "ethernet", Counted: true},
			{Name: "wlan0", Kind: "wifi", Counted: true},
			{Name: "docker0", Kind: "virtual", Counted: false},
		},
		Deltas: []usage.Delta{
			// The fall-back day 2025-11-02 (25 hours): 01:30 twice.
			{Iface: "eth0", Bucket: time.Date(2025, 11, 2, 5, 30, 0, 0, time.UTC), Totals: usage.Totals{Rx: 100_000_000, Tx: 10_000_000}},
			{Iface: "eth0", Bucket: time.Date(2025, 11, 2, 6, 30, 0, 0, time.UTC), Totals: usage.Totals{Rx: 200_000_000, Tx: 20_000_000}},
			d("eth0", at(2026, 2, 15, 12, 0), 700_000, 300_000),
			d("eth0", at(2026, 3, 1, 10, 0), 1_000_000_000, 200_000_000),
			d("wlan0", at(2026, 3, 3, 23, 50), 5_000_000_000, 1_000_000_000),
			d("eth0", at(2026, 3, 7, 8, 0), 999_995, 5),
			d("eth0", at(2026, 3, 8, 1, 30), 3_000_000, 1_000_000),
			d("eth0", at(2026, 3, 8, 3, 15), 40_000_000, 2_000_000),
			d("wlan0", at(2026, 3, 8, 10, 5), 120_000_000, 8_000_000),
			d("docker0", at(2026, 3, 8, 9, 0), 9_999_999, 9_999_999),
		},
		// Today's eth0 (43 MB down, 3 MB up) and wlan0 traffic per app.
		Apps: []usage.AppDelta{
			{App: usage.App{Path: "/usr/lib/firefox/firefox", Name: "firefox", Package: "flatpak:org.mozilla.firefox"}, Iface: "eth0", Bucket: at(2026, 3, 8, 3, 15), Totals: usage.Totals{Rx: 30_000_000, Tx: 2_500_000}},
			{App: usage.App{Path: "/usr/bin/curl", Name: "curl"}, Iface: "eth0", Bucket: at(2026, 3, 8, 1, 30), Totals: usage.Totals{Rx: 3_000_000, Tx: 400_000}},
			{App: usage.App{Path: "/usr/lib/systemd/systemd-resolved", Name: "systemd-resolve", Unit: "systemd-resolved.service"}, Iface: "eth0", Bucket: at(2026, 3, 8, 3, 15), Totals: usage.Totals{Rx: 7_000_000, Tx: 100_000}},
			{App: usage.Unattributed, Iface: "eth0", Bucket: at(2026, 3, 8, 3, 15), Totals: usage.Totals{Rx: 3_000_000}},
			{App: usage.App{Path: "/usr/lib/firefox/firefox", Name: "firefox", Package: "flatpak:org.mozilla.firefox"}, Iface: "wlan0", Bucket: at(2026, 3, 8, 10, 5), Totals: usage.Totals{Rx: 120_000_000, Tx: 8_000_000}},
		},
		// Today's 03:15 eth0 traffic on the home Wi-Fi router's network
		// (the rest of eth0 is the unknown network), the wlan0 evening of
		// 3 March on a hotspot whose SSID could not be read.
		Networks: []usage.NetworkDelta{
			{Network: usage.Attachment{Gateway: "192.168.1.1", GatewayMAC: "02:aa:00:00:00:01", SSID: "home", SSIDStatus: usage.SSIDRead}, Iface: "eth0", Bucket: at(2026, 3, 8, 3, 15), Totals: usage.Totals{Rx: 40_000_000, Tx: 2_000_000}},
			{Network: usage.Attachment{Gateway: "172.20.10.1", GatewayMAC: "02:aa:00:00:00:02", SSIDStatus: usage.SSIDNotAvailable}, Iface: "wlan0", Bucket: at(2026, 3, 3, 23, 50), Totals: usage.Totals{Rx: 5_000_000_000, Tx: 1_000_000_000}},
		},
		Peaks: []usage.Peak{
			{Bucket: at(2026, 3, 8, 3, 15).UTC(), BytesPerSec: 12_400_000},
			{Bucket: at(2026, 3, 3, 23, 45).UTC(), BytesPerSec: 50_000},
		},
		Events: []usage.Event{
			{Time: at(2026, 3, 7, 8, 0).UTC(), Kind: usage.EventSpike, Iface: "eth0", Totals: usage.Totals{Rx: 9e12}, Message: "discarded 9000000000000 bytes in 1s: faster than the link can carry"},
			{Time: at(2026, 3, 8, 6, 0).UTC(), Kind: usage.EventRestart, Message: "daemon restarted after 5s; traffic while it was stopped counted"},
		},
	}
}

// newDataDir makes a data directory with a config (New York, $0.10 per GB)
// and a database holding fixtureBatch (or nothing when empty).
func newDataDir(t *testing.T, empty bool) string {
	t.Helper()
	dir := t.TempDir()
	cfg := "timezone = \"America/New_York\"\n\n[cost]\nrate_per_gb = 0.10\ncurrency = \"USD\"\n"
	if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), filepath.Join(dir, dbFile), store.Options{Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.SetDeviceID(context.Background(), "0b6c9a0e-1f0e-4d4e-9a39-3c1e2f0a7d11"); err != nil {
		t.Fatal(err)
	}
	if !empty {
		if err := st.Flush(context.Background(), fixtureBatch()); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// runAt runs pb in-process at the fixed clock.
func runAt(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Run(context.Background(), args, Env{Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }, Now: func() time.Time { return fixedNow }})
	return code, out.String(), errb.String()
}

// queryCases are the query commands of the golden tests, with the API
// request that --json must equal.
var queryCases = []struct {
	name string
	args []string
	api  string
}{
	{"today", []string{"today"}, "/api/today"},
	{"summary", []string{"summary"}, "/api/summary"},
	{"month", []string{"month"}, "/api/month"},
	{"month_past", []string{"month", "2025-11"}, "/api/month?month=2025-11"},
	{"range", []string{"range", "--from", "2026-02-28", "--to", "2026-03-08"}, "/api/range?from_date=2026-02-28&to_date=2026-03-08"},
	{"hours", []string{"hours"}, "/api/hours"},
	{"hours_fall_back", []string{"hours", "2025-11-02"}, "/api/hours?date=2025-11-02"},
	{"days", []string{"days", "10"}, "/api/days?from=2026-02-27&to=2026-03-08"},
	{"top", []string{"top", "5"}, "/api/top?limit=5"},
	{"interfaces", []string{"interfaces"}, "/api/interfaces"},
	{"apps", []string{"apps"}, "/api/apps"},
	{"apps_range_eth0", []string{"apps", "--from", "2026-03-01", "--to", "2026-03-08", "-i", "eth0"}, "/api/apps?from=2026-03-01&to=2026-03-08&interface=eth0"},
	{"networks", []string{"networks"}, "/api/networks"},
	{"networks_range", []string{"networks", "--from", "2026-03-01", "--to", "2026-03-08"}, "/api/networks?from=2026-03-01&to=2026-03-08"},
	{"events", []string{"events"}, "/api/events"},
	{"trends", []string{"trends"}, "/api/trends"},
	{"years", []string{"years", "--months"}, ""},
	{"today_wlan0", []string{"today", "-i", "wlan0"}, ""},
	{"month_eth0_docker0", []string{"month", "--interface", "eth0,docker0"}, ""},
}

func TestQueryGolden(t *testing.T) {
	dir := newDataDir(t, false)
	empty := newDataDir(t, true)
	for _, tc := range queryCases {
		t.Run(tc.name, func(t *testing.T) {
			for _, v := range []struct {
				suffix string
				dir    string
				extra  []string
			}{
				{".txt", dir, nil},
				{".color.txt", dir, []string{"--color", "always"}},
				{".empty.txt", empty, nil},
			} {
				args := append(append(append([]string{}, tc.args...), "--data-dir", v.dir), v.extra...)
				code, out, errs := runAt(t, nil, args...)
				if code != 0 {
					t.Fatalf("pb %v: exit %d: %s", args, code, errs)
				}
				golden.Check(t, filepath.Join("query", tc.name+v.suffix), []byte(out))
				if v.suffix == ".txt" {
					for _, l := range strings.Split(out, "\n") {
						if n := len([]rune(l)); n > 80 {
							t.Errorf("line wider than 80 columns (%d): %q", n, l)
						}
					}
				}
			}
		})
	}
}

// TestNoColor checks that NO_COLOR wins over a terminal and that a pipe gets
// no escape codes.
func TestNoColor(t *testing.T) {
	dir := newDataDir(t, false)
	_, out, _ := runAt(t, map[string]string{"NO_COLOR": "1"}, "month", "--data-dir", dir)
	if strings.Contains(out, "\x1b[") {
		t.Fatalf("escape codes with NO_COLOR:\n%s", out)
	}
	if !useColor("auto", Env{Stdout: &bytes.Buffer{}, Getenv: func(string) string { return "" }}) == false {
		t.Fatal("colour on a pipe")
	}
	if useColor("auto", Env{Stdout: os.Stdout, Getenv: func(k string) string { return map[string]string{"NO_COLOR": "1"}[k] }}) {
		t.Fatal("colour with NO_COLOR set")
	}
}

// TestJSONMatchesAPI compares each command's --json with the API handler's
// answer on the same database.
func TestJSONMatchesAPI(t *testing.T) {
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
	for _, tc := range queryCases {
		if tc.api == "" {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runAt(t, nil, append(append([]string{}, tc.args...), "--data-dir", dir, "--json")...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			req := httptest.NewRequest(http.MethodGet, tc.api, nil)
			req.Host = "127.0.0.1:7373"
			rec := httptest.NewRecorder()
			srv.Handler().ServeHTTP(rec, req)
			if rec.Code != 200 {
				t.Fatalf("api %s: %d %s", tc.api, rec.Code, rec.Body)
			}
			var got, want any
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("--json is not JSON: %v\n%s", err, out)
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &want); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("pb %v --json differs from GET %s (-api +cli):\n%s", tc.args, tc.api, d)
			}
		})
	}
}
