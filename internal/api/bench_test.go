package api

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/counter"
	"github.com/packetbuddy/pb/internal/monitor"
	"github.com/packetbuddy/pb/internal/store"
	"github.com/packetbuddy/pb/internal/store/storetest"
	"github.com/packetbuddy/pb/internal/usage"
)

// Benchmarks and the load server run on a 10-year database of three
// interfaces (every 15-minute bucket filled: the worst case), generated once
// per process into a temporary directory, or read from -bench.db.
var benchDB = flag.String("bench.db", "", "10-year database for benchmarks and TestLoad (generated when missing)")

var (
	benchOnce sync.Once
	benchPath string
	benchErr  error
)

// tenYearDB returns the path of the benchmark database.
func tenYearDB(tb testing.TB) string {
	tb.Helper()
	benchOnce.Do(func() {
		benchPath = *benchDB
		if benchPath == "" {
			dir, err := os.MkdirTemp("", "pb-bench-")
			if err != nil {
				benchErr = err
				return
			}
			benchPath = filepath.Join(dir, "pb.db")
		}
		if _, err := os.Stat(benchPath); err == nil {
			return
		}
		start := time.Now()
		benchErr = storetest.Generate(context.Background(), benchPath, 3, 10, time.Now(), 1)
		fmt.Fprintf(os.Stderr, "generated a 10-year, 3-interface database at %s in %v\n", benchPath, time.Since(start).Round(time.Millisecond))
	})
	if benchErr != nil {
		tb.Fatal(benchErr)
	}
	return benchPath
}

