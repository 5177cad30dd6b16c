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
	tcp := lab.SinkAddr(t)
	// A connection older than the counting programs: its socket is not
	// tagged, so its traffic is the interface's unattributed part.
	old, err := net.Dial("tcp4", tcp)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	src := apps.OpenForTest(t)
	progs := apps.BuildSenders(t, "pbt-alpha", "pbt-beta", "pbt-gamma")
	loads := []load{
		{3 << 20, 1 << 20, 200, 1200},
		{256 << 10, 4 << 20, 50, 100},
		{0, 0, 2000, 512}, // UDP only
	}
	r := runOnTheWire(t, lab, src, progs, loads, 0, func() { sendOld(t, old, 512<<10, 128<<10) })
	for _, prog := range append(progs, "") {
		name := filepath.Base(prog)
		if prog == "" {
			name = "unattributed (the older connection)"
		}
		within(t, name, r.booked[prog], r.wire[prog], 0.005)
	}
	r.addsUp(t)
}

// TestFallbackBooksTCPAsOnTheWire is TestEachProgramBookedAsOnTheWire for
// the TCP-only fallback (socket diagnostics, the eBPF path not used): two
// programs' TCP traffic is booked to each within 0.5 % of what the
// interface moved for it; a third program's UDP traffic is unattributed;
// the connection older than the daemon is booked to its owner, the test
// itself, from the daemon's start on; and the apps add up to the interface
// exactly.
//
// The lab's pair segments every packet itself (no GSO/TSO), as a physical
// link's counters do: tcp_info counts segments, and the fallback adds
// their headers to the payload (see diagSource).
func TestFallbackBooksTCPAsOnTheWire(t *testing.T) {
	lab := netlab.New(t)
	lab.NoOffloads(t)
	// A segment that arrives twice is on the wire twice but in tcp_info's
	// bytes received once (see diagSource). The pair loses nothing, but
	// on a busy machine a stall of a few milliseconds makes the peer's
	// tail-loss probe resend a segment that was not lost; with probes off
	// only the retransmission timer (at least 200 ms) could.
	lab.PeerSysctl(t, "net.ipv4.tcp_early_retrans", "0")
	tcp := lab.SinkAddr(t)
	old, err := net.Dial("tcp4", tcp)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	startOld(t, old, 1<<20, 64<<10) // before the daemon: not booked
	src := apps.OpenSockDiagForTest(t)
	// The daemon spaces its walks of /proc (0.5 % of a core at most:
	// every 2-3 s here), so a connection shorter than that may stay
	// unnamed; this test is about what is booked once it is named.
	apps.WalkAlways(src)
	progs := apps.BuildSenders(t, "pbt-delta", "pbt-epsilon", "pbt-zeta")
	loads := []load{
		{3 << 20, 1 << 20, 0, 0},
		{256 << 10, 4 << 20, 0, 0},
		{0, 0, 2000, 512}, // UDP only
	}
	// Each program holds its connection for a few polls, so that a dump
	// sees it while a process holds it.
	r := runOnTheWire(t, lab, src, progs, loads, 300, func() {
		finishOld(t, old, 512<<10, 1<<20)
		// A socket whose connection has ended leaves the kernel's
		// tables while its descriptor is open: it is counted when it
		// is closed, from the destroy notification.
		old.Close()
	})
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	within(t, "pbt-delta", r.booked[progs[0]], r.wire[progs[0]], 0.005)
	within(t, "pbt-epsilon", r.booked[progs[1]], r.wire[progs[1]], 0.005)
	if b := r.booked[progs[2]]; b != (usage.Totals{}) {
		t.Errorf("pbt-zeta sent only UDP but was booked %+v", b)
	}
	within(t, "the test's older connection", r.booked[self], r.wire[""], 0.005)
	within(t, "unattributed (pbt-zeta's UDP)", r.booked[""], r.wire[progs[2]], 0.005)
	r.addsUp(t)
}

type load struct{ up, down, datagrams, size int }

// wireRun is what one run of the programs moved and what was booked.
type wireRun struct {
	booked map[string]usage.Totals // by executable path; "" unattributed
	wire   map[string]usage.Totals // by program; "" the older connection
	sum    usage.Totals            // all apps of the interface
	total  usage.Totals            // the interface's stored total
	iface  string
}

