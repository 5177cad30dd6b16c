package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestAppsBadParameters(t *testing.T) {
	f := newFixture(t, false)
	tests := []struct{ target, says string }{
		{"/api/apps?from=2026-03-09&to=2026-03-01", "starts (2026-03-09) after it ends"},
		{"/api/apps?from=yesterday", "YYYY-MM-DD"},
		{"/api/apps?interface=eth0&interface=wlan0", "given 2 times"},
		{"/api/export?format=html&by=app", "by=app is for format=csv and format=json only"},
		{"/api/export?by=process", "by"},
	}
	for _, tt := range tests {
		rec := do(t, f.srv.Handler(), "GET", tt.target)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), tt.says) {
			t.Errorf("GET %s = %d %s; want 400 saying %q", tt.target, rec.Code, rec.Body.String(), tt.says)
		}
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
