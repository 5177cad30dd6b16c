package store_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // zone tests must not depend on the machine's zoneinfo

	"github.com/packetbuddy/pb/internal/store"
	"github.com/packetbuddy/pb/internal/usage"
)

// clock is a settable Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// mustOpen opens a fresh database in a temporary directory, closed at the
// end of the test.
func mustOpen(tb testing.TB, c *clock) (*store.Store, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "pb.db")
	return mustOpenPath(tb, path, store.Options{Now: c.Now}), path
}

func mustOpenPath(tb testing.TB, path string, opt store.Options) *store.Store {
	tb.Helper()
	s, err := store.Open(context.Background(), path, opt)
	if err != nil {
		tb.Fatalf("Open(%s): %v", path, err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func mustFlush(tb testing.TB, s *store.Store, b usage.Batch) {
	tb.Helper()
	if err := s.Flush(context.Background(), b); err != nil {
		tb.Fatalf("Flush: %v", err)
	}
}

func utc(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, time.UTC)
}

var eth0 = usage.Interface{Name: "eth0", MAC: "02:00:00:00:00:01", Kind: "ethernet", Counted: true}

// delta is a Delta on eth0.
func delta(at time.Time, rx, tx uint64) usage.Delta {
	return usage.Delta{Iface: eth0.Name, MAC: eth0.MAC, Bucket: at, Totals: usage.Totals{Rx: rx, Tx: tx}}
}

func tot(rx, tx uint64) usage.Totals { return usage.Totals{Rx: rx, Tx: tx} }

var ctx = context.Background()
