//go:build linux

package cli

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/logbuf"
	"github.com/packetbuddy/pb/internal/netlab"
	"github.com/packetbuddy/pb/internal/store"
	"github.com/packetbuddy/pb/internal/usage"
)

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// startServe runs `pb serve` in-process until the returned stop is called;
// stop waits for the daemon to exit and checks it exited 0.
func startServe(t *testing.T, dataDir string) (base string, stop func()) {
	t.Helper()
	return startServeEnv(t, dataDir, nil)
}

// startServeEnv is startServe with extra environment variables.
func startServeEnv(t *testing.T, dataDir string, vars map[string]string) (base string, stop func()) {
	t.Helper()
	base, _, stop = startServeLogs(t, dataDir, vars)
	return base, stop
}

// startServeLogs is startServeEnv that also gives the daemon's output.
func startServeLogs(t *testing.T, dataDir string, vars map[string]string) (base string, logs *logbuf.Buffer, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs = &logbuf.Buffer{}
	port := freePort(t) // never the real 7373
	env := Env{Stdout: logs, Stderr: logs, Getenv: func(k string) string {
		if k == "PB_API_PORT" {
			return port
		}
		return vars[k]
	}}
	code := make(chan int, 1)
	go func() { code <- Run(ctx, []string{"serve", "--data-dir", dataDir, "--log-level", "debug"}, env) }()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "pb serve started") {
		select {
		case c := <-code:
			t.Fatalf("pb serve exited with %d:\n%s", c, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("pb serve did not start in 10 s:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return "http://127.0.0.1:" + port, logs, func() {
		t.Helper()
		cancel()
		select {
		case c := <-code:
			if c != 0 {
				t.Fatalf("pb serve exited with %d:\n%s", c, logs.String())
			}
		case <-time.After(15 * time.Second):
			t.Fatalf("pb serve did not stop in 15 s:\n%s", logs.String())
		}
	}
}

// checkAPI asserts the daemon's API answers on its port.
func checkAPI(t *testing.T, base string) {
	t.Helper()
	resp, err := http.Get(base + "/api/health")
	if err != nil {
		t.Fatalf("API of the running daemon: %v", err)
	}
	defer resp.Body.Close()
	var health struct {
		Status string `json:"status"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&health); err != nil || resp.StatusCode != 200 || health.Status != "running" {
		t.Fatalf("GET /api/health: %d %+v %v", resp.StatusCode, health, err)
	}
}

// TestServeRestartKeepsExactTotals stops the daemon in the middle of the
// traffic, sends more while it is down, and restarts it: the stored bytes of
// the veth must still equal the kernel counters' movement exactly.
func TestServeRestartKeepsExactTotals(t *testing.T) {
	lab := netlab.New(t)
	lab.WaitQuiet(t)
	dataDir := t.TempDir()
	cfg := "[monitoring]\npoll_interval = \"100ms\"\nbatch_write_interval = \"500ms\"\n"
	if err := os.WriteFile(filepath.Join(dataDir, "config.toml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	rx0, tx0 := lab.Counters(t)

	base, stop := startServe(t, dataDir)
	checkAPI(t, base)
	lab.Transfer(t, 4<<20, 1<<20)
	time.Sleep(700 * time.Millisecond) // at least one periodic flush
	lab.Transfer(t, 1<<20, 2<<20)
	lab.WaitQuiet(t)
	stop()

	lab.Transfer(t, 3<<20, 3<<20) // while the daemon is down
	lab.WaitQuiet(t)

	_, stop = startServe(t, dataDir)
	lab.Transfer(t, 2<<20, 1<<20)
	lab.WaitQuiet(t)
	stop()
	rx1, tx1 := lab.Counters(t)

	st, err := store.Open(context.Background(), filepath.Join(dataDir, dbFile), store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	lifetimes, err := st.InterfaceLifetimes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got usage.Totals
	for _, it := range lifetimes {
		if it.Name == lab.HostIf {
			got = got.Add(it.Totals)
		}
	}
	want := usage.Totals{Rx: rx1 - rx0, Tx: tx1 - tx0}
	if got != want {
		t.Fatalf("stored %+v for %s across a restart, kernel counters moved %+v; all: %+v", got, lab.HostIf, want, lifetimes)
	}
	events, err := st.Events(context.Background(), time.Now().Add(-time.Hour), time.Now().Add(time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	var restarted bool
	for _, e := range events {
		restarted = restarted || e.Kind == usage.EventRestart
	}
	if !restarted {
		t.Fatalf("no restart event among %+v", events)
	}
}
