package store_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/store"
	"github.com/packetbuddy/pb/internal/store/storetest"
	"github.com/packetbuddy/pb/internal/usage"
)

func TestReadOnlyWhileWriterOpen(t *testing.T) {
	t0 := utc(2024, 5, 1, 11, 0)
	c := newClock(t0)
	w, path := mustOpen(t, c)
	mustFlush(t, w, usage.Batch{Interfaces: []usage.Interface{eth0}, Deltas: []usage.Delta{delta(t0, 1, 2)}})

	r := mustOpenPath(t, path, store.Options{ReadOnly: true})
	check := func(want usage.Totals) {
		t.Helper()
		got, err := r.Totals(ctx, t0, t0.Add(time.Hour), usage.Filter{})
		if err != nil || got != want {
			t.Fatalf("reader totals = %+v, %v; want %+v", got, err, want)
		}
	}
	check(tot(1, 2))
	// The writer keeps writing; the reader sees each commit.
	mustFlush(t, w, usage.Batch{Deltas: []usage.Delta{delta(t0.Add(time.Minute), 10, 20)}})
	check(tot(11, 22))

	if err := r.Flush(ctx, usage.Batch{}); !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("read-only Flush: %v, want ErrReadOnly", err)
	}
	if _, err := r.Prune(ctx); !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("read-only Prune: %v, want ErrReadOnly", err)
	}
	if err := r.ApplyPolicy(ctx, usage.Policy{}.Counted); !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("read-only ApplyPolicy: %v, want ErrReadOnly", err)
	}
	if err := r.AddHistory(ctx, eth0, []usage.Delta{delta(t0, 1, 1)}); !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("read-only AddHistory: %v, want ErrReadOnly", err)
	}
	// A second writer-side store opened read-only after more writes agrees.
	if r.Path() != path {
		t.Errorf("Path() = %q, want %q", r.Path(), path)
	}
}