// runOnTheWire runs the daemon's monitor with src on lab's veth while each
// of progs, one after the other, moves its load (holding its connection
// hold ms first), then runs old (traffic on a connection older than the
// daemon); it measures
// each on the interface's counters and reads back what was booked.
func runOnTheWire(t *testing.T, lab *netlab.Lab, src apps.Source, progs []string, loads []load, hold int, old func()) wireRun {
	t.Helper()
	tcp, udp := lab.SinkAddr(t), lab.UDPEcho(t)
	split := apps.NewSplitter(src, apps.NewResolver(os.DirFS("/proc")), nil)
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

	r := wireRun{booked: map[string]usage.Totals{}, wire: map[string]usage.Totals{}, iface: lab.HostIf}
	measure := func(fn func()) usage.Totals {
		lab.WaitQuiet(t)
		rx0, tx0 := lab.Counters(t)
		fn()
		lab.WaitQuiet(t)
		rx1, tx1 := lab.Counters(t)
		return usage.Totals{Rx: rx1 - rx0, Tx: tx1 - tx0}
	}
	run := func(prog string, l load) {
		cmd := exec.Command(prog, tcp, fmt.Sprint(l.up), fmt.Sprint(l.down), udp, fmt.Sprint(l.datagrams), fmt.Sprint(l.size), fmt.Sprint(hold))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", prog, err, out)
		}
	}
	for i, prog := range progs {
		l := loads[i]
		r.wire[prog] = measure(func() { run(prog, l) })
	}
	r.wire[""] = measure(old)
	time.Sleep(200 * time.Millisecond) // a few more polls
	stop()

	from, to := start.Add(-time.Hour), time.Now().Add(time.Hour)
	only := usage.Filter{Ifaces: []string{lab.HostIf}}
	got, err := st.AppTotals(context.Background(), from, to, only)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range got {
		t.Logf("%-40s %-12s rx %9d tx %9d", a.App.Path, a.App.Name, a.Rx, a.Tx)
		r.booked[a.App.Path] = r.booked[a.App.Path].Add(a.Totals)
		r.sum = r.sum.Add(a.Totals)
		if (a.App != usage.Unattributed) != (a.App.Path != "") {
			t.Errorf("app %+v has no executable path", a.App)
		}
	}
	if r.total, err = st.Totals(context.Background(), from, to, only); err != nil {
		t.Fatal(err)
	}
	return r
}

// within checks booked against what the interface moved, each way, to
// within the fraction tol.
func within(t *testing.T, name string, booked, wire usage.Totals, tol float64) {
	t.Helper()
	t.Logf("%s: booked rx %d tx %d; on the wire rx %d tx %d", name, booked.Rx, booked.Tx, wire.Rx, wire.Tx)
	for _, d := range []struct {
		dir        string
		booked, on uint64
	}{{"rx", booked.Rx, wire.Rx}, {"tx", booked.Tx, wire.Tx}} {
		off := float64(d.booked) - float64(d.on)
		if off < 0 {
			off = -off
		}
		if off > tol*float64(d.on) || (d.on == 0 && d.booked != 0) {
			t.Errorf("%s %s: booked %d bytes, the interface moved %d while it ran: off by more than %.1f %%", name, d.dir, d.booked, d.on, 100*tol)
		}
	}
}

// addsUp checks that the apps of the interface, unattributed included,
// add up to its stored total exactly.
func (r wireRun) addsUp(t *testing.T) {
	t.Helper()
	if r.sum != r.total || r.total == (usage.Totals{}) {
		t.Errorf("apps of %s add up to %+v; the interface's stored total is %+v", r.iface, r.sum, r.total)
	}
}

// sendOld speaks the netlab sink's protocol on c: up bytes out, down back.
func sendOld(t *testing.T, c net.Conn, up, down int) {
	t.Helper()
	startOld(t, c, down, 0)
	finishOld(t, c, up, down)
}

// startOld sends the sink's header (asking for down bytes back) and up
// bytes on c; finishOld sends up more, ends the stream and reads the
// answer.
func startOld(t *testing.T, c net.Conn, down, up int) {
	t.Helper()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	var hdr [8]byte
	binary.BigEndian.PutUint64(hdr[:], uint64(down))
	if _, err := c.Write(append(hdr[:], make([]byte, up)...)); err != nil {
		t.Fatal(err)
	}
}

func finishOld(t *testing.T, c net.Conn, up, down int) {
	t.Helper()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := c.Write(make([]byte, up)); err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).CloseWrite()
	if n, err := io.Copy(io.Discard, c); err != nil || n != int64(down) {
		t.Fatalf("old connection received %d of %d bytes: %v", n, down, err)
	}
}
