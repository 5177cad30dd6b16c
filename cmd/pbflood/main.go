// Command pbflood measures what a flood of keep-alive connections costs a
// running pb serve: it opens many connections to a loopback address, sends
// one GET on each and keeps it open, holds them, closes them all, and
// samples the server's memory (RssAnon and VmRSS from /proc/PID/status,
// Linux) once a second throughout.
//
//	pbflood -url http://127.0.0.1:7373 -pid 1234 -c 10000 -hold 30s -after 90s
//
// It prints the memory before, its peak, a line every 5 s, and how long
// after the release RssAnon took to come back to within -slack of where it
// started. It only talks to loopback addresses and is bounded in
// connections (at most 20,000) and time (each phase at most 10 minutes).
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	maxConns = 20_000
	maxPhase = 10 * time.Minute
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "pbflood:", err)
		os.Exit(1)
	}
}

type config struct {
	addr, host, path string
	conns            int
	hold, after      time.Duration
	pid              int
	control          int   // a second server that gets no connections; 0: none
	slack            int64 // bytes
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("pbflood", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rawURL := fs.String("url", "http://127.0.0.1:7373", "base URL of the server (loopback only)")
	path := fs.String("path", "/api/health", "path each connection asks once")
	conns := fs.Int("c", 10_000, "connections to open and hold")
	hold := fs.Duration("hold", 30*time.Second, "how long to hold them")
	after := fs.Duration("after", 90*time.Second, "how long to sample after closing them")
	pid := fs.Int("pid", 0, "the server's process id, for its memory (0: no memory samples)")
	control := fs.Int("control", 0, "the process id of an identical server started at the same time that gets no connections: its RssAnon over the same time is taken off, so the daemon's own drift (its first writes, say) is not taken for what the flood left (0: none)")
	slack := fs.Int64("slack", 1024, "KiB above the starting RssAnon that count as back")
	if err := fs.Parse(args); err != nil {
		return err
	}
	u, err := url.Parse(*rawURL)
	if err != nil || u.Scheme != "http" || u.Port() == "" {
		return fmt.Errorf("-url %q: want http://LOOPBACK-IP:PORT", *rawURL)
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-url %q: the host must be a loopback IP address", *rawURL)
	}
	switch {
	case *conns < 1 || *conns > maxConns:
		return fmt.Errorf("-c %d: use 1 to %d", *conns, maxConns)
	case *hold < 0 || *hold > maxPhase || *after < 0 || *after > maxPhase:
		return fmt.Errorf("-hold and -after: use 0 to %v", maxPhase)
	}
	cfg := config{addr: u.Host, host: u.Host, path: *path, conns: *conns, hold: *hold, after: *after, pid: *pid, control: *control, slack: *slack << 10}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return flood(ctx, cfg, stdout)
}

// sample is the server's memory at one moment, in bytes.
type sample struct {
	at            time.Duration // since the start
	anon, rss     int64
	ctlAnon       int64 // the control server's RssAnon (see config.control)
	phase         string
	conns, served int64
}

func flood(ctx context.Context, cfg config, out io.Writer) error {
	start := time.Now()
	var phase atomic.Value
	phase.Store("before")
	var held, served, refused, failed atomic.Int64
	var samples []sample
	var smu sync.Mutex
	take := func() {
		if cfg.pid == 0 {
			return
		}
		anon, rss, err := memory(cfg.pid)
		if err != nil {
			return
		}
		var ctl int64
		if cfg.control != 0 {
			if ctl, _, err = memory(cfg.control); err != nil {
				return
			}
		}
		smu.Lock()
		samples = append(samples, sample{at: time.Since(start), anon: anon, rss: rss, ctlAnon: ctl, phase: phase.Load().(string), conns: held.Load(), served: served.Load()})
		smu.Unlock()
	}
	take()
	before := last(&smu, &samples)
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				take()
			case <-stopSampling:
				return
			}
		}
	}()

	// Open: a few hundred dialers at a time, each connection asks once and
	// is then kept.
	phase.Store("open")
	req := "GET " + cfg.path + " HTTP/1.1\r\nHost: " + cfg.host + "\r\n\r\n"
	kept := make([]net.Conn, cfg.conns)
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for range 256 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= cfg.conns || ctx.Err() != nil {
					return
				}
				c, err := net.DialTimeout("tcp", cfg.addr, 10*time.Second)
				if err != nil {
					failed.Add(1)
					continue
				}
				held.Add(1)
				kept[i] = c
				if ask(c, req) {
					served.Add(1)
				} else {
					refused.Add(1)
				}
			}
		})
	}
	wg.Wait()
	opened := time.Since(start)
	fmt.Fprintf(out, "opened %d connections in %v: %d answered, %d closed or unanswered by the server, %d failed to connect\n",
		held.Load(), opened.Round(time.Millisecond), served.Load(), refused.Load(), failed.Load())

	phase.Store("hold")
	wait(ctx, cfg.hold)
	open := 0
	for _, c := range kept {
		if c != nil && stillOpen(c) {
			open++
		}
	}
	fmt.Fprintf(out, "after holding %v: %d of them still open on the server's side\n", cfg.hold, open)

	phase.Store("after")
	released := time.Since(start)
	for _, c := range kept {
		if c != nil {
			c.Close()
		}
	}
	held.Store(0)
	wait(ctx, cfg.after)
	close(stopSampling)
	<-sampled
	report(out, cfg, samples, before, released)
	return ctx.Err()
}