// benchServer is a server on the 10-year database with a fake monitor whose
// pending traffic sits in the current minute, like a running daemon's.
func benchServer(b *testing.B) (*Server, *fakeMonitor) {
	st, err := store.Open(context.Background(), tenYearDB(b), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	now := time.Now()
	mon := &fakeMonitor{
		live:   monitor.Live{Time: now, Total: monitor.Rate{RxPerSec: 1e6, TxPerSec: 1e5}, Interfaces: []monitor.IfaceRate{{Name: "eth0", Kind: "ethernet", Counted: true}}},
		status: monitor.Status{Started: now.Add(-time.Hour), LastFlush: now, LastPoll: now, Polls: 1},
		pending: []pendingDelta{
			{iface: "eth0", counted: true, bucket: now.UTC().Truncate(time.Minute), t: usage.Totals{Rx: 1000, Tx: 100}},
		},
	}
	srv, err := New(Deps{Store: st, Monitor: mon, Location: nyc, Hostname: "bench", OSType: "Linux", Version: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	return srv, mon
}

// BenchmarkEndpoints measures the full handler (middleware included) per
// request. "hot" is the steady state between two polls (cached rendering);
// "poll" re-renders every request (a new poll each time: pending part from
// memory, stored part cached); "flush" also re-reads the stored part (a
// flush before every request, the worst case).
func BenchmarkEndpoints(b *testing.B) {
	srv, mon := benchServer(b)
	h := srv.Handler()
	for _, target := range []string{"/api/today", "/api/month", "/api/summary", "/api/health", "/api/live", "/metrics", "/api/interfaces", "/api/days", "/api/top"} {
		for _, mode := range []string{"hot", "poll", "flush"} {
			b.Run(strings.TrimPrefix(target, "/")+"/"+mode, func(b *testing.B) {
				req := httptest.NewRequest("GET", target, nil)
				req.Host = testHost
				w := &discardWriter{h: http.Header{}}
				b.ReportAllocs()
				for b.Loop() {
					switch mode {
					case "poll":
						mon.mu.Lock()
						mon.status.Polls++
						mon.mu.Unlock()
					case "flush":
						mon.mu.Lock()
						mon.status.Polls++
						mon.status.LastFlush = mon.status.LastFlush.Add(time.Second)
						mon.mu.Unlock()
					}
					clear(w.h)
					w.code = 0
					h.ServeHTTP(w, req)
					if w.code != http.StatusOK {
						b.Fatalf("status %d", w.code)
					}
				}
			})
		}
	}
}

// discardWriter is a ResponseWriter that keeps only the status: the
// recorder's buffer copies would dominate the hot path.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return len(p), nil
}
func (w *discardWriter) WriteHeader(code int) { w.code = code }

// Flags of TestLoad.
var (
	loadServe    = flag.Duration("load.serve", 0, "TestLoad: serve the 10-year database for this long (0 skips the test)")
	loadAddr     = flag.String("load.addr", "127.0.0.1:0", "TestLoad: listen address (loopback)")
	loadAddrFile = flag.String("load.addrfile", "", "TestLoad: write the listening address to this file")
	loadBaseline = flag.Bool("load.baseline", false, "TestLoad: serve a constant 47-byte JSON answer from a bare net/http server instead, to measure the machine's ceiling")
)

// fakeReader is a counter reader with steady traffic (about 1 MB/s down and
// 100 KB/s up on eth0), so the real monitor polls, publishes and flushes as
// it would on a machine.
type fakeReader struct {
	start time.Time
}

func (r *fakeReader) Read(dst []counter.Counter) ([]counter.Counter, error) {
	el := uint64(time.Since(r.start) / time.Millisecond)
	return append(dst[:0],
		counter.Counter{Name: "eth0", RxBytes: 1<<40 + el*1000, TxBytes: 1<<39 + el*100},
		counter.Counter{Name: "lo", RxBytes: el * 10, TxBytes: el * 10},
	), nil
}

func (r *fakeReader) Info(name string) (counter.Info, error) {
	if name == "lo" {
		return counter.Info{Name: name, Kind: counter.KindLoopback, Bits: 64}, nil
	}
	return counter.Info{Name: name, MAC: "02:00:00:00:00:01", Kind: counter.KindEthernet, Bits: 64, SpeedBits: 1e9}, nil
}

// TestLoad serves a 10-year database through the real monitor (1 s polls,
// 30 s flushes) for -load.serve, for a load generator in another process:
//
//	go test ./internal/api -run TestLoad -count=1 -timeout 0 -args -load.serve 60s -load.addrfile /tmp/pb.addr
//	go run ./cmd/pbload -url "http://$(cat /tmp/pb.addr)" -c 32 -d 15s /api/today
//
// At the end it prints the process's memory (VmRSS, RssAnon) and request
// counts.
func TestLoad(t *testing.T) {
	if *loadServe <= 0 {
		t.Skip("set -load.serve to run the load server")
	}
	path := tenYearDB(t)
	st, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	mon := monitor.New(&fakeReader{}, st, nil, monitor.Config{
		PollInterval: time.Second, FlushInterval: 30 * time.Second, BootID: "load", Location: nyc,
	}, log)
	if err := mon.Start(ctx); err != nil {
		t.Fatal(err)
	}
	monDone := make(chan error, 1)
	go func() { monDone <- mon.Run(ctx) }()

	srv, err := New(Deps{Store: st, Monitor: mon, Location: nyc, Hostname: "load", OSType: "Linux", Version: "load", Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if *loadBaseline {
		body := []byte(`{"bytes_sent":0,"bytes_received":0,"total":0}` + "\n")
		srv.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", ctJSON)
			w.Write(body)
		})
	}
	// Count requests, to report the server's CPU time per request: unlike
	// req/s, that figure does not depend on what else runs on the machine.
	var served atomic.Int64
	inner := srv.handler
	srv.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		inner.ServeHTTP(w, r)
	})
	cpu0 := cpuTime()
	if err := srv.Open(*loadAddr); err != nil {
		t.Fatal(err)
	}
	if *loadAddrFile != "" {
		if err := os.WriteFile(*loadAddrFile, []byte(srv.Addr()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fmt.Fprintf(os.Stderr, "serving %s on http://%s for %v (GOMAXPROCS=%d)\n", path, srv.Addr(), *loadServe, runtime.GOMAXPROCS(0))
	fmt.Fprintf(os.Stderr, "memory after start: %s\n", memStatus())
	time.Sleep(*loadServe)
	fmt.Fprintf(os.Stderr, "memory after the load: %s\n", memStatus())
	if n := served.Load(); n > 0 {
		cpu := cpuTime() - cpu0
		fmt.Fprintf(os.Stderr, "served %d requests using %v of CPU: %.1f µs of CPU per request (monitor included)\n", n, cpu, float64(cpu.Microseconds())/float64(n))
	}
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	if err := srv.Close(sctx); err != nil {
		t.Error(err)
	}
	cancel()
	if err := <-monDone; err != nil {
		t.Error(err)
	}
}

// cpuTime is this process's user+system CPU time (Linux; 0 elsewhere).
func cpuTime() time.Duration {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0
	}
	// Fields after the command name (which is in parentheses): utime and
	// stime are the 12th and 13th, in clock ticks of 1/100 s.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	var ut, st int64
	fmt.Sscan(f[11], &ut)
	fmt.Sscan(f[12], &st)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// memStatus reads VmRSS, RssAnon and RssFile of this process (Linux).
func memStatus() string {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return "unavailable: " + err.Error()
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		for _, k := range []string{"VmRSS:", "RssAnon:", "RssFile:", "VmHWM:"} {
			if strings.HasPrefix(sc.Text(), k) {
				out = append(out, strings.Join(strings.Fields(sc.Text()), " "))
			}
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	out = append(out, fmt.Sprintf("Go heap in use %.1f MB", float64(ms.HeapInuse)/1e6))
	return strings.Join(out, ", ")
}

// BenchmarkStorage measures GET /api/storage (the full handler) and what
// /api/health adds per render for the 1.x storage fields, on the 10-year,
// 3-interface database: both read the trigger-kept row counts, so neither
// grows with the history.
func BenchmarkStorage(b *testing.B) {
	srv, _ := benchServer(b)
	h := srv.Handler()
	b.Run("api-storage", func(b *testing.B) {
		req := httptest.NewRequest("GET", "/api/storage", nil)
		req.Host = testHost
		w := &discardWriter{h: http.Header{}}
		b.ReportAllocs()
		for b.Loop() {
			clear(w.h)
			w.code = 0
			h.ServeHTTP(w, req)
			if w.code != http.StatusOK {
				b.Fatalf("status %d", w.code)
			}
		}
	})
	b.Run("health-fields", func(b *testing.B) {
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := srv.storageFields(ctx, 1<<20, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkMinutesDay is the minute view of the last 24 hours (1,440
// points of three interfaces from the fine tier) on the 10-year database,
// the whole request: query, JSON and writing. "query" is the query layer
// alone.
func BenchmarkMinutesDay(b *testing.B) {
	srv, _ := benchServer(b)
	h := srv.Handler()
	to := time.Now().Truncate(time.Minute)
	from := to.Add(-24 * time.Hour)
	b.Run("request", func(b *testing.B) {
		target := "/api/minutes?from=" + from.UTC().Format(time.RFC3339) + "&to=" + to.UTC().Format(time.RFC3339)
		req := httptest.NewRequest("GET", target, nil)
		req.Host = testHost
		w := &discardWriter{h: http.Header{}}
		b.ReportAllocs()
		for b.Loop() {
			clear(w.h)
			w.code = 0
			h.ServeHTTP(w, req)
			if w.code != http.StatusOK {
				b.Fatalf("status %d", w.code)
			}
		}
	})
	b.Run("query", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m, err := srv.q.Minutes(context.Background(), from, to, "")
			if err != nil || len(m.Points) != 1440 || m.Totals.Total() == 0 {
				b.Fatalf("%d points, %d bytes, %v", len(m.Points), m.Totals.Total(), err)
			}
		}
	})
}

// BenchmarkTrends is /api/trends on the 10-year database.
func BenchmarkTrends(b *testing.B) {
	srv, _ := benchServer(b)
	h := srv.Handler()
	req := httptest.NewRequest("GET", "/api/trends", nil)
	req.Host = testHost
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		w.code = 0
		h.ServeHTTP(w, req)
		if w.code != http.StatusOK {
			b.Fatalf("status %d", w.code)
		}
	}
}
