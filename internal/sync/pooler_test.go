package sync

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/packetbuddy/pb/internal/logbuf"
	"github.com/packetbuddy/pb/internal/pgtest"
	"github.com/packetbuddy/pb/internal/usage"
)

// Two daemons sync at once through the transaction-mode pooler, whose two
// server connections they share with a fleet reader: every transaction may
// run on a server connection the other device's transactions used. Totals
// are exact and neither log has a warning or an error.
func TestTwoDaemonsThroughPooler(t *testing.T) {
	t.Parallel()
	url, _ := pgtest.Pool(t)
	devs := []*device{newDevice(t, url, "Europe/Berlin"), newDevice(t, url, "Asia/Kolkata")}
	logs := make([]*logbuf.Buffer, len(devs))
	// The server process that ran each device's statement right after each
	// COMMIT: the same process serving both devices shows the pooler
	// handed server connections from one daemon to the other.
	var mu gosync.Mutex
	servedBy := map[int32]map[int]bool{}
	for i, d := range devs {
		logs[i] = &logbuf.Buffer{}
		d.sy.log = slog.New(slog.NewTextHandler(logs[i], &slog.HandlerOptions{Level: slog.LevelDebug}))
		d.sy.opt.Interval = 10 * time.Millisecond
		d.sy.afterCommit = func(conn *pgx.Conn) error {
			var pid int32
			if err := conn.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
				return err
			}
			mu.Lock()
			if servedBy[pid] == nil {
				servedBy[pid] = map[int]bool{}
			}
			servedBy[pid][i] = true
			mu.Unlock()
			return nil
		}
		d.traffic(t, 0, 60)
		mustSync(t, d) // the remote schema exists before the fleet is read
	}
	f, err := NewFleet(url)
	if err != nil {
		t.Fatal(err)
	}
	f.CacheFor = 0 // every read goes to the server

	runCtx, cancel := context.WithCancel(ctx)
	var wg gosync.WaitGroup
	runErr := make([]error, len(devs))
	for i, d := range devs {
		wg.Go(func() { runErr[i] = d.sy.Run(runCtx) })
	}
	reads := 0
	var readErr error
	wg.Go(func() {
		for runCtx.Err() == nil {
			if _, err := f.Usage(runCtx, devs[0].clk.Now()); err != nil && runCtx.Err() == nil {
				readErr = err
				return
			}
			reads++
		}
	})
	// 40 flushes per device, between and during rounds: 20 hours of
	// minutes, 80 coarse buckets x 3 interfaces each, over many rounds of
	// up to 100 buckets.
	for step := range 40 {
		for _, d := range devs {
			d.traffic(t, 60+step*30, 30)
			d.sy.Kick()
		}
		time.Sleep(5 * time.Millisecond)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && (pending(t, devs[0]) > 0 || pending(t, devs[1]) > 0) {
		devs[0].sy.Kick()
		devs[1].sy.Kick()
		time.Sleep(20 * time.Millisecond)
	}
	// Before Run ends: a round its end cancels fails, rightly.
	var status []Status
	for _, d := range devs {
		status = append(status, d.sy.Status(ctx))
	}
	cancel()
	wg.Wait()
	for i, d := range devs {
		if runErr[i] != nil {
			t.Errorf("device %d: Run = %v", i, runErr[i])
		}
		if n := pending(t, d); n != 0 {
			t.Errorf("device %d: %d buckets still pending", i, n)
		}
		if got, want := remote(t, url, d.id), d.local(t); got != want {
			t.Errorf("device %d: remote %+v, local %+v", i, got, want)
		}
		if st := status[i]; st.Failures != 0 || st.LastError != "" || st.RowsSent == 0 {
			t.Errorf("device %d: status %+v", i, st)
		}
		log := logs[i].String()
		if strings.Contains(log, "level=WARN") || strings.Contains(log, "level=ERROR") {
			t.Errorf("device %d logged a problem:\n%s", i, log)
		}
		if rounds := strings.Count(log, `msg="sync done"`); rounds < 3 {
			t.Errorf("device %d: %d rounds, want several interleaved ones:\n%s", i, rounds, log)
		}
	}
	if readErr != nil || reads == 0 {
		t.Errorf("fleet reads: %d, error %v", reads, readErr)
	}
	fu, err := f.Usage(ctx, devs[0].clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if want := devs[0].local(t).Add(devs[1].local(t)); fu.Lifetime.Add(uncounted(t, url)) != want {
		t.Errorf("fleet lifetime %+v (+ loopback), want %+v", fu.Lifetime, want)
	}
	shared := 0
	for _, by := range servedBy {
		if len(by) == len(devs) {
			shared++
		}
	}
	if shared == 0 {
		t.Errorf("no server connection served both devices (%v): the pooler did not mix them", servedBy)
	}
	t.Logf("%d fleet reads; %d server connections, %d of them served both devices", reads, len(servedBy), shared)
}

// uncounted is the fleet's traffic on interfaces not counted (lo), which
// the fleet's lifetime leaves out and the local Lifetime of all
// interfaces includes.
func uncounted(t testing.TB, url string) usage.Totals {
	t.Helper()
	var rx, tx int64
	if err := pgtest.Connect(t, url).QueryRow(ctx, `SELECT coalesce(sum(t.rx), 0)::bigint, coalesce(sum(t.tx), 0)::bigint
		FROM pb_lifetime t JOIN pb_interfaces i USING (device, iface) WHERE NOT i.counted`).Scan(&rx, &tx); err != nil {
		t.Fatal(err)
	}
	return usage.Totals{Rx: uint64(rx), Tx: uint64(tx)}
}

// A pooler in statement mode runs no transaction: sync and fleet reads
// say so, and what to change, instead of failing obscurely or retrying as
// if the server were away.
func TestStatementPoolerIsExplained(t *testing.T) {
	u := pgtest.StatementPoolerURL(t)
	const want = "the sync database URL reaches a connection pooler in statement mode, which cannot run pb's transactions " +
		"(transaction blocks not allowed in statement pooling mode): use its transaction-mode URL " +
		"(PgBouncer: pool_mode = transaction or session) or the database's direct URL in sync.database_url / PB_DATABASE_URL"
	d := newDevice(t, u, "UTC")
	badCase(t, d, want, ErrStatementPooler)
	if err := d.sy.Status(ctx).LastError; err != want {
		t.Errorf("status error = %q\nwant %q", err, want)
	}
	f, err := NewFleet(u)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Usage(context.Background(), time.Now())
	if err == nil || err.Error() != want || !errors.Is(err, ErrStatementPooler) {
		t.Errorf("fleet read error = %v\nwant %s", err, want)
	}
}

// BenchmarkUpload uploads 20,000 buckets per op (one round: connect,
// schema check, four transactions of 5000) in each of pgx's query exec
// modes, straight to the server and through PgBouncer in transaction mode,
// through a proxy that counts round trips (the client speaking again after
// the server answered): over a network to a managed database they, not the
// local time per op, decide the speed. A mode that fails through the
// pooler is reported as skipped, with why.
func BenchmarkUpload(b *testing.B) {
	modes := []pgx.QueryExecMode{pgx.QueryExecModeExec, pgx.QueryExecModeCacheDescribe, pgx.QueryExecModeDescribeExec,
		pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeCacheStatement}
	const perOp = 20_000
	for _, target := range []string{"direct", "pgbouncer"} {
		for _, mode := range modes {
			b.Run(target+"/"+strings.ReplaceAll(mode.String(), " ", "_"), func(b *testing.B) {
				u, _ := pgtest.Pool(b)
				if target == "direct" {
					u = pgtest.Direct(b, u)
				}
				p := newTurnProxy(b, targetOf(b, u))
				u = strings.Replace(u, targetOf(b, u), p.addr, 1)
				start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
				for i := 0; b.Loop(); i++ {
					m := &memStore{start: start.Add(time.Duration(i*perOp) * 15 * time.Minute), step: 15 * time.Minute, n: perOp}
					sy := New(m, Options{URL: u, Device: Device{ID: "bench", Hostname: "bench", OSType: "Linux"}})
					sy.execMode = mode
					if _, err := sy.SyncNow(ctx); err != nil {
						b.Skipf("%s fails: %v", mode, err)
					}
					if m.acked != perOp {
						b.Fatalf("acknowledged %d of %d", m.acked, perOp)
					}
				}
				b.ReportMetric(float64(perOp)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
				b.ReportMetric(float64(p.turns())/float64(b.N), "round-trips/op")
			})
		}
	}
}

// turnProxy forwards 127.0.0.1:0 to target and counts round trips: the
// times a client writes after the server last wrote.
type turnProxy struct {
	addr string
	mu   gosync.Mutex
	n    int
	last map[net.Conn]bool // true: the server wrote last on this client's connection
}

func (p *turnProxy) turns() int { p.mu.Lock(); defer p.mu.Unlock(); return p.n }

func newTurnProxy(tb testing.TB, target string) *turnProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	p := &turnProxy{addr: ln.Addr().String(), last: map[net.Conn]bool{}}
	pipe := func(dst, src, client net.Conn, fromServer bool) {
		defer dst.Close()
		buf := make([]byte, 64<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				p.mu.Lock()
				if !fromServer && p.last[client] {
					p.n++
				}
				p.last[client] = fromServer
				p.mu.Unlock()
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}
	go forward(ln, target, func(c, s net.Conn) {
		go pipe(s, c, c, false)
		go pipe(c, s, c, true)
	})
	return p
}

// forward accepts on ln until it is closed, dials target for each client
// and hands both connections to start.
func forward(ln net.Listener, target string, start func(client, server net.Conn)) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", target)
		if err != nil {
			c.Close()
			continue
		}
		start(c, s)
	}
}