// ask sends req on c and reads the answer; false when the server closed
// the connection or did not answer within 10 s.
func ask(c net.Conn, req string) bool {
	c.SetDeadline(time.Now().Add(10 * time.Second))
	defer c.SetDeadline(time.Time{})
	if _, err := io.WriteString(c, req); err != nil {
		return false
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return false
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return err == nil && resp.StatusCode == http.StatusOK
}

// stillOpen is whether the server has not closed c: a read that times out
// at once instead of returning EOF.
func stillOpen(c net.Conn) bool {
	c.SetReadDeadline(time.Now().Add(time.Millisecond))
	var b [1]byte
	_, err := c.Read(b[:])
	return errors.Is(err, os.ErrDeadlineExceeded)
}

func wait(ctx context.Context, d time.Duration) {
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
}

func last(mu *sync.Mutex, s *[]sample) sample {
	mu.Lock()
	defer mu.Unlock()
	if len(*s) == 0 {
		return sample{}
	}
	return (*s)[len(*s)-1]
}

// memory reads RssAnon and VmRSS of pid from /proc (Linux).
func memory(pid int) (anon, rss int64, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0, err
	}
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "RssAnon:":
			anon = v << 10
		case "VmRSS:":
			rss = v << 10
		}
	}
	return anon, rss, nil
}

func report(out io.Writer, cfg config, samples []sample, before sample, released time.Duration) {
	if len(samples) == 0 {
		fmt.Fprintln(out, "no memory samples (no -pid, or /proc is not readable)")
		return
	}
	mb := func(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/1e6) }
	var peak sample
	back := time.Duration(-1)
	// excess is what the flood left: the rise since the start, less the
	// control server's rise over the same time.
	excess := func(s sample) int64 { return s.anon - before.anon - (s.ctlAnon - before.ctlAnon) }
	for _, s := range samples {
		if s.anon > peak.anon {
			peak = s
		}
		if s.at >= released && back < 0 && excess(s) <= cfg.slack {
			back = s.at - released
		}
		if s.at >= released && excess(s) > cfg.slack {
			back = -1 // went up again: not back yet
		}
	}
	fmt.Fprintf(out, "%8s %-7s %10s %10s", "time", "phase", "RssAnon", "VmRSS")
	if cfg.control != 0 {
		fmt.Fprintf(out, " %16s %10s", "control RssAnon", "excess")
	}
	fmt.Fprintln(out)
	for i, s := range samples {
		if i%5 == 0 || i == len(samples)-1 || s == peak {
			fmt.Fprintf(out, "%7.0fs %-7s %10s %10s", s.at.Seconds(), s.phase, mb(s.anon), mb(s.rss))
			if cfg.control != 0 {
				fmt.Fprintf(out, " %16s %10s", mb(s.ctlAnon), mb(excess(s)))
			}
			fmt.Fprintln(out)
		}
	}
	end := samples[len(samples)-1]
	fmt.Fprintf(out, "RssAnon before %s, peak %s (VmRSS %s) at %.0f s (%s), end %s (VmRSS before %s, end %s)\n",
		mb(before.anon), mb(peak.anon), mb(peak.rss), peak.at.Seconds(), peak.phase, mb(end.anon), mb(before.rss), mb(end.rss))
	than := "the start"
	if cfg.control != 0 {
		fmt.Fprintf(out, "control RssAnon before %s, end %s; what the flood left at the end: %s\n", mb(before.ctlAnon), mb(end.ctlAnon), mb(excess(end)))
		than = "the start (less the control's rise)"
	}
	if back >= 0 {
		fmt.Fprintf(out, "back within %d KiB of %s %.0f s after the release\n", cfg.slack>>10, than, back.Seconds())
	} else {
		fmt.Fprintf(out, "not back within %d KiB of %s %.0f s after the release\n", cfg.slack>>10, than, cfg.after.Seconds())
	}
}
