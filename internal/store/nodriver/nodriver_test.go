// Package nodriver_test opens a store in a program that registers no SQLite
// driver, which no other test binary can do: store imports none itself, and
// every other package's tests register one.
package nodriver_test

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/packetbuddy/pb/internal/store"
)

// TestOpenWithoutDriver: without a driver, Open and Check fail before
// touching any file, with an error naming the package to import.
func TestOpenWithoutDriver(t *testing.T) {
	if slices.Contains(sql.Drivers(), "sqlite") {
		t.Fatalf("a sqlite driver is registered (%v): store or one of its imports registers one, or this test imports one", sql.Drivers())
	}
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, "pb.db")
	for _, ro := range []bool{false, true} {
		s, err := store.Open(ctx, path, store.Options{ReadOnly: ro})
		if err == nil {
			s.Close()
			t.Fatalf("Open (read-only %v) succeeded without a driver", ro)
		}
		if !errors.Is(err, store.ErrNoDriver) {
			t.Errorf("Open (read-only %v): %v, want ErrNoDriver", ro, err)
		}
		want := `store: open ` + path + `: no SQLite driver registered: import _ "github.com/packetbuddy/pb/internal/sqlite"`
		if err.Error() != want {
			t.Errorf("Open (read-only %v):\n got %s\nwant %s", ro, err, want)
		}
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open without a driver created %s: %v", dir, err)
	}
	if err := store.Check(ctx, path); !errors.Is(err, store.ErrNoDriver) || !strings.Contains(err.Error(), "internal/sqlite") {
		t.Errorf("Check: %v, want ErrNoDriver naming internal/sqlite", err)
	}
}