func TestOpenRefuses(t *testing.T) {
	// rawDB makes a SQLite file by hand.
	rawDB := func(t *testing.T, path string, stmts ...string) {
		t.Helper()
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for _, s := range stmts {
			if _, err := db.Exec(s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
	}
	tests := []struct {
		name    string
		setup   func(t *testing.T, path string)
		want    error
		message string
	}{
		{"text file", func(t *testing.T, path string) {
			os.WriteFile(path, []byte("hello, this is not a database at all, but it is long enough\n"), 0o600)
		}, store.ErrNotSQLite, "not a SQLite database"},
		{"short file", func(t *testing.T, path string) {
			os.WriteFile(path, []byte("SQLite"), 0o600)
		}, store.ErrNotSQLite, "not a SQLite database"},
		{"SQLite magic over a garbage header", func(t *testing.T, path string) {
			// The magic passes store's own header check; SQLite itself then
			// answers SQLITE_NOTADB, which the store classifies by its
			// result code, whatever the driver's error type.
			b := make([]byte, 4096)
			for i := range b {
				b[i] = byte(0x5A ^ i)
			}
			copy(b, "SQLite format 3\x00")
			os.WriteFile(path, b, 0o600)
		}, store.ErrNotSQLite, "not a SQLite database (file is not a database"},
		{"foreign SQLite database", func(t *testing.T, path string) {
			rawDB(t, path, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)", "INSERT INTO notes (body) VALUES ('mine')")
		}, store.ErrNotPacketBuddy, "SQLite database but not a PacketBuddy database"},
		{"foreign database with our user_version", func(t *testing.T, path string) {
			rawDB(t, path, "CREATE TABLE notes (id INTEGER PRIMARY KEY)", "PRAGMA user_version = 1")
		}, store.ErrNotPacketBuddy, "not a PacketBuddy database"},
		{"newer schema", func(t *testing.T, path string) {
			s := mustOpenPath(t, path, store.Options{})
			s.Close()
			rawDB(t, path, "PRAGMA user_version = 99")
		}, store.ErrNewerSchema, "database was written by a newer PacketBuddy (schema 99, this build knows 10): upgrade pb"},
	}
	for _, tc := range tests {
		for _, ro := range []bool{false, true} {
			name := tc.name + " writer"
			if ro {
				name = tc.name + " read-only"
			}
			t.Run(name, func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "pb.db")
				tc.setup(t, path)
				os.Chmod(path, 0o644)
				before, _ := os.ReadFile(path)
				s, err := store.Open(ctx, path, store.Options{ReadOnly: ro})
				if err == nil {
					s.Close()
					t.Fatal("Open succeeded")
				}
				if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.message) {
					t.Errorf("Open: %v\nwant errors.Is %v and the message %q", err, tc.want, tc.message)
				}
				if !strings.Contains(err.Error(), path) {
					t.Errorf("error %q does not name the file", err)
				}
				// Refusing must not modify someone else's file.
				if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
					t.Error("the refused file was modified")
				}
				if fi, _ := os.Stat(path); runtime.GOOS != "windows" && fi.Mode().Perm() != 0o644 {
					t.Errorf("the refused file's mode changed to %v", fi.Mode())
				}
				if _, err := os.Stat(path + "-wal"); err == nil && tc.want != store.ErrNewerSchema {
					t.Error("the refused file got a WAL")
				}
			})
		}
	}

	t.Run("read-only missing file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "nope", "pb.db")
		_, err := store.Open(ctx, path, store.Options{ReadOnly: true})
		if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "no database yet") {
			t.Errorf("Open: %v, want a clear fs.ErrNotExist", err)
		}
		if _, err := os.Stat(filepath.Dir(path)); err == nil {
			t.Error("read-only open created the directory")
		}
	})
	t.Run("read-only empty file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "pb.db")
		os.WriteFile(path, nil, 0o600)
		_, err := store.Open(ctx, path, store.Options{ReadOnly: true})
		if !errors.Is(err, store.ErrNotPacketBuddy) || !strings.Contains(err.Error(), "not yet initialised") {
			t.Errorf("Open: %v", err)
		}
	})
	t.Run("negative retention", func(t *testing.T) {
		if _, err := store.Open(ctx, filepath.Join(t.TempDir(), "pb.db"), store.Options{FineRetentionDays: -1}); err == nil {
			t.Error("negative retention accepted")
		}
	})
}

func TestFileModes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no unix modes")
	}
	t0 := utc(2024, 5, 1, 11, 0)
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, "pb.db")
	s := mustOpenPath(t, path, store.Options{Now: newClock(t0).Now})
	mustFlush(t, s, usage.Batch{Deltas: []usage.Delta{delta(t0, 1, 1)}})
	for p, want := range map[string]fs.FileMode{dir: 0o700 | fs.ModeDir, path: 0o600, path + "-wal": 0o600, path + "-shm": 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", filepath.Base(p), fi.Mode(), want)
		}
	}
	s.Close()

	// An existing file that is too open is narrowed; an existing directory
	// is the caller's business and left alone.
	os.Chmod(path, 0o644)
	os.Chmod(dir, 0o755)
	mustOpenPath(t, path, store.Options{}).Close()
	if fi, _ := os.Stat(path); fi.Mode() != 0o600 {
		t.Errorf("reopened file mode %v, want 0600", fi.Mode())
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o755 {
		t.Errorf("existing dir mode changed to %v", fi.Mode())
	}
}

func TestPathWithURICharacters(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a ?b#c%20d")
	path := filepath.Join(dir, "pb.db")
	t0 := utc(2024, 5, 1, 11, 0)
	s := mustOpenPath(t, path, store.Options{Now: newClock(t0).Now})
	mustFlush(t, s, usage.Batch{Deltas: []usage.Delta{delta(t0, 1, 1)}})
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not at %q: %v", path, err)
	}
	r := mustOpenPath(t, path, store.Options{ReadOnly: true})
	if got, err := r.Lifetime(ctx, usage.Filter{}); err != nil || got != tot(1, 1) {
		t.Errorf("lifetime = %+v, %v", got, err)
	}
}

