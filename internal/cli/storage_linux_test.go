//go:build linux

package cli

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/packetbuddy/pb/internal/golden"
	"github.com/packetbuddy/pb/internal/units"
)

// pb storage prints the 1.x numbers; cleanup --dry-run counts exactly what
// cleanup then removes, and removes nothing. No daemon listens (a free
// port), so both work on the database directly.
func TestStorageCommand(t *testing.T) {
	dir := newDataDir(t, false)
	env := map[string]string{"PB_API_PORT": freePort(t)}
	code, out, errs := runAt(t, env, "storage", "--data-dir", dir, "--color", "never")
	if code != 0 {
		t.Fatalf("pb storage: exit %d: %s", code, errs)
	}
	checkStorageTable(t, dir, env, "si", out)
	stats := func() (fine int64) {
		t.Helper()
		code, out, errs := runAt(t, env, "storage", "--json", "--data-dir", dir)
		if code != 0 {
			t.Fatalf("pb storage --json: %d %s", code, errs)
		}
		var v struct {
			Local struct {
				UsageLogsCount int64 `json:"usage_logs_count"`
				FineRows       int64 `json:"fine_rows"`
			} `json:"local"`
		}
		if err := json.Unmarshal([]byte(out), &v); err != nil || v.Local.UsageLogsCount != v.Local.FineRows {
			t.Fatalf("pb storage --json: %v %s", err, out)
		}
		return v.Local.UsageLogsCount
	}
	before := stats()
	code, out, errs = runAt(t, env, "storage", "cleanup", "--dry-run", "--json", "--data-dir", dir)
	var dry cleanupResult
	if code != 0 || json.Unmarshal([]byte(out), &dry) != nil || dry.DryRun == nil || !*dry.DryRun || dry.Via != "cli" {
		t.Fatalf("cleanup --dry-run: exit %d %s %s", code, out, errs)
	}
	if dry.Local.LogsDeleted == 0 || stats() != before {
		t.Fatalf("dry run: %+v, fine rows %d → %d", dry.Local, before, stats())
	}
	code, out, _ = runAt(t, env, "storage", "cleanup", "--data-dir", dir)
	want := "removed " + strconv.FormatInt(dry.Local.LogsDeleted, 10) + " rows of 1-minute detail older than 7 days and 0 old events; the 15-minute history and lifetime totals are kept\n"
	if code != 0 || out != want {
		t.Fatalf("cleanup: exit %d %q, want %q", code, out, want)
	}
	if after := stats(); after != before-dry.Local.LogsDeleted {
		t.Errorf("fine rows %d → %d, the dry run said %d", before, after, dry.Local.LogsDeleted)
	}
	if code, _, errs := runAt(t, env, "storage", "--dry-run", "--data-dir", dir); code != 2 || !strings.Contains(errs, "--dry-run goes with cleanup") {
		t.Errorf("--dry-run without cleanup: %d %s", code, errs)
	}
}

// pb storage --units iec (or [display] units) prints the sizes in binary
// units; both tables are golden.
func TestStorageUnits(t *testing.T) {
	dir := newDataDir(t, false)
	env := map[string]string{"PB_API_PORT": freePort(t)}
	code, out, errs := runAt(t, env, "storage", "--units", "iec", "--data-dir", dir, "--color", "never")
	if code != 0 || errs != "" {
		t.Fatalf("pb storage --units iec: exit %d: %s", code, errs)
	}
	checkStorageTable(t, dir, env, "iec", out)
	env["PB_DISPLAY_UNITS"] = "iec"
	if _, viaConfig, _ := runAt(t, env, "storage", "--data-dir", dir, "--color", "never"); viaConfig != out {
		t.Errorf("PB_DISPLAY_UNITS=iec:\n%s\n--units iec:\n%s", viaConfig, out)
	}
	code, out, errs = runAt(t, env, "storage", "--units", "iex", "--data-dir", dir)
	if want := "pb storage: --units \"iex\": use si or iec (did you mean iec?)\nsee 'pb storage --help'\n"; code != 2 || out != "" || errs != want {
		t.Errorf("bad --units: exit %d, stdout %q, stderr %q, want %q", code, out, errs, want)
	}
}

// checkStorageTable compares pb storage's table with the golden file
// storage_<base>.txt. The data directory and the database's size (which
// depends on SQLite's page layout) are the run's own: they are taken from
// pb storage --json and stand as DATA, SIZE and PERCENT in the file.
func checkStorageTable(t *testing.T, dir string, env map[string]string, base, out string) {
	t.Helper()
	code, js, errs := runAt(t, env, "storage", "--json", "--data-dir", dir)
	var v struct {
		Local struct {
			Size    uint64  `json:"db_size_bytes"`
			Percent float64 `json:"storage_usage_percent"`
		} `json:"local"`
	}
	if code != 0 || json.Unmarshal([]byte(js), &v) != nil || v.Local.Size == 0 {
		t.Fatalf("pb storage --json: exit %d %s %s", code, js, errs)
	}
	b := units.SI
	if base == "iec" {
		b = units.IEC
	}
	size, pct := units.FormatBytesBase(v.Local.Size, b)+" of", fmt.Sprintf("(%.2f %%)", v.Local.Percent)
	for _, part := range []string{dir, size, pct} {
		if strings.Count(out, part) != 1 {
			t.Fatalf("pb storage shows %q %d times, want once:\n%s", part, strings.Count(out, part), out)
		}
	}
	out = strings.NewReplacer(dir, "DATA", size, "SIZE of", pct, "(PERCENT)").Replace(out)
	golden.Check(t, "storage/storage_"+base+".txt", []byte(out))
}

// With the daemon running, cleanup goes through its API (it is the
// database's only writer), dry run first.
func TestStorageCleanupViaDaemon(t *testing.T) {
	dir := newDataDir(t, false)
	base, stop := startServe(t, dir)
	defer stop()
	env := map[string]string{"PB_API_PORT": strings.TrimPrefix(base, "http://127.0.0.1:")}
	for _, args := range [][]string{{"--dry-run"}, {}} {
		code, out, errs := runAt(t, env, append([]string{"storage", "cleanup", "--json", "--data-dir", dir}, args...)...)
		var res cleanupResult
		if code != 0 || json.Unmarshal([]byte(out), &res) != nil || res.Via != "daemon" || res.DryRun == nil || *res.DryRun != (len(args) == 1) {
			t.Fatalf("pb storage cleanup %v: exit %d %s %s", args, code, out, errs)
		}
	}
}
