package api

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"
)

// setConnLimits shortens the server's limits for one test.
func setConnLimits(t *testing.T, conns int, idle, header time.Duration) {
	t.Helper()
	oldMax, oldIdle, oldHeader := maxConns, idleTimeout, readHeaderTimeout
	maxConns, idleTimeout, readHeaderTimeout = conns, idle, header
	t.Cleanup(func() { maxConns, idleTimeout, readHeaderTimeout = oldMax, oldIdle, oldHeader })
}

// rawConn is a client connection that speaks HTTP/1.1 by hand, so the test
// decides when a request is sent and sees exactly when the server closes.
type rawConn struct {
	net.Conn
	r *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{Conn: c, r: bufio.NewReader(c)}
}

// get sends a keep-alive GET /api/health and reads the answer.
func (c *rawConn) get() error {
	if _, err := io.WriteString(c, "GET /api/health HTTP/1.1\r\nHost: "+c.RemoteAddr().String()+"\r\n\r\n"); err != nil {
		return err
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(c.r, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return errors.New(resp.Status)
	}
	return nil
}

// closedByServer reports whether the server has closed c, waiting up to d.
func (c *rawConn) closedByServer(t *testing.T, d time.Duration) bool {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(d))
	_, err := c.r.ReadByte()
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return false
	case err == nil:
		t.Fatal("the server sent bytes nobody asked for")
	}
	return true
}

// At the limit, a new connection takes the place of an idle keep-alive
// one; when no held connection is idle, the new one is closed without an
// answer and the held ones are served.
func TestConnLimit(t *testing.T) {
	setConnLimits(t, 3, time.Minute, time.Minute)
	f := newFixture(t, false)
	openServer(t, f)
	addr := f.srv.Addr()
	lim := f.srv.conns

	var idle []*rawConn
	for range 3 {
		c := dialRaw(t, addr)
		if err := c.get(); err != nil {
			t.Fatal(err)
		}
		idle = append(idle, c)
	}
	waitFor(t, "three idle connections", func() bool { return lim.idle() == 3 })

	fourth := dialRaw(t, addr)
	if err := fourth.get(); err != nil {
		t.Fatalf("a fourth connection with three idle ones held: %v", err)
	}
	closed := 0
	for _, c := range idle {
		if c.closedByServer(t, 300*time.Millisecond) {
			closed++
		}
	}
	if closed != 1 || lim.evicted.Load() != 1 || lim.open() != 3 {
		t.Fatalf("%d idle connections closed (evicted %d), %d held; want 1 closed and 3 held", closed, lim.evicted.Load(), lim.open())
	}

	for _, c := range append(idle, fourth) {
		c.Close()
	}
	waitFor(t, "every connection to close", func() bool { return lim.open() == 0 })

	// Three connections that have not sent their request yet are not
	// idle: a fourth is refused, and they are still served.
	var waiting []*rawConn
	for range 3 {
		waiting = append(waiting, dialRaw(t, addr))
	}
	waitFor(t, "three new connections", func() bool { return lim.open() == 3 })
	refused := dialRaw(t, addr)
	if !refused.closedByServer(t, 5*time.Second) {
		t.Fatal("a fourth connection was kept with three busy ones held")
	}
	if err := refused.get(); err == nil {
		t.Fatal("a refused connection was answered")
	}
	if lim.refused.Load() != 1 || lim.open() != 3 {
		t.Fatalf("refused %d, held %d; want 1 and 3", lim.refused.Load(), lim.open())
	}
	for i, c := range waiting {
		if err := c.get(); err != nil {
			t.Fatalf("held connection %d: %v", i, err)
		}
	}
}

// An idle keep-alive connection is closed after idleTimeout, and a
// connection that never sends its request after readHeaderTimeout; the
// limiter then holds nothing.
func TestConnTimeouts(t *testing.T) {
	setConnLimits(t, 8, 200*time.Millisecond, 300*time.Millisecond)
	f := newFixture(t, false)
	openServer(t, f)
	lim := f.srv.conns

	kept := dialRaw(t, f.srv.Addr())
	if err := kept.get(); err != nil {
		t.Fatal(err)
	}
	silent := dialRaw(t, f.srv.Addr())
	start := time.Now()
	for name, c := range map[string]*rawConn{"idle": kept, "silent": silent} {
		if !c.closedByServer(t, 5*time.Second) {
			t.Fatalf("the %s connection is still open after 5 s", name)
		}
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("connections closed after %v, before the timeouts", d)
	}
	waitFor(t, "the limiter to forget them", func() bool { return lim.open() == 0 })
}

// After a burst of at least drainAt connections, drained runs once when
// they have closed; ordinary use below drainAt never triggers it.
func TestConnLimitDrained(t *testing.T) {
	l := newLimitListener(nil, 8)
	calls := make(chan struct{}, 4)
	l.drained, l.drainAt = func() { calls <- struct{}{} }, 2
	conns := func(n int) []net.Conn {
		var cs []net.Conn
		for range n {
			a, b := net.Pipe()
			t.Cleanup(func() { a.Close(); b.Close() })
			if _, ok := l.admit(a); !ok {
				t.Fatal("refused under the limit")
			}
			cs = append(cs, a)
		}
		return cs
	}
	burst := conns(2)
	l.connState(burst[0], http.StateClosed)
	select {
	case <-calls:
		t.Fatal("drained with a connection of the burst still open")
	case <-time.After(50 * time.Millisecond):
	}
	l.connState(burst[1], http.StateClosed)
	select {
	case <-calls:
	case <-time.After(5 * time.Second):
		t.Fatal("drained not called after the burst closed")
	}
	one := conns(1)
	l.connState(one[0], http.StateClosed)
	select {
	case <-calls:
		t.Fatal("drained after a single connection")
	case <-time.After(50 * time.Millisecond):
	}
}

// TestRateLimitedTrails: calls inside the window are not dropped but run
// once at its end.
func TestRateLimitedTrails(t *testing.T) {
	runs := make(chan time.Time, 10)
	f := rateLimited(200*time.Millisecond, func() { runs <- time.Now() })
	start := time.Now()
	f() // runs at once
	f() // inside the window: one trailing run
	f() // inside the window: folded into the same trailing run
	first := <-runs
	if d := first.Sub(start); d > 100*time.Millisecond {
		t.Fatalf("first call ran after %s, want at once", d)
	}
	select {
	case second := <-runs:
		if d := second.Sub(first); d < 190*time.Millisecond {
			t.Fatalf("trailing run %s after the first, want the window's end (200ms)", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the calls inside the window never ran")
	}
	select {
	case <-runs:
		t.Fatal("two calls inside one window ran twice")
	case <-time.After(400 * time.Millisecond):
	}
}
