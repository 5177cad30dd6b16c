package logbuf

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// Loggers in many goroutines write while the test reads: every line
// arrives whole (run with -race to see the locking matter).
func TestBufferConcurrentLoggers(t *testing.T) {
	t.Parallel()
	var buf Buffer
	const writers, lines = 8, 200
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			log := slog.New(slog.NewTextHandler(&buf, nil))
			for i := range lines {
				log.Info("line", "writer", w, "i", i)
			}
		})
	}
	for range 50 {
		_ = buf.String() // reads race with the writes unless locked
	}
	wg.Wait()
	got := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(got) != writers*lines {
		t.Fatalf("%d lines, want %d", len(got), writers*lines)
	}
	seen := map[string]bool{}
	for _, l := range got {
		_, rest, ok := strings.Cut(l, "msg=line ")
		if !ok {
			t.Fatalf("torn line %q", l)
		}
		seen[rest] = true
	}
	for w := range writers {
		for i := range lines {
			if k := fmt.Sprintf("writer=%d i=%d", w, i); !seen[k] {
				t.Fatalf("line %q missing", k)
			}
		}
	}
}
