package cli

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/store/storetest"
)

// BenchmarkStatus runs the whole of "pb status" (config, asking a daemon
// that is not there, opening the database read-only and reading its
// statistics) on a generated 10-year, 3-interface database. PB_BENCH_DB
// names a kept copy (generated when missing; it must be called pb.db).
func BenchmarkStatus(b *testing.B) {
	path := os.Getenv("PB_BENCH_DB")
	if path == "" {
		path = filepath.Join(b.TempDir(), dbFile)
	}
	if filepath.Base(path) != dbFile {
		b.Fatalf("PB_BENCH_DB must name a file called %s, got %s", dbFile, path)
	}
	if _, err := os.Stat(path); err != nil {
		if err := storetest.Generate(context.Background(), path, 3, 10, time.Now(), 1); err != nil {
			b.Fatal(err)
		}
	}
	// A port nobody listens on: the health request is refused at once.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	vars := map[string]string{"PB_DATA_DIR": filepath.Dir(path), "PB_API_PORT": port, "NO_COLOR": "1"}
	var out bytes.Buffer
	env := Env{Stdout: &out, Stderr: &out, Getenv: func(k string) string { return vars[k] }}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		out.Reset()
		if code := Run(ctx, []string{"status"}, env); code != 0 {
			b.Fatalf("pb status exited %d:\n%s", code, out.String())
		}
	}
	if !strings.Contains(out.String(), "not running") || !strings.Contains(out.String(), "Database") {
		b.Fatalf("unexpected output:\n%s", out.String())
	}
}
