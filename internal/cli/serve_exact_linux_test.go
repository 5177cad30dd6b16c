//go:build linux

package cli

import (
	"bufio"
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

	"github.com/packetbuddy/pb/internal/logbuf"
	"github.com/packetbuddy/pb/internal/netlab"
	"github.com/packetbuddy/pb/internal/store"
	"github.com/packetbuddy/pb/internal/store/storetest"
	"github.com/packetbuddy/pb/internal/usage"
)

// The four ways a real machine broke exact counting, each on a netns test
// host with the real pb serve.

// quietLab is a silent test host and a data directory whose daemon polls
// and writes every second.
func quietLab(t *testing.T) (*netlab.Lab, string) {
	t.Helper()
	lab := netlab.New(t)
	lab.WaitQuiet(t)
	dataDir := t.TempDir()
	pollConfig(t, dataDir, "1s")
	return lab, dataDir
}

// pollConfig sets the poll interval; writes are at every poll.
func pollConfig(t *testing.T, dataDir, poll string) {
	t.Helper()
	cfg := "[monitoring]\npoll_interval = \"" + poll + "\"\nbatch_write_interval = \"" + poll + "\"\n"
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
	var out logbuf.Buffer
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

// polls follows the daemon's polls through /api/live/stream, which sends
// one event per poll.
type polls struct{ ch chan struct{} }

func followPolls(t *testing.T, base string) *polls {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/live/stream", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /api/live/stream: %v %v", resp, err)
	}
	p := &polls{ch: make(chan struct{}, 100)}
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "data:") {
				p.ch <- struct{}{}
			}
		}
	}()
	return p
}

// next waits for the next poll from now on.
func (p *polls) next(t *testing.T) {
	t.Helper()
	for len(p.ch) > 0 {
		<-p.ch
	}
	select {
	case <-p.ch:
	case <-time.After(10 * time.Second):
		t.Fatal("no poll in 10 s")
	}
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
// then sent on the new one and polled is stored once under the new MAC,
// also after the details refresh that sees the new MAC.
func TestServeRecreatedWithinAPollCountedOnce(t *testing.T) {
	lab := netlab.New(t)
	lab.WaitQuiet(t)
	dataDir := t.TempDir()
	const poll = 2 * time.Second // longer than a re-creation takes
	pollConfig(t, dataDir, poll.String())
	const refresh = 16 * time.Second
	old := infoRefresh
	infoRefresh = refresh
	t.Cleanup(func() { infoRefresh = old })
	oldMAC := strings.TrimSpace(readSys(t, lab.HostIf, "address"))
	rx0, tx0 := lab.Counters(t)

	started := time.Now()
	base, stop := startServe(t, dataDir)
	polls := followPolls(t, base)
	lab.Transfer(t, 2<<20, 1<<20)
	lab.WaitQuiet(t)
	polls.next(t)
	rx1, tx1 := lab.Counters(t)
	// Right after a poll, so that no poll sees the interface missing.
	polls.next(t)
	start := time.Now()
	newMAC := lab.Recreate(t, randomMAC(t))
	if took := time.Since(start); took > poll*3/4 {
		t.Fatalf("re-creating the pair took %s, too close to the %s poll to be within one", took, poll)
	}
	polls.next(t) // the first poll of the new pair, its counters still zero
	lab.Transfer(t, 30<<20, 3<<20)
	polls.next(t) // a poll counts the 30 MB before the details refresh...
	if time.Since(started) > refresh-poll {
		t.Fatalf("the traffic was polled %s after the start, too close to the %s details refresh", time.Since(started), refresh)
	}
	time.Sleep(time.Until(started.Add(refresh + 2*poll))) // ...and then the refresh sees the new MAC
	lab.WaitQuiet(t)
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
	lab, dataDir := quietLab(t)
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
	lab, dataDir := quietLab(t)
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

// TestServeRefusesDamagedDatabase: a damaged page (of the daily rollup,
// which nothing reads at start) is found at start; pb
// serve exits 1 with one line saying what to do and leaves the file as it
// was; pb today says the database is damaged.
func TestServeRefusesDamagedDatabase(t *testing.T) {
	lab, dataDir := quietLab(t)
	_, stop := startServe(t, dataDir)
	lab.Transfer(t, 1<<20, 1<<20)
	pollAfterQuiet(t, lab)
	stop()
	dbPath := filepath.Join(dataDir, dbFile)
	if _, err := storetest.Damage(dbPath, "daily"); err != nil {
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