func TestReopenKeepsData(t *testing.T) {
	t0 := utc(2024, 5, 1, 11, 0)
	s, path := mustOpen(t, newClock(t0))
	mustFlush(t, s, usage.Batch{Deltas: []usage.Delta{delta(t0, 1, 1)}})
	s.Close()
	s = mustOpenPath(t, path, store.Options{}) // migrations are not re-applied
	mustFlush(t, s, usage.Batch{Deltas: []usage.Delta{delta(t0, 1, 1)}})
	if got, _ := s.Lifetime(ctx, usage.Filter{}); got != tot(2, 2) {
		t.Errorf("lifetime = %+v, want {2 2}", got)
	}
	st, err := s.Stats(ctx)
	if err != nil || st.SchemaVersion != 10 || !st.CreatedAt.Equal(t0) {
		t.Errorf("stats = %+v, %v", st, err)
	}
}

// TestConcurrentUse: the daemon flushes while API requests query the same
// Store and a CLI reads through its own read-only Store.
func TestConcurrentUse(t *testing.T) {
	t0 := utc(2024, 5, 1, 0, 0)
	c := newClock(t0)
	w, path := mustOpen(t, c)
	r := mustOpenPath(t, path, store.Options{ReadOnly: true, Now: c.Now})
	const flushes = 50
	done := make(chan error, 8)
	go func() {
		for i := range flushes {
			at := t0.Add(time.Duration(i) * time.Minute)
			if err := w.Flush(ctx, usage.Batch{Interfaces: []usage.Interface{eth0}, Deltas: []usage.Delta{delta(at, 1, 1)}}); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for _, s := range []*store.Store{w, w, r, r} {
		go func() {
			for range 30 {
				if _, err := s.Totals(ctx, t0, t0.Add(24*time.Hour), usage.Filter{}); err != nil {
					done <- err
					return
				}
				if _, err := s.TopDays(ctx, 3, time.UTC, usage.Filter{}); err != nil {
					done <- err
					return
				}
				if _, err := s.Days(ctx, date(2024, 4, 30), date(2024, 5, 2), time.UTC, usage.Filter{}); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 5 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []*store.Store{w, r} {
		if got, err := s.Totals(ctx, t0, t0.Add(24*time.Hour), usage.Filter{}); err != nil || got != tot(flushes, flushes) {
			t.Errorf("after the flushes: %+v, %v", got, err)
		}
	}
}

// TestCheckFindsADamagedPage: Check passes a healthy database, names the
// damage of a broken one without changing a byte of it, and the queries on
// it fail with ErrDamaged (which the CLI and the API turn into "the
// database is damaged").
func TestCheckFindsADamagedPage(t *testing.T) {
	c := newClock(utc(2024, 5, 1, 12, 0))
	s, path := mustOpen(t, c)
	mustFlush(t, s, usage.Batch{Interfaces: []usage.Interface{eth0}, Deltas: []usage.Delta{delta(utc(2024, 5, 1, 11, 0), 100, 10)}})
	s.Close()
	if err := store.Check(ctx, path); err != nil {
		t.Fatalf("healthy database: %v", err)
	}
	if _, err := storetest.Damage(path, "interfaces"); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	err = store.Check(ctx, path)
	if !errors.Is(err, store.ErrDamaged) {
		t.Fatalf("Check of a damaged database: %v, want ErrDamaged", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := store.Check(cancelled, path); !errors.Is(err, context.Canceled) {
		t.Errorf("Check with a cancelled context: %v, want context.Canceled", err)
	}
	r, err := store.Open(ctx, path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.InterfaceLifetimes(ctx); !errors.Is(err, store.ErrDamaged) {
		t.Errorf("query on a damaged database: %v, want ErrDamaged", err)
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("checking and reading changed the damaged file")
	}
}
