package api

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestDashboardFirstScreen: each part of /api/dashboard is byte for byte
// what its own endpoint answers, with and without data.
func TestDashboardFirstScreen(t *testing.T) {
	for _, empty := range []bool{false, true} {
		f := newFixture(t, empty)
		h := f.srv.Handler()
		rec := do(t, h, "GET", "/api/dashboard")
		if rec.Code != 200 {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		var parts map[string]json.RawMessage
		if err := json.Unmarshal(rec.Body.Bytes(), &parts); err != nil {
			t.Fatal(err)
		}
		for part, target := range map[string]string{
			"today": "/api/today", "month": "/api/month", "summary": "/api/summary",
			"interfaces": "/api/interfaces", "live": "/api/live",
		} {
			want := bytes.TrimSpace(do(t, h, "GET", target).Body.Bytes())
			if !bytes.Equal(parts[part], want) {
				t.Errorf("empty %v: %s is\n%s\n%s answers\n%s", empty, part, parts[part], target, want)
			}
		}
		var dev struct {
			Hostname, Units string
		}
		if err := json.Unmarshal(parts["device"], &dev); err != nil || dev.Hostname != "test-host" || dev.Units != "si" {
			t.Errorf("device %s (%v)", parts["device"], err)
		}
	}
}
