// Command pbload is a small HTTP load generator for PacketBuddy's API,
// in the spirit of wrk: N keep-alive connections send GET requests as fast
// as answers come back, for a fixed time, and it reports requests per
// second and latency percentiles per path.
//
//	pbload -url http://127.0.0.1:7373 -c 32 -d 10s /api/today /api/month /api/summary
//
// It only talks to loopback addresses (a load test must never leave the
// machine) and is bounded in time (at most 5 minutes per path) and in
// requests (-n). It speaks plain HTTP/1.1 over its own connections rather
// than through net/http's client, so that on a small machine the generator
// takes as little CPU as possible away from the server it measures.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Bounds that flags cannot exceed.
const (
	maxDuration    = 5 * time.Minute
	maxConnections = 1024
	maxSamples     = 20_000_000 // latency samples kept per path (~80 MB)
)

type config struct {
	base     *url.URL
	conns    int
	duration time.Duration
	warmup   time.Duration
	max      int64
	timeout  time.Duration
	token    string
	paths    []string
}

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "pbload:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("pbload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rawURL := fs.String("url", "http://127.0.0.1:7373", "base URL of the server (loopback only)")
	conns := fs.Int("c", 16, "connections (each sends one request at a time)")
	dur := fs.Duration("d", 10*time.Second, "duration per path (at most 5m)")
	warmup := fs.Duration("warmup", time.Second, "unmeasured warm-up per path")
	maxReq := fs.Int64("n", 0, "stop a path after this many requests (0: only the duration)")
	timeout := fs.Duration("timeout", 5*time.Second, "per-request timeout")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: pbload [flags] PATH...\n\nPATH defaults to /api/today. The bearer token, if the server needs one, is read from PB_API_TOKEN.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg := config{conns: *conns, duration: *dur, warmup: *warmup, max: *maxReq, timeout: *timeout, token: os.Getenv("PB_API_TOKEN"), paths: fs.Args()}
	if len(cfg.paths) == 0 {
		cfg.paths = []string{"/api/today"}
	}
	switch {
	case cfg.conns < 1 || cfg.conns > maxConnections:
		return fmt.Errorf("-c %d: use 1 to %d connections", cfg.conns, maxConnections)
	case cfg.duration <= 0 || cfg.duration > maxDuration:
		return fmt.Errorf("-d %v: use a duration up to %v", cfg.duration, maxDuration)
	case cfg.warmup < 0 || cfg.warmup > time.Minute:
		return fmt.Errorf("-warmup %v: use 0 to 1m", cfg.warmup)
	case cfg.max < 0:
		return errors.New("-n must not be negative")
	}
	u, err := checkURL(*rawURL)
	if err != nil {
		return err
	}
	cfg.base = u
	for _, p := range cfg.paths {
		if !strings.HasPrefix(p, "/") {
			return fmt.Errorf("path %q must start with /", p)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	fmt.Fprintf(stdout, "pbload: %s, %d connections, %v per path (+%v warm-up)\n", u.Host, cfg.conns, cfg.duration, cfg.warmup)
	fmt.Fprintf(stdout, "%-22s %10s %10s %8s %8s %8s %8s %8s %8s %6s\n", "path", "requests", "req/s", "p50", "p90", "p99", "p99.9", "max", "MB/s", "errors")
	for _, p := range cfg.paths {
		if ctx.Err() != nil {
			break
		}
		if cfg.warmup > 0 {
			wctx, cancel := context.WithTimeout(ctx, cfg.warmup)
			if _, err := load(wctx, cfg, p, 0); err != nil {
				cancel()
				return err
			}
			cancel()
		}
		lctx, cancel := context.WithTimeout(ctx, cfg.duration)
		res, err := load(lctx, cfg, p, cfg.max)
		cancel()
		if err != nil {
			return err
		}
		res.print(stdout, p)
	}
	return nil
}

// checkURL accepts only http URLs whose host is loopback; a name must
// resolve to loopback addresses only.
func checkURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("-url %q: want http://HOST:PORT", raw)
	}
	host := u.Hostname()
	ips := []net.IP{net.ParseIP(host)}
	if ips[0] == nil {
		addrs, err := net.LookupIP(host)
		if err != nil || len(addrs) == 0 {
			return nil, fmt.Errorf("-url %q: cannot resolve %s", raw, host)
		}
		ips = addrs
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return nil, fmt.Errorf("-url %q: %s is not a loopback address; pbload only loads servers on this machine", raw, ip)
		}
	}
	if u.Port() == "" {
		u.Host = net.JoinHostPort(host, "80")
	}
	return u, nil
}

// result is one path's measurement.
type result struct {
	requests int64
	errors   int64
	non2xx   int64
	bytes    int64
	elapsed  time.Duration
	lat      []time.Duration
	firstErr error
}

func (r *result) print(w io.Writer, path string) {
	slices.Sort(r.lat)
	pct := func(p float64) string {
		if len(r.lat) == 0 {
			return "-"
		}
		i := int(p * float64(len(r.lat)-1))
		return fmtDur(r.lat[i])
	}
	secs := r.elapsed.Seconds()
	fmt.Fprintf(w, "%-22s %10d %10.0f %8s %8s %8s %8s %8s %8.2f %6d\n", path, r.requests, float64(r.requests)/secs,
		pct(0.50), pct(0.90), pct(0.99), pct(0.999), pct(1), float64(r.bytes)/secs/1e6, r.errors+r.non2xx)
	if r.non2xx > 0 {
		fmt.Fprintf(w, "  %d responses were not 2xx\n", r.non2xx)
	}
	if r.firstErr != nil {
		fmt.Fprintf(w, "  first error: %v\n", r.firstErr)
	}
}

