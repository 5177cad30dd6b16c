package cli

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// pb storage cleanup --dry-run never lets a daemon that predates dry_run
// clean up: it is recognised by its /api/storage and refused; and a daemon
// that answers a dry run without echoing dry_run is reported as having
// cleaned up, never as a dry run.
func TestStorageCleanupDryRunOldDaemon(t *testing.T) {
	for _, tc := range []struct {
		name    string
		storage string // GET /api/storage's answer
		posts   int64
		want    string
	}{
		{"older daemon", `{"local":{"db_size_mb":1.5,"fine_rows":10},"retention":{"fine_days":7}}`, 0,
			"pb storage: the running daemon is an older pb that does not know --dry-run (it would really clean up): nothing was removed; update it (pb update) and restart it, or stop it and run pb storage cleanup --dry-run again\n"},
		{"no dry_run in the answer", `{"local":{"db_size_mb":1.5,"max_storage_mb":400},"retention":{"fine_days":7}}`, 1,
			"pb storage: the running daemon ignored --dry-run (an older pb): it removed 5 rows of 1-minute detail and 2 old events; update it (pb update) and restart it before the next dry run\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var posts atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch {
				case r.Method == http.MethodGet && r.URL.Path == "/api/storage":
					w.Write([]byte(tc.storage))
				case r.Method == http.MethodPost && r.URL.Path == "/api/storage/cleanup":
					posts.Add(1)
					w.Write([]byte(`{"status":"ok","deleted_rows":7,"local":{"logs_deleted":5,"events_deleted":2}}`))
				default:
					http.NotFound(w, r)
				}
			}))
			defer srv.Close()
			u, _ := url.Parse(srv.URL)
			dir := newDataDir(t, false)
			code, out, errs := runAt(t, map[string]string{"PB_API_PORT": u.Port()}, "storage", "cleanup", "--dry-run", "--data-dir", dir)
			if code != 1 || out != "" || !strings.HasSuffix(errs, tc.want) || posts.Load() != tc.posts {
				t.Errorf("exit %d, %d cleanups, stdout %q, stderr %q; want exit 1, %d cleanups, %q", code, posts.Load(), out, errs, tc.posts, tc.want)
			}
		})
	}
}
