package cli

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/packetbuddy/pb/internal/api"
	"github.com/packetbuddy/pb/internal/monitor"
	"github.com/packetbuddy/pb/internal/store"
	"github.com/packetbuddy/pb/internal/usage"
)

// fakeMonitor publishes a new reading every tick, with speeds that grow.
type fakeMonitor struct {
	mu   sync.Mutex
	live monitor.Live
	subs map[chan monitor.Live]struct{}
}

var _ api.Monitor = (*fakeMonitor)(nil)

func (f *fakeMonitor) Live() monitor.Live {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.live
}
func (f *fakeMonitor) Subscribe() (<-chan monitor.Live, func()) {
	ch := make(chan monitor.Live, 1)
	f.mu.Lock()
	if f.subs == nil {
		f.subs = map[chan monitor.Live]struct{}{}
	}
	f.subs[ch] = struct{}{}
	f.mu.Unlock()
	return ch, func() { f.mu.Lock(); delete(f.subs, ch); f.mu.Unlock() }
}
func (f *fakeMonitor) Status() monitor.Status {
	return monitor.Status{Started: time.Now().Add(-time.Hour), LastPoll: time.Now(), LastFlush: time.Now().Add(-5 * time.Second)}
}
func (f *fakeMonitor) Pending(from, to time.Time, flt usage.Filter) usage.Totals {
	return usage.Totals{}
}
func (f *fakeMonitor) PendingPeak(from, to time.Time) uint64        { return 0 }
func (f *fakeMonitor) Unwritten(from, to time.Time) usage.Unwritten { return usage.Unwritten{} }

func (f *fakeMonitor) publish(i int) {
	rx := uint64(1_000_000 * (i + 1))
	l := monitor.Live{
		Time:  time.Now(),
		Total: monitor.Rate{RxPerSec: rx, TxPerSec: rx / 10},
		Interfaces: []monitor.IfaceRate{
			{Name: "eth0", Kind: "ethernet", Counted: true, Rate: monitor.Rate{RxPerSec: rx, TxPerSec: rx / 10}},
			{Name: "docker0", Kind: "virtual", Counted: false, Rate: monitor.Rate{RxPerSec: 500, TxPerSec: 700}},
		},
		PeakToday: rx + rx/10,
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.live = l
	for ch := range f.subs {
		select {
		case ch <- l:
		default:
		}
	}
}

// startDaemon serves the API with a fake monitor on a real store at a free
// port and writes a config that points the CLI at it.
func startDaemon(t *testing.T) (dir string, mon *fakeMonitor) {
	t.Helper()
	dir = newDataDir(t, false)
	st, err := store.Open(context.Background(), filepath.Join(dir, dbFile), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	mon = &fakeMonitor{}
	mon.publish(0)
	srv, err := api.New(api.Deps{Store: st, Monitor: mon, Location: nyc, Version: "2.0.0-test", DeviceID: "dev-1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Open("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Close(ctx)
	})
	_, port, _ := net.SplitHostPort(srv.Addr())
	cfg := fmt.Sprintf("timezone = \"America/New_York\"\n\n[api]\nhost = \"127.0.0.1\"\nport = %s\n", port)
	if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, mon
}

// openPTY opens a pseudo-terminal pair of 100x30.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.IoctlSetWinsize(int(s.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 30, Col: 100}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(); s.Close() })
	return m, s
}

// TestLiveInTerminal runs pb live on a pseudo-terminal against a running
// API: the view shows the speeds as they change and q ends it.
func TestLiveInTerminal(t *testing.T) {
	dir, mon := startDaemon(t)
	master, slave := openPTY(t)
	var mu sync.Mutex
	var screen bytes.Buffer
	go func() {
		b := make([]byte, 4096)
		for {
			n, err := master.Read(b)
			mu.Lock()
			screen.Write(b[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	done := make(chan int, 1)
	var stderr bytes.Buffer
	go func() {
		done <- Run(context.Background(), []string{"live", "--data-dir", dir}, Env{Stdin: slave, Stdout: slave, Stderr: &stderr, Getenv: func(string) string { return "" }})
	}()
	seen := func() string { mu.Lock(); defer mu.Unlock(); return screen.String() }
	waitFor := func(what string) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for !strings.Contains(seen(), what) {
			if time.Now().After(deadline) {
				t.Fatalf("%q never appeared; screen:\n%q\nstderr: %s", what, seen(), stderr.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitFor("1.00 MB/s")
	for i := 1; i < 5; i++ {
		mon.publish(i)
		waitFor(fmt.Sprintf("%d.00 MB/s", i+1))
	}
	out := seen()
	for _, want := range []string{"PacketBuddy live", "eth0", "docker0", "q to quit", "500 B/s"} {
		if !strings.Contains(out, want) {
			t.Errorf("screen lacks %q", want)
		}
	}
	// The sparkline of eth0 climbs.
	if !regexp.MustCompile(`eth0 .*[▁▂▃▄][▁▂▃▄▅▆▇]*█`).MatchString(out) {
		t.Errorf("no rising sparkline on eth0:\n%s", out)
	}
	if _, err := master.Write([]byte("q")); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("pb live exited %d: %s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("pb live did not quit on q")
	}
	t.Logf("last frame:\n%s", lastFrame(seen()))
}

func lastFrame(s string) string {
	if i := strings.LastIndex(s, "\x1b[H"); i >= 0 {
		s = s[i:]
	}
	return regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`).ReplaceAllString(s, "")
}

// TestLivePipeAndStatus: on a pipe pb live prints lines; pb status finds
// the daemon; with nothing listening both say how to start it.
func TestLivePipeAndStatus(t *testing.T) {
	dir, mon := startDaemon(t)
	go func() {
		for i := 1; i < 50; i++ {
			time.Sleep(50 * time.Millisecond)
			mon.publish(i)
		}
	}()
	code, out, errs := runAt(t, nil, "live", "--count", "3", "--data-dir", dir)
	if code != 0 || strings.Count(out, "\n") != 3 || !strings.Contains(out, "eth0 ↓") || strings.Contains(out, "\x1b[") {
		t.Fatalf("live on a pipe: exit %d, %q, %s", code, out, errs)
	}
	code, out, errs = runAt(t, nil, "status", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "running at http://127.0.0.1:") || !strings.Contains(out, "Last flush") {
		t.Fatalf("status: exit %d\n%s\n%s", code, out, errs)
	}
	code, out, _ = runAt(t, nil, "status", "--json", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, `"status": "running"`) {
		t.Fatalf("status --json:\n%s", out)
	}

	stopped := newDataDir(t, false)
	os.WriteFile(filepath.Join(stopped, "config.toml"), []byte("[api]\nport = 1\n"), 0o600)
	code, out, _ = runAt(t, nil, "status", "--data-dir", stopped)
	if code != 0 || !strings.Contains(out, "not running") {
		t.Fatalf("status, daemon stopped: %d\n%s", code, out)
	}
	code, _, errs = runAt(t, nil, "live", "--data-dir", stopped)
	if code != 1 || !strings.Contains(errs, `the PacketBuddy daemon is not running (nothing answers at 127.0.0.1:1): start it with "pb serve"`) {
		t.Fatalf("live, daemon stopped: %d %q", code, errs)
	}
	// The import refuses while the daemon runs.
	code, _, errs = runAt(t, nil, "import", "--from", "packetbuddy", oldPacketBuddy(t), "--data-dir", dir)
	if code != 1 || !strings.Contains(errs, "the PacketBuddy daemon is running") {
		t.Fatalf("import with the daemon running: %d %q", code, errs)
	}
}
