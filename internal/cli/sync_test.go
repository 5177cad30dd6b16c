package cli

import (
	"context"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/pgtest"
	"github.com/packetbuddy/pb/internal/store"
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
