package api

import (
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
	}
	for _, tt := range tests {
		rec := do(t, f.srv.Handler(), "GET", tt.target)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), tt.says) {
			t.Errorf("GET %s = %d %s; want 400 saying %q", tt.target, rec.Code, rec.Body.String(), tt.says)
		}
	}
}
