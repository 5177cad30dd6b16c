package cli

import (
	"context"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/golden"
	"github.com/packetbuddy/pb/internal/pgtest"
	"github.com/packetbuddy/pb/internal/store"
	"github.com/packetbuddy/pb/internal/store/storetest"
	"github.com/packetbuddy/pb/internal/usage"
)

// testSyncURL makes a fresh schema on the test PostgreSQL server
// (PB_TEST_DATABASE_URL or 127.0.0.1:5432/test), dropped at cleanup; no
// server skips the test, except under CI=true.
func testSyncURL(t *testing.T) string {
	url, _ := pgtest.Schema(t)
	return url
}

func syncTestPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

func TestSyncCommands(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"PB_DATA_DIR": dir, "PB_API_PORT": syncTestPort(t), "TZ": "UTC"}

	code, out, errOut := runPB(t, env, "sync", "status")
	if code != 0 || !strings.Contains(out, "sync:           off") {
		t.Fatalf("status with sync off = %d %q %q", code, out, errOut)
	}
	if code, _, errOut := runPB(t, env, "devices"); code != 1 || !strings.Contains(errOut, "sync is off") {
		t.Errorf("devices with sync off = %d %q", code, errOut)
	}

	st, err := store.Open(context.Background(), filepath.Join(dir, dbFile), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if err := st.Flush(context.Background(), usage.Batch{Deltas: []usage.Delta{
		{Iface: "eth0", Bucket: now.Add(-time.Minute), Totals: usage.Totals{Rx: 5000, Tx: 700}},
		{Iface: "eth0", Bucket: now.Add(-48 * time.Hour), Totals: usage.Totals{Rx: 1000, Tx: 300}},
	}}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	env["PB_DATABASE_URL"] = testSyncURL(t)
	code, out, errOut = runPB(t, env, "sync", "now")
	if code != 0 || !strings.Contains(out, "Synced 2 buckets (via cli); 0 pending.") {
		t.Fatalf("sync now = %d %q %q", code, out, errOut)
	}
	code, out, errOut = runPB(t, env, "sync", "status")
	if code != 0 || !strings.Contains(out, "sync:           on") || !strings.Contains(out, "last error:     none") ||
		!strings.Contains(out, "pending:        0 buckets") || !strings.Contains(out, "remote schema:  2 (this pb: 2)") ||
		strings.Contains(out, "last success:   never") {
		t.Errorf("status = %d %q %q", code, out, errOut)
	}
	code, out, errOut = runPB(t, env, "devices")
	if code != 0 || !strings.Contains(out, "all 1 devices") || !strings.Contains(out, "7.00 KB") {
		t.Errorf("devices = %d\n%s%s", code, out, errOut)
	}
	t.Logf("pb devices:\n%s", out)

	// A bad URL: a clear message, no password.
	env["PB_DATABASE_URL"] = "postgres://pb:s3cretpw@db.example.com:99999/pb"
	code, _, errOut = runPB(t, env, "sync", "now")
	if code != 1 || !strings.Contains(errOut, "not a valid PostgreSQL URL") || strings.Contains(errOut, "s3cretpw") {
		t.Errorf("bad url = %d %q", code, errOut)
	}
	code, out, _ = runPB(t, env, "sync", "status")
	if code != 0 || !strings.Contains(out, "not a valid PostgreSQL URL") || strings.Contains(out, "s3cretpw") {
		t.Errorf("status after bad url = %d %q", code, out)
	}
}

// pb sync verify after a first sync of a year of history (two batches),
// after one remote bucket was corrupted, and after pb sync now --all
// repaired it; pb sync now --all twice changes nothing remote.
func TestSyncVerify(t *testing.T) {
	dir := t.TempDir()
	end := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	if err := storetest.Generate(context.Background(), filepath.Join(dir, dbFile), 1, 1, end, 3); err != nil {
		t.Fatal(err)
	}
	url := testSyncURL(t)
	env := map[string]string{"PB_DATA_DIR": dir, "PB_API_PORT": syncTestPort(t), "PB_TIMEZONE": "Europe/Berlin", "PB_DATABASE_URL": url}
	run := func(wantCode int, args ...string) string {
		t.Helper()
		code, out, errOut := runPB(t, env, args...)
		if code != wantCode || errOut != "" {
			t.Fatalf("pb %s = %d, want %d\n%s%s", strings.Join(args, " "), code, wantCode, out, errOut)
		}
		return out
	}
	if out := run(0, "sync", "now"); out != "Synced 35040 buckets (via cli); 0 pending.\n" {
		t.Errorf("first sync: %q", out)
	}
	golden.Check(t, "sync/verify-equal.golden", []byte(run(0, "sync", "verify")))

	tag, err := pgtest.Connect(t, url).Exec(context.Background(), `UPDATE pb_usage SET rx = rx + 1000 WHERE ts = '2025-07-15 12:00:00+00'`)
	if err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("corrupt one bucket: %v %v", tag, err)
	}
	golden.Check(t, "sync/verify-differ.golden", []byte(run(1, "sync", "verify")))

	want := "Queued all 35040 buckets to be sent again.\nSynced 35040 buckets (via cli); 0 pending.\n"
	for range 2 { // idempotent
		if out := run(0, "sync", "now", "--all"); out != want {
			t.Errorf("sync now --all: %q, want %q", out, want)
		}
		golden.Check(t, "sync/verify-equal.golden", []byte(run(0, "sync", "verify")))
	}
	golden.Check(t, "sync/help.golden", []byte(run(0, "sync", "--help")))
	if code, _, errOut := runPB(t, env, "sync", "status", "--all"); code != 2 || !strings.Contains(errOut, "--all goes with pb sync now") {
		t.Errorf("status --all = %d %q", code, errOut)
	}
}
