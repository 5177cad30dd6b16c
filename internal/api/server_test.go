package api

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/monitor"
	"github.com/packetbuddy/pb/internal/usage"
)

// openServer listens on a free loopback port and closes at the end.
func openServer(t *testing.T, f *fixture) string {
	t.Helper()
	return openServerAt(t, f, "127.0.0.1:0")
}

// openServerAt listens on addr and closes at the end.
func openServerAt(t *testing.T, f *fixture, addr string) string {
	t.Helper()
	if err := f.srv.Open(addr); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		f.srv.Close(ctx)
	})
	return "http://" + f.srv.Addr()
}

func TestOpenAddrClose(t *testing.T) {
	f := newFixture(t, false)
	if f.srv.Addr() != "" {
		t.Fatal("Addr before Open")
	}
	base := openServer(t, f)
	if strings.HasSuffix(base, ":0") {
		t.Fatalf("Addr %s does not report the real port", base)
	}
	resp, err := http.Get(base + "/api/today")
	if err != nil {
		t.Fatal(err)
	}
	var got todayResponse
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got.TotalBytes != 46553 {
		t.Errorf("total %d over the network", got.TotalBytes)
	}

	// The port is taken: a second server fails in Open, at once.
	f2 := newFixture(t, true)
	if err := f2.srv.Open(f.srv.Addr()); err == nil {
		f2.srv.Close(context.Background())
		t.Fatal("Open on a taken port succeeded")
	}

	if err := f.srv.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := http.Get(base + "/api/health"); err == nil {
		t.Error("still serving after Close")
	}
}

// blockingStore holds Stats until released, to have a request in flight.
type blockingStore struct {
	Store
	entered chan struct{}
	release chan struct{}
}

func (b *blockingStore) Stats(ctx context.Context) (usage.StoreStats, error) {
	close(b.entered)
	<-b.release
	return b.Store.Stats(ctx)
}

// TestCloseFinishesInFlight: Close lets a running request complete.
func TestCloseFinishesInFlight(t *testing.T) {
	bs := &blockingStore{Store: openStore(t), entered: make(chan struct{}), release: make(chan struct{})}
	srv, err := New(Deps{Store: bs, Location: nyc})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Open("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	type result struct {
		code int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + srv.Addr() + "/api/storage")
		if err != nil {
			done <- result{err: err}
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		done <- result{code: resp.StatusCode}
	}()
	<-bs.entered
	closed := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		closed <- srv.Close(ctx)
	}()
	time.Sleep(100 * time.Millisecond) // Close is now waiting for the request
	close(bs.release)
	if r := <-done; r.err != nil || r.code != 200 {
		t.Errorf("in-flight request: %+v", r)
	}
	if err := <-closed; err != nil {
		t.Errorf("Close: %v", err)
	}
}

// sseEvent is one parsed Server-Sent Event.
type sseEvent struct{ name, data string }

// readEvents parses an SSE stream into a channel (comments are reported
// with name ":").
func readEvents(r io.Reader) <-chan sseEvent {
	ch := make(chan sseEvent, 16)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.name != "" || ev.data != "" {
					ch <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, ":"):
				ch <- sseEvent{name: ":"}
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data += strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	return ch
}

