//go:build linux

package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/netlab"
	"github.com/packetbuddy/pb/internal/store"
	"github.com/packetbuddy/pb/internal/store/storetest"
	"github.com/packetbuddy/pb/internal/usage"
)

// The four ways a real machine broke exact counting, each on a netns test
// host with the real pb serve.

// fastConfig polls every second and writes every second.
func fastConfig(t *testing.T, dataDir string) {
	t.Helper()
	cfg := "[monitoring]\npoll_interval = \"1s\"\nbatch_write_interval = \"1s\"\n"
	if err := os.WriteFile(filepath.Join(dataDir, "config.toml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
}

// storedByMAC returns the stored lifetime of each (MAC) row named name.
func storedByMAC(t *testing.T, dataDir, name string) map[string]usage.Totals {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(dataDir, dbFile), store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	lifetimes, err := st.InterfaceLifetimes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]usage.Totals{}
	for _, it := range lifetimes {
		if it.Name == name {
			out[it.MAC] = out[it.MAC].Add(it.Totals)
		}
	}
	return out
}

func sum(m map[string]usage.Totals) usage.Totals {
	var t usage.Totals
	for _, v := range m {
		t = t.Add(v)
	}
	return t
}

// pollAfterQuiet waits for the traffic to stop and then for a poll and a
// write after it.
func pollAfterQuiet(t *testing.T, lab *netlab.Lab) {
	t.Helper()
	lab.WaitQuiet(t)
	time.Sleep(2200 * time.Millisecond)
}

// runCLI runs one pb command in this process (bounded by 20 s) and returns
// its exit code and output.
func runCLI(t *testing.T, port string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out syncBuffer
	code := Run(ctx, args, Env{Stdout: &out, Stderr: &out, Getenv: func(k string) string {
		if k == "PB_API_PORT" {
			return port
		}
		return ""
	}})
	if ctx.Err() != nil {
		t.Fatalf("pb %s still running after 20 s (exit %d):\n%s", strings.Join(args, " "), code, out.String())
	}
	return code, out.String()
}

func randomMAC(t *testing.T) string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	b[0] = b[0]&^1 | 2 // unicast, locally administered
	return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5])
}

// TestServeRecreatedWithinAPollCountedOnce: the veth is deleted and created
// again with another MAC between two polls (a USB tether re-plug); 30 MB
// then sent on the new one is stored once under the new MAC, also after
// the details refresh that sees the new MAC.
func TestServeRecreatedWithinAPollCountedOnce(t *testing.T) {
	lab := netlab.New(t)
	lab.WaitQuiet(t)
	dataDir := t.TempDir()
	fastConfig(t, dataDir)
	old := infoRefresh
	infoRefresh = 3 * time.Second
	t.Cleanup(func() { infoRefresh = old })
	oldMAC := strings.TrimSpace(readSys(t, lab.HostIf, "address"))
	rx0, tx0 := lab.Counters(t)

	_, stop := startServe(t, dataDir)
	lab.Transfer(t, 2<<20, 1<<20)
	pollAfterQuiet(t, lab)
	rx1, tx1 := lab.Counters(t)
	newMAC := lab.Recreate(t, randomMAC(t))
	lab.Transfer(t, 30<<20, 3<<20)
	lab.WaitQuiet(t)
	time.Sleep(5 * time.Second) // past the 3 s details refresh, and a write
	stop()
	rx2, tx2 := lab.Counters(t) // the new pair's counters since it was created

	got := storedByMAC(t, dataDir, lab.HostIf)
	want := map[string]usage.Totals{oldMAC: {Rx: rx1 - rx0, Tx: tx1 - tx0}, newMAC: {Rx: rx2, Tx: tx2}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("stored %v for %s re-created within a poll, want %v (before: %s, after: %s)", got, lab.HostIf, want, oldMAC, newMAC)
	}
}

