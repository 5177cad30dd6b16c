package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/packetbuddy/pb/internal/usage"
)

func TestAppsBadParameters(t *testing.T) {
	f := newFixture(t, false)
	tests := []struct{ target, says string }{
		{"/api/apps?from=2026-03-09&to=2026-03-01", "starts (2026-03-09) after it ends"},
		{"/api/apps?from=yesterday", "YYYY-MM-DD"},
		{"/api/apps?interface=eth0&interface=wlan0", "given 2 times"},
		{"/api/export?format=html&by=app", "by=app is for format=csv and format=json only"},
		{"/api/export?by=process", "by"},
		{"/api/apps/days", `{"error":"Parameter name is required: the application's name, with its path, unit and package, as /api/apps lists them."}`},
		{"/api/apps/days?name=", "Parameter name is required"},
		{"/api/apps/days?name=curl&name=firefox", "Parameter name is given 2 times; give it once."},
		// curl's path is part of it: without it, it is another app.
		{"/api/apps/days?name=curl", `{"error":"No traffic is known of the application name=\"curl\" path=\"\" unit=\"\" package=\"\"; give the four fields of a row of /api/apps."}`},
		{"/api/apps/days?name=curl&path=/usr/bin/curl&unit=x.service", `unit=\"x.service\"`},
		{"/api/apps/days?name=curl&path=/usr/bin/curl&from=2026-03-09&to=2026-03-01", "starts (2026-03-09) after it ends"},
		{"/api/apps/days?name=curl&path=/usr/bin/curl&to=03/08/2026", "YYYY-MM-DD"},
		{"/api/apps/days?name=curl&path=/usr/bin/curl&from=2000-01-01&to=2026-03-08", "at most 3660 days"},
		{"/api/apps/days?name=curl&path=/usr/bin/curl&interface=eth0&interface=wlan0", "given 2 times"},
	}
	for _, tt := range tests {
		rec := do(t, f.srv.Handler(), "GET", tt.target)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), tt.says) {
			t.Errorf("GET %s = %d %s; want 400 saying %q", tt.target, rec.Code, rec.Body.String(), tt.says)
		}
	}
	if rec := do(t, f.srv.Handler(), "POST", "/api/apps/days?name=curl"); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /api/apps/days = %d, want 405", rec.Code)
	}
}