func nextEvent(t *testing.T, ch <-chan sseEvent, name string) sseEvent {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("stream ended while waiting for %q", name)
			}
			if ev.name == name {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %q event", name)
		}
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 500; i++ {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TestStream: the stream sends the live state at once and after every
// poll, survives the server's read and write timeouts, ends when the
// client goes away, and ends on shutdown.
func TestStream(t *testing.T) {
	oldRead, oldWrite := readTimeout, writeTimeout
	readTimeout, writeTimeout = 300*time.Millisecond, 300*time.Millisecond
	t.Cleanup(func() { readTimeout, writeTimeout = oldRead, oldWrite })

	f := newFixture(t, false)
	base := openServer(t, f)

	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/live/stream", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("Content-Type %q", ct)
	}
	events := readEvents(resp.Body)
	first := nextEvent(t, events, "live")
	var l liveResponse
	if err := json.Unmarshal([]byte(first.data), &l); err != nil || l.BytesReceived != 1_500_000 {
		t.Fatalf("first event %q: %v", first.data, err)
	}
	// Past the server's read and write timeouts, polls still arrive.
	time.Sleep(700 * time.Millisecond)
	f.mon.publish(monitor.Live{Time: fixedNow, Total: monitor.Rate{RxPerSec: 42, TxPerSec: 7}})
	ev := nextEvent(t, events, "live")
	if err := json.Unmarshal([]byte(ev.data), &l); err != nil || l.BytesReceived != 42 || l.BytesSent != 7 {
		t.Fatalf("event after poll %q: %v", ev.data, err)
	}
	// Client disconnect: the handler unsubscribes.
	cancel()
	resp.Body.Close()
	waitFor(t, "the stream to unsubscribe", func() bool { return f.mon.subscribers() == 0 })

	// Shutdown ends an open stream with a close event, and Close does not
	// wait for its deadline.
	resp, err = http.Get(base + "/api/live/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	events = readEvents(resp.Body)
	nextEvent(t, events, "live")
	start := time.Now()
	ctx2, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	if err := f.srv.Close(ctx2); err != nil {
		t.Fatalf("Close with an open stream: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Close took %v with an open stream", d)
	}
	nextEvent(t, events, "close")
}

// TestStreamHeartbeat: an idle stream sends a comment line.
func TestStreamHeartbeat(t *testing.T) {
	old := heartbeat
	heartbeat = 50 * time.Millisecond
	t.Cleanup(func() { heartbeat = old })
	f := newFixture(t, false)
	base := openServer(t, f)
	resp, err := http.Get(base + "/api/live/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	nextEvent(t, readEvents(resp.Body), ":")
}

// TestStreamWithoutMonitor: a server without the daemon's monitor says so.
func TestStreamWithoutMonitor(t *testing.T) {
	srv, err := New(Deps{Store: openStore(t)})
	if err != nil {
		t.Fatal(err)
	}
	rec := do(t, srv.Handler(), "GET", "/api/live/stream")
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d", rec.Code)
	}
	assertJSONError(t, rec.Header(), rec.Body.Bytes())
}

// TestServerTimeouts: slow clients are cut off by the header timeout.
func TestServerTimeouts(t *testing.T) {
	old := readHeaderTimeout
	readHeaderTimeout = 200 * time.Millisecond
	t.Cleanup(func() { readHeaderTimeout = old })
	f := newFixture(t, true)
	openServer(t, f)
	c, err := net.Dial("tcp", f.srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n") // never finished
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := io.ReadAll(c); err != nil {
		t.Fatalf("connection not closed by the server: %v", err)
	}
}

// TestLocalhostBothLoopbacks: host = "localhost" answers on 127.0.0.1 and
// on ::1 at one port, and the Host check still refuses other names.
func TestLocalhostBothLoopbacks(t *testing.T) {
	f := newFixture(t, false)
	openServerAt(t, f, "localhost:0")
	_, port, err := net.SplitHostPort(f.srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	get := func(ip, host string) int {
		t.Helper()
		req, err := http.NewRequest("GET", "http://"+net.JoinHostPort(ip, port)+"/api/today", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET on %s: %v", ip, err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	for _, ip := range []string{"127.0.0.1", "::1"} {
		for _, tc := range []struct {
			host string
			code int
		}{
			{"localhost:" + port, 200},
			{net.JoinHostPort(ip, port), 200},
			{"evil.example:" + port, 403},
			{"localhost:1", 403},
		} {
			if got := get(ip, tc.host); got != tc.code {
				t.Errorf("on %s with Host %s: %d, want %d", ip, tc.host, got, tc.code)
			}
		}
	}
	// Closing closes both addresses.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f.srv.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for _, ip := range []string{"127.0.0.1", "::1"} {
		if c, err := net.DialTimeout("tcp", net.JoinHostPort(ip, port), time.Second); err == nil {
			c.Close()
			t.Errorf("%s still accepts after Close", ip)
		}
	}
}