// TestServeRestartWithSnapshotInTheFuture: the daemon stops with the wall
// clock two days ahead (its last snapshot is "in the future" after the
// clock is corrected), and while it is stopped the veth is re-created with
// the same MAC, so its counters are lower than the saved ones. The restart
// counts the new counters once, every write succeeds, today's total stays
// sane, and the stored bytes equal the kernel's.
func TestServeRestartWithSnapshotInTheFuture(t *testing.T) {
	lab := netlab.New(t)
	lab.WaitQuiet(t)
	dataDir := t.TempDir()
	fastConfig(t, dataDir)
	rx0, tx0 := lab.Counters(t)

	_, stop := startServe(t, dataDir)
	lab.Transfer(t, 4<<20, 4<<20)
	pollAfterQuiet(t, lab)
	stop()
	rx1, tx1 := lab.Counters(t)

	st, err := store.Open(context.Background(), filepath.Join(dataDir, dbFile), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	snap, ok, err := st.Snapshot(context.Background())
	if err != nil || !ok {
		t.Fatalf("saved snapshot: %v %v", ok, err)
	}
	snap.Time = snap.Time.Add(48 * time.Hour)
	if err := st.Flush(context.Background(), usage.Batch{Snapshot: snap}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	lab.Recreate(t, "")
	lab.Transfer(t, 1<<20, 512<<10) // while stopped: lower counters than before

	base, logs, stop := startServeLogs(t, dataDir, nil)
	lab.Transfer(t, 1<<20, 1<<20)
	pollAfterQuiet(t, lab)
	resp, err := http.Get(base + "/api/today")
	if err != nil {
		t.Fatal(err)
	}
	var today struct {
		Usage struct {
			TotalBytes uint64 `json:"total_bytes"`
		} `json:"usage"`
	}
	err = json.NewDecoder(resp.Body).Decode(&today)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || today.Usage.TotalBytes > 1<<40 {
		t.Errorf("/api/today: %d, total %d bytes, %v", resp.StatusCode, today.Usage.TotalBytes, err)
	}
	stop()
	rx2, tx2 := lab.Counters(t)

	got := sum(storedByMAC(t, dataDir, lab.HostIf))
	want := usage.Totals{Rx: rx1 - rx0 + rx2, Tx: tx1 - tx0 + tx2}
	if got != want {
		t.Errorf("stored %+v for %s, kernel counters moved %+v", got, lab.HostIf, want)
	}
	if strings.Contains(logs.String(), "flush failed") {
		t.Errorf("a write failed:\n%s", logs.String())
	}
}

// TestServeSecondDaemonRefused: a second pb serve on the same data
// directory exits 1 with one line naming the running one; pb today reads
// beside the running daemon; the bytes are stored once.
func TestServeSecondDaemonRefused(t *testing.T) {
	lab := netlab.New(t)
	lab.WaitQuiet(t)
	dataDir := t.TempDir()
	fastConfig(t, dataDir)
	rx0, tx0 := lab.Counters(t)

	base, stop := startServe(t, dataDir)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	code, out := runCLI(t, freePort(t), "serve", "--data-dir", dataDir)
	pid := os.Getpid()
	want := fmt.Sprintf("pb serve: another pb serve (pid %d, port %s) is already counting into %s; stop it first (pb service stop, or kill %d), or give this one another --data-dir\n",
		pid, u.Port(), dataDir, pid)
	if code != exitError || out != want {
		t.Errorf("second pb serve: exit %d\n%s\nwant exit 1\n%s", code, out, want)
	}
	lab.Transfer(t, 3<<20, 1<<20)
	pollAfterQuiet(t, lab)
	if code, out := runCLI(t, u.Port(), "today", "--data-dir", dataDir, "--json"); code != exitOK || !strings.Contains(out, `"total_bytes"`) {
		t.Errorf("pb today beside the daemon: exit %d\n%s", code, out)
	}
	stop()
	rx1, tx1 := lab.Counters(t)
	if got, want := sum(storedByMAC(t, dataDir, lab.HostIf)), (usage.Totals{Rx: rx1 - rx0, Tx: tx1 - tx0}); got != want {
		t.Errorf("stored %+v, kernel counters moved %+v", got, want)
	}
}

// TestServeRefusesDamagedDatabase: a damaged page is found at start; pb
// serve exits 1 with one line saying what to do and leaves the file as it
// was; pb today says the database is damaged.
func TestServeRefusesDamagedDatabase(t *testing.T) {
	lab := netlab.New(t)
	lab.WaitQuiet(t)
	dataDir := t.TempDir()
	fastConfig(t, dataDir)
	_, stop := startServe(t, dataDir)
	lab.Transfer(t, 1<<20, 1<<20)
	pollAfterQuiet(t, lab)
	stop()
	dbPath := filepath.Join(dataDir, dbFile)
	if _, err := storetest.Damage(dbPath, "interfaces"); err != nil {
		t.Fatal(err)
	}
	before := fileSums(t, dataDir)

	code, out := runCLI(t, freePort(t), "serve", "--data-dir", dataDir)
	wantStart := "pb serve: the database " + dbPath + " is damaged, so pb will not write to it: stop pb serve, move the file aside (mv " + dbPath + " " + dbPath + ".damaged)"
	if code != exitError || !strings.HasPrefix(out, wantStart) || !strings.Contains(out, ".recover | sqlite3 "+dbPath+")") || strings.Count(out, "\n") != 1 {
		t.Errorf("pb serve on a damaged database: exit %d\n%s\nwant exit 1 and one line starting\n%s", code, out, wantStart)
	}
	if after := fileSums(t, dataDir); !bytes.Equal(after, before) {
		t.Errorf("the damaged database was written")
	}
	code, out = runCLI(t, freePort(t), "today", "--data-dir", dataDir)
	if code != exitError || !strings.Contains(strings.ToLower(out), "the database is damaged") || strings.Contains(out, "Internal error") {
		t.Errorf("pb today on a damaged database: exit %d\n%s", code, out)
	}
}

// fileSums hashes the database and its WAL, if any.
func fileSums(t *testing.T, dataDir string) []byte {
	t.Helper()
	h := sha256.New()
	for _, name := range []string{dbFile, dbFile + "-wal"} {
		b, err := os.ReadFile(filepath.Join(dataDir, name))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		h.Write(b)
	}
	return h.Sum(nil)
}

func readSys(t *testing.T, iface, attr string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("/sys/class/net", iface, attr))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
