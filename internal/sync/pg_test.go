package sync

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"path/filepath"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/packetbuddy/pb/internal/pgtest"
	"github.com/packetbuddy/pb/internal/store"
	"github.com/packetbuddy/pb/internal/usage"
)

var ctx = context.Background()

// baseURL is the test server: PB_TEST_DATABASE_URL or the local one.
func baseURL() string { return pgtest.BaseURL() }

// adminConn connects to the test server; without one the test is skipped,
// except under CI=true, where it fails.
func adminConn(t testing.TB) *pgx.Conn { return pgtest.Admin(t) }

func randName(prefix string) string {
	var b [6]byte
	rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// testSchema creates a fresh schema, dropped at cleanup, and returns a URL
// whose tables land in it (through the pooler when pgtest.Pooled).
func testSchema(t testing.TB) (url, schema string) { return pgtest.Schema(t) }

type clock struct {
	mu gosync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// device is one simulated pb: a local store and its syncer.
type device struct {
	st   *store.Store
	sy   *Syncer
	id   string
	clk  *clock
	base time.Time
}

func newDevice(t testing.TB, url string, tz string) *device {
	t.Helper()
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	d := openDevice(t, filepath.Join(t.TempDir(), "pb.db"), url, tz, base.Add(24*time.Hour), 100)
	d.base = base
	if err := d.st.StartChangeTracking(ctx); err != nil {
		t.Fatal(err)
	}
	return d
}

// openDevice opens (or creates) the store at path with its clock at now,
// and a syncer of batch buckets a batch.
func openDevice(t testing.TB, path, url, tz string, now time.Time, batch int) *device {
	t.Helper()
	clk := &clock{t: now}
	st, err := store.Open(ctx, path, store.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	id, err := st.DeviceID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sy := New(st, Options{URL: url, Device: Device{ID: id, Hostname: "host-" + id[:4], OSType: "Linux", TimeZone: tz},
		BatchSize: batch, RetryBase: 10 * time.Millisecond, RetryMax: 50 * time.Millisecond, ConnectTimeout: 3 * time.Second})
	return &device{st: st, sy: sy, id: id, clk: clk, base: now}
}

// traffic records n minutes of traffic starting minute from of the base
// day, on eth0 and wlan0 (and lo, not counted).
func (d *device) traffic(t testing.TB, from, n int) {
	t.Helper()
	var b usage.Batch
	b.Interfaces = []usage.Interface{{Name: "eth0", Kind: "ethernet", Counted: true}, {Name: "wlan0", Kind: "wifi", Counted: true}, {Name: "lo", Kind: "loopback", Counted: false}}
	for m := from; m < from+n; m++ {
		at := d.base.Add(time.Duration(m) * time.Minute)
		b.Deltas = append(b.Deltas,
			usage.Delta{Iface: "eth0", Bucket: at, Totals: usage.Totals{Rx: uint64(1000 + m), Tx: uint64(10 + m%7)}},
			usage.Delta{Iface: "wlan0", Bucket: at, Totals: usage.Totals{Rx: uint64(3 * m), Tx: 1}},
			usage.Delta{Iface: "lo", Bucket: at, Totals: usage.Totals{Rx: 99, Tx: 99}})
	}
	if err := d.st.Flush(ctx, b); err != nil {
		t.Fatal(err)
	}
}

func (d *device) local(t testing.TB) usage.Totals {
	t.Helper()
	v, err := d.st.Lifetime(ctx, usage.Filter{All: true})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// remote is the device's remote total over all its interfaces.
func remote(t testing.TB, url, deviceID string) usage.Totals {
	t.Helper()
	c, err := pgx.Connect(ctx, pgtest.Direct(t, url))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	// The lifetime rollup always equals the sum of the buckets.
	var bad int
	if err := c.QueryRow(ctx, `SELECT count(*) FROM pb_lifetime t FULL JOIN
		(SELECT device, iface, sum(rx) AS rx, sum(tx) AS tx FROM pb_usage GROUP BY device, iface) u
		USING (device, iface) WHERE t.rx IS DISTINCT FROM u.rx OR t.tx IS DISTINCT FROM u.tx`).Scan(&bad); err != nil || bad != 0 {
		t.Errorf("pb_lifetime differs from the buckets on %d interfaces (%v)", bad, err)
	}
	// So do the days, grouped in each device's zone.
	if err := c.QueryRow(ctx, `SELECT count(*) FROM pb_days x FULL JOIN
		(SELECT u.device, (u.ts AT TIME ZONE d.time_zone)::date AS day, u.iface, sum(u.rx) AS rx, sum(u.tx) AS tx
		 FROM pb_usage u JOIN pb_devices d ON d.id = u.device GROUP BY 1, 2, 3) u
		USING (device, day, iface) WHERE x.rx IS DISTINCT FROM u.rx OR x.tx IS DISTINCT FROM u.tx`).Scan(&bad); err != nil || bad != 0 {
		t.Errorf("pb_days differs from the buckets on %d interface-days (%v)", bad, err)
	}
	var rx, tx int64
	q := `SELECT coalesce(sum(rx), 0)::bigint, coalesce(sum(tx), 0)::bigint FROM pb_usage u JOIN pb_devices d ON d.id = u.device`
	args := []any{}
	if deviceID != "" {
		q += ` WHERE d.device_id = $1`
		args = append(args, deviceID)
	}
	if err := c.QueryRow(ctx, q, args...).Scan(&rx, &tx); err != nil {
		t.Fatal(err)
	}
	return usage.Totals{Rx: uint64(rx), Tx: uint64(tx)}
}

func mustSync(t testing.TB, d *device) Result {
	t.Helper()
	r, err := d.sy.SyncNow(ctx)
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	return r
}

func pending(t testing.TB, d *device) int64 {
	n, err := d.st.PendingChanges(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestTwoDevicesAddUpExactly(t *testing.T) {
	t.Parallel()
	url, _ := testSchema(t)
	a, b := newDevice(t, url, "Europe/Berlin"), newDevice(t, url, "America/New_York")
	a.traffic(t, 0, 600) // 10 hours: 40 coarse buckets x 3 interfaces, 2 batches of 100
	b.traffic(t, 300, 900)
	for _, d := range []*device{a, b} {
		r := mustSync(t, d)
		if !r.Connected || r.Rows == 0 {
			t.Fatalf("first sync = %+v", r)
		}
		if n := pending(t, d); n != 0 {
			t.Fatalf("pending after sync = %d", n)
		}
	}
	check := func(when string) {
		t.Helper()
		for _, d := range []*device{a, b} {
			if got, want := remote(t, url, d.id), d.local(t); got != want {
				t.Errorf("%s: device %s remote %+v, local %+v", when, d.id, got, want)
			}
		}
		all := remote(t, url, "")
		if want := a.local(t).Add(b.local(t)); all != want {
			t.Errorf("%s: fleet %+v, want %+v", when, all, want)
		}
	}
	check("first sync")

	// Twice: nothing to send, no connection.
	if r := mustSync(t, a); r.Connected || r.Rows != 0 {
		t.Errorf("second sync with nothing new = %+v, want no connection", r)
	}
	check("second sync")

	// More traffic in an already sent bucket: its absolute value replaces the old one.
	a.traffic(t, 595, 10)
	if r := mustSync(t, a); r.Rows == 0 {
		t.Errorf("sync after new traffic sent nothing")
	}
	check("updated bucket")

	// Re-send everything: totals unchanged.
	for _, d := range []*device{a, b} {
		if err := d.st.ResendAll(ctx); err != nil {
			t.Fatal(err)
		}
		mustSync(t, d)
		mustSync(t, d)
	}
	check("re-send all")

	// Interfaces and devices are there, with the zone and counted flags.
	c, err := pgx.Connect(ctx, pgtest.Direct(t, url))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var devs, ifs, uncounted int
	var tz string
	if err := c.QueryRow(ctx, `SELECT (SELECT count(*) FROM pb_devices), (SELECT count(*) FROM pb_interfaces),
		(SELECT count(*) FROM pb_interfaces WHERE NOT counted), (SELECT time_zone FROM pb_devices WHERE device_id = $1)`, b.id).Scan(&devs, &ifs, &uncounted, &tz); err != nil {
		t.Fatal(err)
	}
	if devs != 2 || ifs != 6 || uncounted != 2 || tz != "America/New_York" {
		t.Errorf("devices %d, interfaces %d (uncounted %d), zone %q", devs, ifs, uncounted, tz)
	}
	var maxID int
	if err := c.QueryRow(ctx, `SELECT max(id) FROM pb_devices`).Scan(&maxID); err != nil || maxID != 2 {
		t.Errorf("device ids up to %d after many rounds, want 2 (ids must not be drawn per round)", maxID)
	}
}

// The connection dies after the remote COMMIT and before the local
// acknowledgement: the retry re-sends the same absolute values.
func TestKilledBetweenCommitAndAck(t *testing.T) {
	t.Parallel()
	url, _ := testSchema(t)
	d := newDevice(t, url, "UTC")
	d.traffic(t, 0, 240)
	admin := adminConn(t)
	kills := 0
	d.sy.afterCommit = func(conn *pgx.Conn) error {
		kills++
		killConn(t, admin, url, conn)
		return errors.New("test: crash between COMMIT and ack")
	}
	before := pending(t, d)
	if _, err := d.sy.SyncNow(ctx); err == nil {
		t.Fatal("round survived the crash")
	}
	if kills != 1 || pending(t, d) != before {
		t.Fatalf("kills %d, pending %d, want 1 and %d (not acknowledged)", kills, pending(t, d), before)
	}
	// The remote already has the first batch.
	if got := remote(t, url, d.id); got.Rx == 0 {
		t.Fatalf("remote empty after the committed batch")
	}
	d.sy.afterCommit = nil
	d.traffic(t, 100, 5) // and traffic meanwhile, into buckets already sent
	mustSync(t, d)
	if got, want := remote(t, url, d.id), d.local(t); got != want {
		t.Errorf("after retry remote %+v, local %+v", got, want)
	}
	if n := pending(t, d); n != 0 {
		t.Errorf("pending %d after retry", n)
	}
	st := d.sy.Status(ctx)
	if st.LastError != "" || st.Failures != 0 || st.LastSuccess.IsZero() || st.RemoteSchema != SchemaVersion {
		t.Errorf("status %+v", st)
	}
}

// killConn ends conn's server session. Through a pooler conn's PID is the
// pooler's, not a server process: there the server connections of the
// test's database are ended, and the client's socket closed.
func killConn(t testing.TB, admin *pgx.Conn, url string, conn *pgx.Conn) {
	t.Helper()
	var n int
	var err error
	if pgtest.Direct(t, url) == url {
		err = admin.QueryRow(ctx, `SELECT count(*) FILTER (WHERE pg_terminate_backend($1)) FROM (VALUES (1)) v`, conn.PgConn().PID()).Scan(&n)
	} else {
		err = admin.QueryRow(ctx, `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE datname = $1 AND pid <> pg_backend_pid()`, conn.Config().Database).Scan(&n)
		conn.PgConn().Conn().Close()
	}
	if err != nil || n == 0 {
		t.Fatalf("terminate: %d sessions, %v", n, err)
	}
}

// proxy forwards 127.0.0.1:0 to the test server; down() refuses new
// connections and cuts the open ones, up() restores.
type proxy struct {
	ln     net.Listener
	target string
	mu     gosync.Mutex
	isDown bool
	conns  []net.Conn
}

func newProxy(t testing.TB, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	t.Cleanup(func() { ln.Close(); p.down() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			if p.isDown {
				p.mu.Unlock()
				c.Close()
				continue
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				p.mu.Unlock()
				c.Close()
				continue
			}
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { io.Copy(s, c); s.Close() }()
			go func() { io.Copy(c, s); c.Close() }()
		}
	}()
	return p
}

func (p *proxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.isDown = true
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *proxy) up() { p.mu.Lock(); p.isDown = false; p.mu.Unlock() }

func targetOf(t testing.TB, url string) string {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	return net.JoinHostPort(cfg.Host, itoa(int(cfg.Port)))
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// viaProxy rewrites url's host:port to the proxy's.
func viaProxy(t testing.TB, url string, p *proxy) string {
	target := targetOf(t, url)
	cfg, _ := pgx.ParseConfig(url)
	hp := cfg.Host + ":" + itoa(int(cfg.Port))
	if !strings.Contains(url, hp) {
		t.Skipf("cannot route %s through a proxy", hp)
	}
	_ = target
	return strings.Replace(url, hp, p.ln.Addr().String(), 1)
}

// The server goes away for a while; traffic is recorded and flushed
// meanwhile; the syncer catches up when it is back, nothing lost or doubled.
func TestOfflineCatchUp(t *testing.T) {
	t.Parallel()
	url, _ := testSchema(t)
	p := newProxy(t, targetOf(t, url))
	d := newDevice(t, viaProxy(t, url, p), "Asia/Tokyo")
	d.traffic(t, 0, 60)
	mustSync(t, d)

	p.down()
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- d.sy.Run(runCtx) }()
	// Local counting goes on while every round fails.
	for i := range 20 {
		start := time.Now()
		d.traffic(t, 60+i*30, 30)
		if el := time.Since(start); el > 2*time.Second {
			t.Errorf("flush took %v while the server was down", el)
		}
		d.sy.Kick()
		time.Sleep(10 * time.Millisecond)
	}
	deadline := time.Now().Add(10 * time.Second)
	for d.sy.Status(ctx).Failures < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	st := d.sy.Status(ctx)
	if st.Failures < 2 || !strings.Contains(st.LastError, "unreachable") || st.Pending == 0 {
		t.Fatalf("status while down = %+v", st)
	}
	if strings.Contains(st.LastError, "postgres@") {
		t.Errorf("error shows the URL: %s", st.LastError)
	}
	p.up()
	deadline = time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if s := d.sy.Status(ctx); s.Pending == 0 && s.Failures == 0 {
			break
		}
		d.sy.Kick()
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got, want := remote(t, url, d.id), d.local(t); got != want {
		t.Errorf("after catch-up remote %+v, local %+v", got, want)
	}
	if n := pending(t, d); n != 0 {
		t.Errorf("pending %d after catch-up", n)
	}
}

func TestBackoff(t *testing.T) {
	s := New(nil, Options{URL: "postgres://localhost/x", RetryBase: time.Second, RetryMax: 10 * time.Second})
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 5: 10 * time.Second, 50: 10 * time.Second} {
		for range 20 {
			if got := s.backoff(n); got < want/2 || got > want {
				t.Errorf("backoff(%d) = %v, want in [%v, %v]", n, got, want/2, want)
			}
		}
	}
}

// A server that accepts connections and never answers (a black hole): each
// round gives up after ConnectTimeout with a clear message, and counting
// goes on.
func TestBlackholeServer(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var held []net.Conn
	var mu gosync.Mutex
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	d := newDevice(t, "postgres://pb:s3cretpw@"+ln.Addr().String()+"/pb?sslmode=disable", "UTC")
	d.sy.opt.ConnectTimeout = 500 * time.Millisecond
	d.traffic(t, 0, 30)
	start := time.Now()
	_, err = d.sy.SyncNow(ctx)
	if err == nil || !errors.Is(err, ErrUnreachable) || strings.Contains(err.Error(), "s3cretpw") {
		t.Fatalf("error = %v, want unreachable without the password", err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("round took %v, want about ConnectTimeout", el)
	}
	d.traffic(t, 30, 30)
	if n := pending(t, d); n == 0 {
		t.Error("nothing pending after a failed round")
	}
}

// stallProxy forwards to target but, while stalled, holds every byte: a
// server that stops answering mid-round without closing the connection.
type stallProxy struct {
	ln      net.Listener
	mu      gosync.Mutex
	stalled bool
	closed  bool
}

func newStallProxy(t *testing.T, target string) *stallProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallProxy{ln: ln}
	t.Cleanup(func() { p.mu.Lock(); p.closed = true; p.mu.Unlock(); ln.Close() })
	pipe := func(dst, src net.Conn) {
		defer dst.Close()
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			for {
				p.mu.Lock()
				st, cl := p.stalled, p.closed
				p.mu.Unlock()
				if cl {
					return
				}
				if !st {
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
			if n > 0 {
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
		go pipe(s, c)
		go pipe(c, s)
	})
	return p
}

func (p *stallProxy) stall(v bool) { p.mu.Lock(); p.stalled = v; p.mu.Unlock() }

// The server stops answering between two batches of a round: the round
// fails after BatchTimeout instead of hanging, and the next one completes.
func TestStalledMidRound(t *testing.T) {
	t.Parallel()
	url, _ := testSchema(t)
	p := newStallProxy(t, targetOf(t, url))
	cfg, _ := pgx.ParseConfig(url)
	d := newDevice(t, strings.Replace(url, cfg.Host+":"+itoa(int(cfg.Port)), p.ln.Addr().String(), 1), "UTC")
	d.sy.opt.BatchTimeout = 500 * time.Millisecond
	d.traffic(t, 0, 600) // 120 buckets: two batches of 100
	d.sy.afterCommit = func(*pgx.Conn) error { p.stall(true); return nil }
	start := time.Now()
	_, err := d.sy.SyncNow(ctx)
	if err == nil {
		t.Fatal("round through a stalled server succeeded")
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("stalled round took %v", el)
	}
	t.Logf("stalled round: %v", err)
	p.stall(false)
	d.sy.afterCommit = nil
	mustSync(t, d)
	if got, want := remote(t, url, d.id), d.local(t); got != want {
		t.Errorf("remote %+v, local %+v", got, want)
	}
}
