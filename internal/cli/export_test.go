package cli

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/api"
	"github.com/packetbuddy/pb/internal/golden"
	"github.com/packetbuddy/pb/internal/store"
)

func fixHostname(t *testing.T) {
	old := hostname
	hostname = func() (string, error) { return `test-host <script>alert(1)</script>`, nil }
	t.Cleanup(func() { hostname = old })
}

// TestExport checks each format against a golden file and against the API's
// download of the same data: the bytes must be identical.
func TestExport(t *testing.T) {
	fixHostname(t)
	dir := newDataDir(t, false)
	st, err := store.Open(context.Background(), filepath.Join(dir, dbFile), store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	host, _ := hostname()
	srv, err := newAPIForTest(st, host)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, api string
		args      []string
	}{
		{"export.json", "/api/export?format=json", []string{"--format", "json"}},
		{"export.csv", "/api/export?format=csv", []string{"--format", "csv"}},
		{"export.llm.txt", "/api/export?format=llm", []string{"--format", "llm"}},
		{"export.md", "/api/export?format=markdown", []string{"--format", "md"}},
		{"export.html", "/api/export?format=html", []string{"--format", "html"}},
		{"export_range.csv", "/api/export?format=csv&from=2026-03-01&to=2026-03-07", []string{"--format", "csv", "--from", "2026-03-01", "--to", "2026-03-07"}},
		{"export_range.html", "/api/export?format=html&from=2026-03-01&to=2026-03-07", []string{"--format", "html", "--from", "2026-03-01", "--to", "2026-03-07"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runAt(t, nil, append([]string{"export", "--data-dir", dir}, tc.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			golden.Check(t, filepath.Join("export", tc.name), []byte(out))
			req := httptest.NewRequest(http.MethodGet, tc.api, nil)
			req.Host = "127.0.0.1:7373"
			rec := httptest.NewRecorder()
			srv.Handler().ServeHTTP(rec, req)
			if rec.Code != 200 {
				t.Fatalf("api: %d %s", rec.Code, rec.Body)
			}
			if !bytes.Equal(rec.Body.Bytes(), []byte(out)) {
				t.Errorf("pb export %v differs from GET %s", tc.args, tc.api)
			}
		})
	}
}

func newAPIForTest(st *store.Store, host string) (*api.Server, error) {
	return api.New(api.Deps{Store: st, Location: nyc, Settings: api.Settings{RatePerGB: 0.10, Currency: "USD"},
		DeviceID: "0b6c9a0e-1f0e-4d4e-9a39-3c1e2f0a7d11", Hostname: host, OSType: osType(),
		Now: func() time.Time { return fixedNow }})
}

func TestExportToFile(t *testing.T) {
	fixHostname(t)
	dir := newDataDir(t, false)
	out := filepath.Join(t.TempDir(), "r.csv")
	code, stdout, errs := runAt(t, nil, "export", "--data-dir", dir, "--format", "csv", "--output", out)
	if code != 0 || stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %s", code, stdout, errs)
	}
	b, err := os.ReadFile(out)
	if err != nil || !bytes.HasPrefix(b, []byte("date,bytes_sent,bytes_received,total_bytes,peak_speed\n")) {
		t.Fatalf("file: %v %q", err, b)
	}
	for _, bad := range [][]string{{"--format", "xls"}, {"--from", "2026-03-09", "--to", "2026-03-01"}, {"--from", "yesterdayish"}} {
		if code, _, errs := runAt(t, nil, append([]string{"export", "--data-dir", dir}, bad...)...); code != 2 {
			t.Errorf("pb export %v: exit %d, want 2 (%s)", bad, code, errs)
		}
	}
}
