package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// TestNetworksEditDirect renames, merges and meters networks with no
// daemon running: the CLI writes the database, and history follows.
func TestNetworksEditDirect(t *testing.T) {
	dir := newDataDir(t, false)
	env := map[string]string{"PB_API_PORT": closedPort(t)}
	run := func(wantCode int, wantOut string, args ...string) string {
		t.Helper()
		code, out, errs := runAt(t, env, append(args, "--data-dir", dir)...)
		if code != wantCode || !strings.Contains(out+errs, wantOut) {
			t.Errorf("pb %v: exit %d, stdout %q, stderr %q; want exit %d with %q", args, code, out, errs, wantCode, wantOut)
		}
		return out
	}
	run(0, `Renamed "gateway 02:aa:00:00:00:02" to "Pixel hotspot"`, "networks", "rename", "gateway 02:aa:00:00:00:02", "Pixel hotspot")
	run(0, `"Pixel hotspot" is metered now.`, "networks", "metered", "Pixel hotspot", "on")
	out := run(0, "Pixel hotspot", "networks", "--from", "2026-03-01", "--to", "2026-03-08", "--network", "Pixel hotspot")
	if !strings.Contains(out, "1  Pixel hotspot") || !strings.Contains(out, "yes") || !strings.Contains(out, "6.00 GB") || strings.Contains(out, "home") {
		t.Errorf("--network Pixel hotspot:\n%s", out)
	}
	run(0, "Merged", "networks", "merge", "home", "Pixel hotspot")
	out = run(0, "", "networks", "--from", "2026-03-01", "--to", "2026-03-08", "--json")
	var resp struct {
		Networks []struct {
			Name         string   `json:"name"`
			Metered      bool     `json:"metered"`
			Fingerprints []string `json:"fingerprints"`
			TotalBytes   uint64   `json:"total_bytes"`
		} `json:"networks"`
	}
	if err := json.Unmarshal([]byte(out), &resp); err != nil {
		t.Fatal(err)
	}
	if n := resp.Networks; len(n) != 2 || n[0].Name != "Pixel hotspot" || !n[0].Metered || n[0].TotalBytes != 6_042_000_000 || len(n[0].Fingerprints) != 2 || n[1].Name != "unknown network" {
		t.Errorf("after merge: %+v", n)
	}
	run(1, `no such network: "home"`, "networks", "rename", "home", "x")
	run(2, "metered takes on or off", "networks", "metered", "Pixel hotspot", "maybe")
	run(2, "use: pb networks rename OLD NEW", "networks", "rename", "Pixel hotspot")
	run(2, `no network is named "nope"`, "networks", "--network", "nope")
	run(2, `"week" is not today, month, rename, merge or metered`, "networks", "week")
}

// TestNetworksEditViaDaemon: with a daemon answering, edits are its
// POSTs, and its refusal is reported.
func TestNetworksEditViaDaemon(t *testing.T) {
	dir := newDataDir(t, false)
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("network") == "nope" {
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":"No such network: \"nope\"."}`))
			return
		}
		w.Write([]byte(`{"status":"ok","message":"Merged \"a\" into \"b\"; their history is one network's now."}`))
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	env := map[string]string{"PB_API_PORT": u.Port()}
	code, out, errs := runAt(t, env, "networks", "merge", "a", "b", "--data-dir", dir)
	if code != 0 || out != "Merged \"a\" into \"b\"; their history is one network's now.\n" {
		t.Errorf("merge via daemon: exit %d, %q %q", code, out, errs)
	}
	code, _, errs = runAt(t, env, "networks", "metered", "nope", "off", "--data-dir", dir)
	if code != 1 || !strings.Contains(errs, `the daemon answered 400: No such network: "nope".`) {
		t.Errorf("refused edit: exit %d, stderr %q", code, errs)
	}
	want := []string{"POST /api/networks/merge?into=b&network=a", "POST /api/networks/metered?metered=off&network=nope"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("daemon saw %q, want %q", got, want)
	}
}
