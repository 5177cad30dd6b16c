package api

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/packetbuddy/pb/internal/golden"
)

// sizeFields are the values that depend on the SQLite version's page
// layout; the golden files hold a placeholder, and the test checks them
// arithmetically instead.
var sizeFields = regexp.MustCompile(`("(?:db_size_mb|db_size_bytes|storage_usage_percent|usage_percent|total_mb)": )[0-9.e+-]+`)

func normalizeSizes(b []byte) []byte { return sizeFields.ReplaceAll(b, []byte(`${1}"<size>"`)) }

func indentJSON(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return bytes.TrimRight(out.Bytes(), "\n")
}

// slowCounts counts the fixture's tables directly.
func slowCounts(t *testing.T, f *fixture) (fine, daily, periods, coarse int64) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+f.store.Path()+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.QueryRow(`SELECT (SELECT count(*) FROM fine), (SELECT count(*) FROM daily), (SELECT count(*) FROM periods),
		(SELECT count(*) FROM coarse)`).Scan(&fine, &daily, &periods, &coarse); err != nil {
		t.Fatal(err)
	}
	return
}

// The 1.x storage fields of /api/health: golden JSON, counts equal to the
// tables', percent and warning from the file size.
func TestHealthStorageGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		sync bool
	}{{"golden/health_storage.json", false}, {"golden/health_storage_sync.json", true}} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, false, func(d *Deps) {
				if tc.sync {
					d.Sync = &fakeSyncer{}
				}
			})
			rec := do(t, f.srv.Handler(), "GET", "/api/health")
			var h struct {
				Storage json.RawMessage `json:"storage"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &h); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, tc.name, append(normalizeSizes(indentJSON(t, h.Storage)), '\n'))

			var st healthStorage
			if err := json.Unmarshal(h.Storage, &st); err != nil {
				t.Fatal(err)
			}
			fine, daily, periods, coarse := slowCounts(t, f)
			if st.UsageLogsCount != fine || st.DailyAggregatesCount != daily || st.MonthlyAggregatesCount != periods {
				t.Errorf("counts %+v, tables fine %d daily %d periods %d", st.storageFields, fine, daily, periods)
			}
			if tc.sync && (st.UnsyncedCount != 3 || st.SyncedCount != coarse-3) {
				t.Errorf("sync counts %d/%d, want %d/3", st.SyncedCount, st.UnsyncedCount, coarse-3)
			}
			want := roundTo(float64(st.DBSizeBytes)/float64(400<<20)*100, 2)
			if st.StorageUsagePercent != want || st.MaxStorageMB != 400 || st.Warning != nil {
				t.Errorf("percent %v (want %v), max %d, warning %v", st.StorageUsagePercent, want, st.MaxStorageMB, st.Warning)
			}
		})
	}
}

// Over the limit: the percent passes 100 and the warning says what to do.
func TestStorageWarning(t *testing.T) {
	f := newFixture(t, false, func(d *Deps) { d.Settings.MaxStorageMB = 2 })
	got, err := f.srv.storageFields(context.Background(), 5<<20+1<<19, nil)
	if err != nil {
		t.Fatal(err)
	}
	const want = "Database size (5.50 MB) exceeds the limit (2 MB); pb storage cleanup removes 1-minute detail past its retention, storage.max_storage_mb sets the limit"
	if got.Warning == nil || *got.Warning != want || got.StorageUsagePercent != 275 || got.MaxStorageMB != 2 {
		t.Errorf("got %+v (warning %v)", got, got.Warning)
	}
	if at, err := f.srv.storageFields(context.Background(), 2<<20, nil); err != nil || at.Warning != nil || at.StorageUsagePercent != 100 {
		t.Errorf("at the limit: %+v %v", at, err)
	}
}

// /api/storage in 1.x's shape (golden), and POST /api/storage/cleanup
// honouring dry_run: a dry run counts exactly what the cleanup then
// deletes, and deletes nothing.
func TestStorageAndCleanupGolden(t *testing.T) {
	f := newFixture(t, false)
	h := f.srv.Handler()
	rec := do(t, h, "GET", "/api/storage")
	if rec.Code != http.StatusOK {
		t.Fatalf("storage: %d %s", rec.Code, rec.Body)
	}
	golden.Check(t, "golden/storage.json", append(normalizeSizes(indentJSON(t, rec.Body.Bytes())), '\n'))

	fineBefore, _, _, _ := slowCounts(t, f)
	origin := []string{"Origin", "http://127.0.0.1:7373"}
	rec = do(t, h, "POST", "/api/storage/cleanup?dry_run=true", origin...)
	if rec.Code != http.StatusOK {
		t.Fatalf("dry run: %d %s", rec.Code, rec.Body)
	}
	golden.Check(t, "golden/cleanup_dry_run.json", append(indentJSON(t, rec.Body.Bytes()), '\n'))
	var dry cleanupResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &dry); err != nil {
		t.Fatal(err)
	}
	if fine, _, _, _ := slowCounts(t, f); fine != fineBefore || dry.Local.LogsDeleted == 0 || dry.DeletedRows != 0 || !dry.DryRun {
		t.Fatalf("dry run: fine rows %d → %d, response %+v", fineBefore, fine, dry)
	}
	// The health count is cached; after the real cleanup it is fresh.
	rec = do(t, h, "POST", "/api/storage/cleanup?dry_run=false", origin...)
	golden.Check(t, "golden/cleanup.json", append(indentJSON(t, rec.Body.Bytes()), '\n'))
	var real cleanupResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &real); err != nil {
		t.Fatal(err)
	}
	fineAfter, _, _, _ := slowCounts(t, f)
	if real.Local.LogsDeleted != dry.Local.LogsDeleted || fineAfter != fineBefore-dry.Local.LogsDeleted || real.DryRun {
		t.Errorf("cleanup deleted %+v after a dry run of %+v; fine rows %d → %d", real.Local, dry.Local, fineBefore, fineAfter)
	}
	var hs struct {
		Storage healthStorage `json:"storage"`
	}
	if err := json.Unmarshal(do(t, h, "GET", "/api/health").Body.Bytes(), &hs); err != nil || hs.Storage.UsageLogsCount != fineAfter {
		t.Errorf("health after the cleanup: usage_logs_count %d, want %d (%v)", hs.Storage.UsageLogsCount, fineAfter, err)
	}
	for _, bad := range []string{"maybe", "2"} {
		rec := do(t, h, "POST", "/api/storage/cleanup?dry_run="+bad, origin...)
		want := `{"error":"Parameter dry_run=\"` + bad + `\" is not true or false."}`
		if rec.Code != http.StatusBadRequest || strings.TrimSpace(rec.Body.String()) != want {
			t.Errorf("dry_run=%s: %d %s", bad, rec.Code, rec.Body)
		}
	}
}