// A pooler refuses server settings in the URL (PgBouncer unless told to
// ignore them): the message names the parameter and what to do.
func TestPoolerRefusedParameterIsExplained(t *testing.T) {
	u, _ := pgtest.Pool(t)
	d := newDevice(t, pgtest.WithParam(u, "search_path=elsewhere"), "UTC")
	badCase(t, d, "the connection pooler refuses a parameter of the sync database URL (unsupported startup parameter: search_path): "+
		"remove it from sync.database_url / PB_DATABASE_URL; pb needs none (for tables outside public, ALTER ROLE <user> SET search_path = <schema>)", ErrStartupParameter)
}

// A year of history (a device that has counted for a year before sync is
// turned on, or catches up after a long time offline) goes up in many
// batches of one round, and every month of it reads back from the fleet
// as the device has it.
func TestLongHistory(t *testing.T) {
	t.Parallel()
	url, _ := testSchema(t)
	d := newDevice(t, url, "America/New_York")
	d.sy.opt.BatchSize = 5000
	from := d.base.AddDate(-1, 0, 0)
	var b usage.Batch
	b.Interfaces = []usage.Interface{{Name: "eth0", Kind: "ethernet", Counted: true}, {Name: "wlan0", Kind: "wifi", Counted: true}}
	n := 0
	for at := from; at.Before(d.base); at = at.Add(15 * time.Minute) {
		b.Deltas = append(b.Deltas,
			usage.Delta{Iface: "eth0", Bucket: at, Totals: usage.Totals{Rx: uint64(1_000_000 + n%7919), Tx: uint64(50_000 + n%13)}},
			usage.Delta{Iface: "wlan0", Bucket: at, Totals: usage.Totals{Rx: uint64(n % 100_003), Tx: 7}})
		n++
	}
	if err := d.st.Flush(ctx, b); err != nil {
		t.Fatal(err)
	}
	buckets := pending(t, d)
	if buckets != int64(2*n) {
		t.Fatalf("pending %d buckets, want %d", buckets, 2*n)
	}
	r := mustSync(t, d)
	if r.Rows != buckets || pending(t, d) != 0 {
		t.Fatalf("round sent %d of %d buckets, %d left", r.Rows, buckets, pending(t, d))
	}
	if got, want := remote(t, url, d.id), d.local(t); got != want {
		t.Errorf("remote %+v, local %+v", got, want)
	}
	f, err := NewFleet(url)
	if err != nil {
		t.Fatal(err)
	}
	zone, _ := time.LoadLocation("America/New_York")
	months := 0
	start := from.In(zone)
	for first := time.Date(start.Year(), start.Month(), 1, 0, 0, 0, 0, zone); first.Before(d.base); first = first.AddDate(0, 1, 0) {
		months++
		last := usage.DateOf(first.AddDate(0, 1, -1))
		fd, err := f.Days(ctx, d.clk.Now(), usage.DateOf(first), last)
		if err != nil {
			t.Fatal(err)
		}
		want, err := d.st.Totals(ctx, first, first.AddDate(0, 1, 0), usage.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if fd.Total != want {
			t.Errorf("%s: fleet %+v, device %+v", first.Format("2006-01"), fd.Total, want)
		}
	}
	if months != 13 {
		t.Errorf("checked %d months, want 13", months)
	}
}
