package pgtest

import (
	"os"
	"path/filepath"
	"testing"
)

// record writes the package and the top-level test's name, once per call,
// from subtests too, so make test can run exactly these tests again.
func TestRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "record")
	t.Setenv("PB_TEST_PG_RECORD", path)
	record(t)
	t.Run("sub/test", func(t *testing.T) { record(t) })
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := "github.com/packetbuddy/pb/internal/pgtest TestRecord\n" +
		"github.com/packetbuddy/pb/internal/pgtest TestRecord\n"
	if string(b) != want {
		t.Errorf("recorded %q, want %q", b, want)
	}
}

// Without PB_TEST_PG_RECORD nothing is written.
func TestRecordOff(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("PB_TEST_PG_RECORD", "")
	record(t)
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
		t.Errorf("entries %v, %v; want none", entries, err)
	}
}

func TestPoolerURL(t *testing.T) {
	for _, c := range []struct{ url, port, want string }{
		{"", "", "postgres://postgres@127.0.0.1:6436/test?sslmode=disable"},
		{"", "7000", "postgres://postgres@127.0.0.1:7000/test?sslmode=disable"},
		{"postgres://u@pooler.example:6543/db", "7000", "postgres://u@pooler.example:6543/db"},
	} {
		t.Setenv("PB_TEST_POOLER_URL", c.url)
		t.Setenv("PB_PGBOUNCER_PORT", c.port)
		if got := PoolerURL(); got != c.want {
			t.Errorf("PB_TEST_POOLER_URL %q, PB_PGBOUNCER_PORT %q: PoolerURL() = %q, want %q", c.url, c.port, got, c.want)
		}
	}
}