// TestAppsSaysMethod: /api/apps names how the daemon counts apps, so a
// reader knows whether UDP is in the apps or in unattributed.
func TestAppsSaysMethod(t *testing.T) {
	for _, method := range []string{"ebpf", "sock_diag", "off", ""} {
		f := newFixture(t, false, func(d *Deps) { d.Settings.AppsMethod = method })
		rec := do(t, f.srv.Handler(), "GET", "/api/apps")
		var got struct {
			Method *string `json:"method"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != http.StatusOK {
			t.Fatalf("GET /api/apps = %d %s: %v", rec.Code, rec.Body.String(), err)
		}
		switch {
		case method == "" && got.Method != nil:
			t.Errorf("method %q reported though unknown", *got.Method)
		case method != "" && (got.Method == nil || *got.Method != method):
			t.Errorf("method = %v, want %q", got.Method, method)
		}
	}
}

// TestAppDays: /api/apps/days gives one application's traffic on each
// local day, zero days included, for the app named by the four fields of
// its /api/apps row; a path with spaces and URL metacharacters round-trips.
func TestAppDays(t *testing.T) {
	f := newFixture(t, false)
	odd := usage.App{Path: "/opt/My Apps/app+1 &x=y%20", Name: "my app", Unit: "app@1.service", Package: "snap:my-app"}
	if err := f.store.Flush(context.Background(), usage.Batch{Apps: []usage.AppDelta{
		{App: odd, Iface: "eth0", MAC: "aa:bb:cc:00:00:01", Bucket: at(2026, 3, 7, 10, 0), Totals: usage.Totals{Rx: 1_234, Tx: 56}},
		// wlan0 in the evening: the next day in UTC, still the 7th here.
		{App: odd, Iface: "wlan0", MAC: "aa:bb:cc:00:00:02", Bucket: at(2026, 3, 7, 23, 45), Totals: usage.Totals{Rx: 1_000, Tx: 0}},
		// docker0 is not counted: not in the default scope.
		{App: odd, Iface: "docker0", Bucket: at(2026, 3, 7, 10, 0), Totals: usage.Totals{Rx: 7, Tx: 7}},
	}}); err != nil {
		t.Fatal(err)
	}
	q := func(a usage.App, extra ...string) string {
		v := url.Values{"name": {a.Name}}
		for k, s := range map[string]string{"path": a.Path, "unit": a.Unit, "package": a.Package} {
			if s != "" {
				v.Set(k, s)
			}
		}
		for i := 0; i+1 < len(extra); i += 2 {
			v.Set(extra[i], extra[i+1])
		}
		return "/api/apps/days?" + v.Encode()
	}
	firefox := usage.App{Path: "/usr/lib/firefox/firefox", Name: "firefox", Package: "flatpak:org.mozilla.firefox"}
	tests := []struct{ name, target, want string }{
		{"round trip", q(odd, "from", "2026-03-06", "to", "2026-03-08"),
			`{"app":{"path":"/opt/My Apps/app+1 &x=y%20","name":"my app","unit":"app@1.service","package":"snap:my-app"},"from":"2026-03-06","to":"2026-03-08","timezone":"America/New_York","interfaces":[],` +
				`"days":[{"date":"2026-03-06","bytes_sent":0,"bytes_received":0,"total_bytes":0},{"date":"2026-03-07","bytes_sent":56,"bytes_received":2234,"total_bytes":2290},{"date":"2026-03-08","bytes_sent":0,"bytes_received":0,"total_bytes":0}],` +
				`"total":{"bytes_sent":56,"bytes_received":2234,"total_bytes":2290}}`},
		{"one interface", q(odd, "from", "2026-03-07", "to", "2026-03-07", "interface", "docker0"),
			`{"app":{"path":"/opt/My Apps/app+1 &x=y%20","name":"my app","unit":"app@1.service","package":"snap:my-app"},"from":"2026-03-07","to":"2026-03-07","timezone":"America/New_York","interfaces":["docker0"],` +
				`"days":[{"date":"2026-03-07","bytes_sent":7,"bytes_received":7,"total_bytes":14}],"total":{"bytes_sent":7,"bytes_received":7,"total_bytes":14}}`},
		// The wlan0 evening of the 3rd is the 4th in UTC; today is the
		// spring-forward day.
		{"local days", q(firefox, "from", "2026-03-03", "to", "2026-03-04"),
			`{"app":{"path":"/usr/lib/firefox/firefox","name":"firefox","unit":"","package":"flatpak:org.mozilla.firefox"},"from":"2026-03-03","to":"2026-03-04","timezone":"America/New_York","interfaces":[],` +
				`"days":[{"date":"2026-03-03","bytes_sent":900000000,"bytes_received":4000000000,"total_bytes":4900000000},{"date":"2026-03-04","bytes_sent":0,"bytes_received":0,"total_bytes":0}],` +
				`"total":{"bytes_sent":900000000,"bytes_received":4000000000,"total_bytes":4900000000}}`},
		{"unattributed today", "/api/apps/days?name=unattributed&from=2026-03-08",
			`{"app":{"path":"","name":"unattributed","unit":"","package":""},"from":"2026-03-08","to":"2026-03-08","timezone":"America/New_York","interfaces":[],` +
				`"days":[{"date":"2026-03-08","bytes_sent":0,"bytes_received":3000,"total_bytes":3000}],"total":{"bytes_sent":0,"bytes_received":3000,"total_bytes":3000}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(t, f.srv.Handler(), "GET", tt.target)
			if got := strings.TrimSpace(rec.Body.String()); rec.Code != http.StatusOK || got != tt.want {
				t.Errorf("GET %s = %d\n%s\nwant\n%s", tt.target, rec.Code, got, tt.want)
			}
		})
	}

	// By default the 30 days up to today (or up to to).
	for target, want := range map[string]struct {
		from, to string
		bytes    uint64
	}{
		q(firefox):                     {"2026-02-07", "2026-03-08", 4_900_032_500},
		q(firefox, "to", "2026-03-03"): {"2026-02-02", "2026-03-03", 4_900_000_000},
	} {
		var got struct {
			From, To string
			Days     []struct{ Date string }
			Total    struct {
				TotalBytes uint64 `json:"total_bytes"`
			}
		}
		rec := do(t, f.srv.Handler(), "GET", target)
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != http.StatusOK {
			t.Fatalf("GET %s = %d %s: %v", target, rec.Code, rec.Body.String(), err)
		}
		if got.From != want.from || got.To != want.to || len(got.Days) != 30 || got.Days[0].Date != want.from || got.Days[29].Date != want.to || got.Total.TotalBytes != want.bytes {
			t.Errorf("GET %s: %s..%s, %d days, %d bytes; want %s..%s, 30 days, %d bytes", target, got.From, got.To, len(got.Days), got.Total.TotalBytes, want.from, want.to, want.bytes)
		}
	}

	// Unattributed is known before any of its traffic is written.
	empty := newFixture(t, true)
	if rec := do(t, empty.srv.Handler(), "GET", "/api/apps/days?name=unattributed&from=2026-03-08"); rec.Code != http.StatusOK ||
		!strings.Contains(rec.Body.String(), `"days":[{"date":"2026-03-08","bytes_sent":0,"bytes_received":0,"total_bytes":0}]`) {
		t.Errorf("unattributed on an empty database = %d %s", rec.Code, rec.Body.String())
	}
}