func fmtDur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%.2fms", float64(d)/1e6)
	}
	return d.Round(time.Millisecond).String()
}

// load runs cfg.conns connections against path until ctx ends or max
// requests were sent (0: no limit).
func load(ctx context.Context, cfg config, path string, max int64) (*result, error) {
	req := buildRequest(cfg.base.Host, path, cfg.token)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		total   result
		started atomic.Int64
	)
	begin := time.Now()
	for range cfg.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := worker(ctx, cfg, req, max, &started)
			mu.Lock()
			defer mu.Unlock()
			total.requests += r.requests
			total.errors += r.errors
			total.non2xx += r.non2xx
			total.bytes += r.bytes
			if total.firstErr == nil {
				total.firstErr = r.firstErr
			}
			room := maxSamples - len(total.lat)
			total.lat = append(total.lat, r.lat[:min(room, len(r.lat))]...)
		}()
	}
	wg.Wait()
	total.elapsed = time.Since(begin)
	if total.requests == 0 && total.firstErr != nil {
		return nil, fmt.Errorf("%s: %w", path, total.firstErr)
	}
	return &total, nil
}

func buildRequest(host, path, token string) []byte {
	var b bytes.Buffer
	b.WriteString("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: pbload\r\nAccept: */*\r\n")
	if token != "" {
		b.WriteString("Authorization: Bearer " + token + "\r\n")
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// worker is one connection: send, read the whole answer, repeat. A broken
// connection is re-dialled.
func worker(ctx context.Context, cfg config, req []byte, max int64, started *atomic.Int64) result {
	var r result
	r.lat = make([]time.Duration, 0, 1<<16)
	var conn net.Conn
	var br *bufio.Reader
	// cur is the connection as seen by the goroutine that stops a blocked
	// read when the run ends.
	var (
		curMu sync.Mutex
		cur   net.Conn
	)
	setConn := func(c net.Conn) {
		curMu.Lock()
		cur = c
		curMu.Unlock()
	}
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		select {
		case <-ctx.Done():
		case <-stop:
			return
		}
		curMu.Lock()
		if cur != nil {
			cur.SetDeadline(time.Now())
		}
		curMu.Unlock()
	}()
	for ctx.Err() == nil {
		if max > 0 && started.Add(1) > max {
			break
		}
		if conn == nil {
			c, err := net.DialTimeout("tcp", cfg.base.Host, cfg.timeout)
			if err != nil {
				r.errors++
				r.firstErr = cmpErr(r.firstErr, err)
				time.Sleep(10 * time.Millisecond)
				continue
			}
			conn, br = c, bufio.NewReaderSize(c, 64<<10)
			setConn(c)
		}
		t0 := time.Now()
		conn.SetDeadline(t0.Add(cfg.timeout))
		status, n, keep, err := roundTrip(conn, br, req)
		if err != nil {
			if ctx.Err() != nil {
				break // cut off by the end of the run: not an error
			}
			r.errors++
			r.firstErr = cmpErr(r.firstErr, err)
			conn.Close()
			conn = nil
			continue
		}
		d := time.Since(t0)
		r.requests++
		r.bytes += n
		if status < 200 || status > 299 {
			r.non2xx++
			if r.firstErr == nil {
				r.firstErr = fmt.Errorf("status %d", status)
			}
		}
		if len(r.lat) < maxSamples/max1(cfg.conns) {
			r.lat = append(r.lat, d)
		}
		if !keep {
			conn.Close()
			conn = nil
		}
	}
	return r
}

func max1(n int) int { return max(n, 1) }

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// roundTrip writes one request and reads the response: the status line,
// the headers and a body of Content-Length bytes or chunked.
func roundTrip(conn net.Conn, br *bufio.Reader, req []byte) (status int, n int64, keepAlive bool, err error) {
	if _, err := conn.Write(req); err != nil {
		return 0, 0, false, err
	}
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, 0, false, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, 0, false, fmt.Errorf("bad status line %q", line)
	}
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, 0, false, fmt.Errorf("bad status line %q", line)
	}
	length, chunked, keepAlive := int64(-1), false, true
	for {
		h, err := br.ReadSlice('\n')
		if err != nil {
			return 0, 0, false, err
		}
		h = bytes.TrimRight(h, "\r\n")
		if len(h) == 0 {
			break
		}
		k, v, _ := bytes.Cut(h, []byte(":"))
		v = bytes.TrimSpace(v)
		switch {
		case bytes.EqualFold(k, []byte("Content-Length")):
			if length, err = strconv.ParseInt(string(v), 10, 64); err != nil {
				return 0, 0, false, fmt.Errorf("bad Content-Length %q", v)
			}
		case bytes.EqualFold(k, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(v, []byte("chunked"))
		case bytes.EqualFold(k, []byte("Connection")):
			keepAlive = !bytes.EqualFold(v, []byte("close"))
		}
	}
	switch {
	case chunked:
		for {
			sz, err := br.ReadSlice('\n')
			if err != nil {
				return 0, 0, false, err
			}
			sz, _, _ = bytes.Cut(bytes.TrimRight(sz, "\r\n"), []byte(";"))
			c, err := strconv.ParseInt(string(sz), 16, 64)
			if err != nil {
				return 0, 0, false, fmt.Errorf("bad chunk size %q", sz)
			}
			if _, err := br.Discard(int(c) + 2); err != nil {
				return 0, 0, false, err
			}
			n += c
			if c == 0 {
				return status, n, keepAlive, nil
			}
		}
	case length >= 0:
		if _, err := br.Discard(int(length)); err != nil {
			return 0, 0, false, err
		}
		return status, length, keepAlive, nil
	default: // body until close
		m, err := io.Copy(io.Discard, br)
		return status, m, false, err
	}
}
