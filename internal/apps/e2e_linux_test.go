package apps_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/apps"
	"github.com/packetbuddy/pb/internal/counter"
	"github.com/packetbuddy/pb/internal/monitor"
	"github.com/packetbuddy/pb/internal/netlab"
	"github.com/packetbuddy/pb/internal/store"
	"github.com/packetbuddy/pb/internal/usage"
)

// TestEachProgramBookedAsOnTheWire runs the daemon's monitor with per-app
// counting on a veth into a test namespace while three programs, one after
// the other, send known amounts over TCP and UDP to a peer there. Each
// program's booked traffic must be within 0.5 % of what the interface's
// counters moved while it ran, and the apps of the interface, unattributed
// included, must add up to the interface's stored total exactly. A
// connection opened before counting began is booked as unattributed.
func TestEachProgramBookedAsOnTheWire(t *testing.T) {
	lab := netlab.New(t)
	tcp, udp := lab.SinkAddr(t), lab.UDPEcho(t)
	// A connection older than the counting programs: its socket is not
	// tagged, so its traffic is the interface's unattributed part.
	old, err := net.Dial("tcp4", tcp)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	src := apps.OpenForTest(t)
	split := apps.NewSplitter(src, apps.NewResolver(os.DirFS("/proc")), nil)
	progs := apps.BuildSenders(t, "pbt-alpha", "pbt-beta", "pbt-gamma")

	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "pb.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	reader, err := counter.NewReader()
	if err != nil {
		t.Fatal(err)
	}
	boot, err := monitor.BootID()
	if err != nil {
		t.Fatal(err)
	}
	m := monitor.New(reader, st, monitor.SystemClock(), monitor.Config{
		PollInterval: 50 * time.Millisecond, FlushInterval: 300 * time.Millisecond, BootID: boot, Apps: split,
	}, nil)
	start := time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- m.Run(ctx) }()
	stop := func() {
		cancel()
		select {
		case err := <-errc:
			if err != nil {
				t.Fatalf("monitor: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("monitor did not stop")
		}
	}
	defer func() {
		if ctx.Err() == nil {
			stop()
		}
	}()

	loads := []struct{ up, down, datagrams, size int }{
		{3 << 20, 1 << 20, 200, 1200},
		{256 << 10, 4 << 20, 50, 100},
		{0, 0, 2000, 512}, // UDP only
	}
	wire := map[string]usage.Totals{}
	for i, prog := range progs {
		l := loads[i]
		lab.WaitQuiet(t)
		rx0, tx0 := lab.Counters(t)
		cmd := exec.Command(prog, tcp, fmt.Sprint(l.up), fmt.Sprint(l.down), udp, fmt.Sprint(l.datagrams), fmt.Sprint(l.size))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", prog, err, out)
		}
		lab.WaitQuiet(t)
		rx1, tx1 := lab.Counters(t)
		wire[prog] = usage.Totals{Rx: rx1 - rx0, Tx: tx1 - tx0}
	}
	lab.WaitQuiet(t)
	rx0, tx0 := lab.Counters(t)
	sendOld(t, old, 512<<10, 128<<10)
	lab.WaitQuiet(t)
	rx1, tx1 := lab.Counters(t)
	wire[""] = usage.Totals{Rx: rx1 - rx0, Tx: tx1 - tx0}
	time.Sleep(200 * time.Millisecond) // a few more polls
	stop()

	from, to := start.Add(-time.Hour), time.Now().Add(time.Hour)
	only := usage.Filter{Ifaces: []string{lab.HostIf}}
	got, err := st.AppTotals(context.Background(), from, to, only)
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]usage.Totals{}
	var sum usage.Totals
	for _, a := range got {
		t.Logf("%-40s %-12s rx %9d tx %9d", a.App.Path, a.App.Name, a.Rx, a.Tx)
		byPath[a.App.Path] = byPath[a.App.Path].Add(a.Totals)
		sum = sum.Add(a.Totals)
		if (a.App != usage.Unattributed) != (a.App.Path != "") {
			t.Errorf("app %+v has no executable path", a.App)
		}
	}
	for _, prog := range append(progs, "") {
		w, b := wire[prog], byPath[prog]
		name := filepath.Base(prog)
		if prog == "" {
			name = "unattributed (the older connection)"
		}
		t.Logf("%s: booked rx %d tx %d; on the wire rx %d tx %d", name, b.Rx, b.Tx, w.Rx, w.Tx)
		for _, d := range []struct {
			dir        string
			booked, on uint64
		}{{"rx", b.Rx, w.Rx}, {"tx", b.Tx, w.Tx}} {
			off := float64(d.booked) - float64(d.on)
			if off < 0 {
				off = -off
			}
			if off > 0.005*float64(d.on) {
				t.Errorf("%s %s: booked %d bytes, the interface moved %d while it ran: off by more than 0.5 %%", name, d.dir, d.booked, d.on)
			}
		}
	}
	total, err := st.Totals(context.Background(), from, to, only)
	if err != nil {
		t.Fatal(err)
	}
	if sum != total || total == (usage.Totals{}) {
		t.Errorf("apps of %s add up to %+v; the interface's stored total is %+v", lab.HostIf, sum, total)
	}
}

// sendOld speaks the netlab sink's protocol on c: up bytes out, down back.
func sendOld(t *testing.T, c net.Conn, up, down int) {
	t.Helper()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	var hdr [8]byte
	binary.BigEndian.PutUint64(hdr[:], uint64(down))
	if _, err := c.Write(append(hdr[:], make([]byte, up)...)); err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).CloseWrite()
	if n, err := io.Copy(io.Discard, c); err != nil || n != int64(down) {
		t.Fatalf("old connection received %d of %d bytes: %v", n, down, err)
	}
}
