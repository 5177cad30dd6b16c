//go:build linux

package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/logbuf"
	"github.com/packetbuddy/pb/internal/netlab"
)

// TestLiveRealDaemon runs pb serve (the real monitor on a real store) and
// pb live in a pseudo-terminal while real traffic crosses a veth pair: the
// view shows the veth's speed change, and q ends it.
func TestLiveRealDaemon(t *testing.T) {
	lab := netlab.New(t)
	lab.WaitQuiet(t)
	dataDir := t.TempDir()
	cfg := "[monitoring]\npoll_interval = \"200ms\"\nbatch_write_interval = \"1s\"\n"
	if err := os.WriteFile(filepath.Join(dataDir, "config.toml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	base, stop := startServe(t, dataDir)
	defer stop()
	port := base[strings.LastIndex(base, ":")+1:]

	master, slave := openPTY(t)
	var mu sync.Mutex
	var screen bytes.Buffer
	go func() {
		b := make([]byte, 4096)
		for {
			n, err := master.Read(b)
			mu.Lock()
			screen.Write(b[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	var stderr logbuf.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Run(context.Background(), []string{"live", "--data-dir", dataDir, "-i", lab.HostIf}, Env{Stdin: slave, Stdout: slave, Stderr: &stderr,
			Getenv: func(k string) string {
				if k == "PB_API_PORT" {
					return port
				}
				return ""
			}})
	}()
	seen := func() string { mu.Lock(); defer mu.Unlock(); return screen.String() }
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(seen(), lab.HostIf) {
		if time.Now().After(deadline) {
			t.Fatalf("pb live never showed %s:\n%q\n%s", lab.HostIf, seen(), stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Traffic for a while: at least one frame must show the veth moving
	// megabytes per second, and a later quiet frame less.
	for range 6 {
		lab.Transfer(t, 8<<20, 8<<20)
	}
	lab.WaitQuiet(t)
	time.Sleep(600 * time.Millisecond)
	speeds := regexp.MustCompile(regexp.QuoteMeta(lab.HostIf)+`\s+\S+\s+([\d.]+ [KMG]?B/s)`).FindAllStringSubmatch(seen(), -1)
	distinct := map[string]bool{}
	fast := false
	for _, m := range speeds {
		distinct[m[1]] = true
		fast = fast || strings.HasSuffix(m[1], " MB/s") || strings.HasSuffix(m[1], " GB/s")
	}
	if !fast || len(distinct) < 2 {
		t.Fatalf("speeds of %s seen: %v; want megabytes per second and changing values", lab.HostIf, distinct)
	}
	master.Write([]byte("q"))
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("pb live exited %d: %s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("pb live did not quit on q")
	}
	t.Logf("%d frames, speeds %v; last frame:\n%s", len(speeds), distinct, lastFrame(seen()))
}
