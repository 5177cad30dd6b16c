package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestNetworksEdit renames, meters and merges networks over POST, and
// checks that history follows and that bad edits are 400/404.
func TestNetworksEdit(t *testing.T) {
	f := newFixture(t, false)
	h := f.srv.Handler()
	networks := func() map[string]networkRow {
		t.Helper()
		rec := do(t, h, "GET", "/api/networks?from=2026-03-01&to=2026-03-08")
		if rec.Code != http.StatusOK {
			t.Fatalf("GET /api/networks: %d %s", rec.Code, rec.Body)
		}
		var resp networksResponse
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
			t.Fatal(err)
		}
		out := map[string]networkRow{}
		for _, n := range resp.Networks {
			out[n.Name] = n
		}
		return out
	}
	post := func(target string, code int, says string) {
		t.Helper()
		rec := do(t, h, "POST", target)
		if rec.Code != code || !strings.Contains(rec.Body.String(), says) {
			t.Errorf("POST %s = %d %s; want %d saying %q", target, rec.Code, rec.Body, code, says)
		}
	}
	post("/api/networks/rename?network=gateway+02:aa:00:00:00:02&name=Pixel+hotspot", 200, `Renamed \"gateway 02:aa:00:00:00:02\" to \"Pixel hotspot\"`)
	post("/api/networks/metered?network=Pixel+hotspot&metered=on", 200, "is metered now")
	n := networks()
	if p := n["Pixel hotspot"]; !p.Metered || p.TotalBytes != 6_000_000_000 || p.SSIDAvailable || p.SSIDStatus != "not available" {
		t.Errorf("after rename and metered: %+v", p)
	}
	post("/api/networks/merge?network=gateway+02:aa:00:00:00:01&into=Pixel+hotspot", 200, "Merged")
	n = networks()
	if p := n["Pixel hotspot"]; len(n) != 2 || p.TotalBytes != 6_000_042_000 || len(p.Fingerprints) != 2 || n["unknown network"].TotalBytes != 2_204_000 {
		t.Errorf("after merge: %+v", n)
	}
	post("/api/networks/rename?network=nope&name=x", 400, `No such network: \"nope\"`)
	post("/api/networks/rename?network=Pixel+hotspot&name=unknown+network", 400, "is not a name")
	post("/api/networks/merge?network=Pixel+hotspot&into=Pixel+hotspot", 400, "cannot be merged into itself")
	post("/api/networks/metered?network=Pixel+hotspot", 400, "metered (on or off) is required")
	post("/api/networks/metered?network=Pixel+hotspot&metered=maybe", 400, "is not true or false")
	post("/api/networks/explode?network=Pixel+hotspot", 404, "use rename, merge or metered")
	post("/api/networks/rename?name=x", 400, "network is required")
	// State-changing: refused cross-site like every POST.
	rec := do(t, h, "POST", "/api/networks/metered?network=Pixel+hotspot&metered=off", "Sec-Fetch-Site", "cross-site")
	if rec.Code != http.StatusForbidden {
		t.Errorf("cross-site POST = %d, want 403", rec.Code)
	}
	if !networks()["Pixel hotspot"].Metered {
		t.Error("a refused cross-site POST changed the metered flag")
	}
	rec = do(t, h, "GET", "/api/networks?network=nope")
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "names no network") {
		t.Errorf("GET with an unknown network = %d %s", rec.Code, rec.Body)
	}
}
