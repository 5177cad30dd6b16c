package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// driverName is the database/sql driver store opens. The package registers
// no driver itself (see package internal/sqlite): whoever wires a Store
// imports one for effect.
const driverName = "sqlite"

// driverPackage is what a program imports to register driverName.
const driverPackage = "github.com/packetbuddy/pb/internal/sqlite"

// DefaultFineRetentionDays is how long the fine (1-minute) tier is kept when
// Options.FineRetentionDays is 0.
const DefaultFineRetentionDays = 7

// pageSize is the page size of a new database. Every commit appends each
// page it changed to the WAL, and a steady flush changes the last leaf of
// about seven tables. With 1 KiB pages a flush writes ~9 KB including
// checkpoints (0.3 KB/s at one flush per 30 s, inside the 0.5 KB/s budget);
// with SQLite's default 4 KiB pages it wrote 41 KB (1.4 KB/s). The price,
// measured on a ten-year database: long range scans are ~25-35% slower (more
// pages to step through), the file is the same size.
const pageSize = "1024"

// applicationID is PRAGMA application_id of a PacketBuddy database ("PBdb").
const applicationID = 0x50426462

// Errors a caller may test with errors.Is.
var (
	// ErrReadOnly is returned by writes on a store opened with ReadOnly.
	ErrReadOnly = errors.New("database opened read-only")
	// ErrNewerSchema means the database was migrated by a newer pb.
	ErrNewerSchema = errors.New("database schema is newer than this build")
	// ErrNotPacketBuddy means the file is a SQLite database of something else,
	// or an empty one nobody initialised.
	ErrNotPacketBuddy = errors.New("not a PacketBuddy database")
	// ErrNotSQLite means the file is not a SQLite database at all.
	ErrNotSQLite = errors.New("not a SQLite database")
	// ErrDamaged means SQLite found the file corrupt (a damaged page).
	ErrDamaged = errors.New("the database is damaged")
	// ErrNoDriver means no database/sql driver named "sqlite" is
	// registered: the program must import one for effect.
	ErrNoDriver = errors.New(`no SQLite driver registered: import _ "` + driverPackage + `"`)
)

// checkDriver returns ErrNoDriver unless driverName is registered, so that
// a program wired without a driver fails before any file is touched, with
// an error saying what to import.
func checkDriver() error {
	if !slices.Contains(sql.Drivers(), driverName) {
		return ErrNoDriver
	}
	return nil
}

// Options configure Open.
type Options struct {
	// FineRetentionDays is how many days Prune keeps of the 1-minute tier;
	// 0 means DefaultFineRetentionDays.
	FineRetentionDays int
	// ReadOnly opens an existing database for queries only (mode=ro): no
	// file is created, nothing is migrated, every write returns ErrReadOnly.
	ReadOnly bool
	// Now is the clock used for writes (first/last seen, pruning); nil means
	// time.Now.
	Now func() time.Time
}

// Store is an open PacketBuddy database. It is safe for concurrent use.
//
// A writable Store holds two pools: one connection for writes (there is only
// one writer) and a small pool of read-only connections for queries, so
// queries never wait behind a flush.
type Store struct {
	path          string
	now           func() time.Time
	fineRetention time.Duration
	w             *sql.DB // nil when read-only
	r             *sql.DB
	dayCache      dayCache
}

// Open opens the database at path. Unless opt.ReadOnly, it creates the file
// (mode 0600; the parent directory 0700 when missing) and applies pending
// migrations. It refuses a database written by a newer PacketBuddy, a foreign
// SQLite database and a file that is not SQLite, with errors that say so
// (ErrNewerSchema, ErrNotPacketBuddy, ErrNotSQLite).
func Open(ctx context.Context, path string, opt Options) (*Store, error) {
	if err := checkDriver(); err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if opt.FineRetentionDays < 0 {
		return nil, fmt.Errorf("store: open: fine retention of %d days is negative", opt.FineRetentionDays)
	}
	if opt.FineRetentionDays == 0 {
		opt.FineRetentionDays = DefaultFineRetentionDays
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s := &Store{
		path:          abs,
		now:           opt.Now,
		fineRetention: time.Duration(opt.FineRetentionDays) * 24 * time.Hour,
	}
	if err := s.open(ctx, opt.ReadOnly); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: open %s: %w", abs, err)
	}
	return s, nil
}

func (s *Store) open(ctx context.Context, readOnly bool) error {
	if readOnly {
		if _, err := os.Stat(s.path); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("no database yet (has the PacketBuddy daemon run?): %w", fs.ErrNotExist)
			}
			return err
		}
	} else if err := createFile(s.path); err != nil {
		return err
	}
	size, err := checkHeader(s.path)
	if err != nil {
		return err
	}
	fresh := false
	if size > 0 {
		info, err := probe(ctx, s.path)
		if err != nil {
			return err
		}
		if err := info.check(); err != nil {
			return err
		}
		fresh = info.empty()
	} else {
		fresh = true
	}
	if readOnly {
		if fresh {
			return fmt.Errorf("empty database, not yet initialised by the PacketBuddy daemon: %w", ErrNotPacketBuddy)
		}
	} else {
		if err := narrowMode(s.path); err != nil { // ours (or new): only our user may read it
			return err
		}
		s.w, err = sql.Open(driverName, dsn(s.path, false))
		if err != nil {
			return err
		}
		s.w.SetMaxOpenConns(1)
		s.w.SetMaxIdleConns(1)
		s.w.SetConnMaxLifetime(0)
		s.w.SetConnMaxIdleTime(0)
		if err := s.migrate(ctx); err != nil {
			return sqliteErr(err)
		}
	}
	s.r, err = sql.Open(driverName, dsn(s.path, true))
	if err != nil {
		return err
	}
	// Queries are short; a few connections serve concurrent API requests, and
	// only one stays open when idle (each holds up to 256 KiB of page cache).
	s.r.SetMaxOpenConns(4)
	s.r.SetMaxIdleConns(1)
	s.r.SetConnMaxIdleTime(time.Minute)
	if readOnly {
		// A reader must agree on the schema it is going to query.
		var v int
		if err := s.r.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
			return sqliteErr(err)
		}
		if v != schemaVersion() {
			return fmt.Errorf("database schema %d, this build knows %d: start the daemon of this version once to upgrade it", v, schemaVersion())
		}
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error {
	var errs []error
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// Path returns the absolute path of the database file.
func (s *Store) Path() string { return s.path }

// dsn is the data source name for path, in modernc.org/sqlite's syntax.
// Writers get WAL and the durability settings; readers open with mode=ro so
// they can never change the file (not even its journal mode).
func dsn(path string, readOnly bool) string {
	u := fileURI(path)
	q := []string{
		"_pragma=busy_timeout(5000)",
		"_pragma=cache_size(-256)",
		"_pragma=foreign_keys(1)",
	}
	if readOnly {
		q = append(q, "mode=ro")
	} else {
		q = append(q,
			"_pragma=page_size("+pageSize+")", // takes effect on a new file only
			"_journal_mode=WAL",               // applied after the _pragma list, so page_size comes first
			"_pragma=synchronous(NORMAL)",
			"_pragma=journal_size_limit(4194304)",
			// SQLite's default checkpoint (every 1,000 WAL pages: the -wal
			// file stays under ~1 MB, checkpointed about hourly at rest) is
			// kept on purpose: a checkpoint every 100 pages kept it near
			// 100 KB but raised the daemon's write_bytes from 666 to 887 B/s
			// (scripts/measure-idle.sh 240), as each checkpoint dirties
			// whole 4 KiB file pages for 1 KiB database pages.
			"_txlock=immediate",
		)
	}
	return u + "?" + strings.Join(q, "&")
}

// createFile creates path with mode 0600 (and its directory with 0700) if
// missing. An existing directory is left as it is: where it lives and who may
// list it is the caller's business.
func createFile(path string) error {
	dir := filepath.Dir(path)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	return f.Close()
}

// narrowMode sets an existing database file that others may read to 0600.
// SQLite creates the -wal and -shm files with the database file's mode.
func narrowMode(path string) error {
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm()&0o077 == 0 {
		return err
	}
	return os.Chmod(path, 0o600)
}

// checkHeader returns the file size and ErrNotSQLite when a non-empty file
// does not start with the SQLite magic.
func checkHeader(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if fi.Size() == 0 {
		return 0, nil
	}
	magic := []byte("SQLite format 3\x00")
	buf := make([]byte, len(magic))
	if _, err := io.ReadFull(f, buf); err != nil || !bytes.Equal(buf, magic) {
		return fi.Size(), fmt.Errorf("the file is %w", ErrNotSQLite)
	}
	return fi.Size(), nil
}

// dbInfo is what probe learns of an existing file.
type dbInfo struct {
	appID, version, objects int
}

func (i dbInfo) empty() bool { return i.appID == 0 && i.version == 0 && i.objects == 0 }

func (i dbInfo) check() error {
	switch {
	case i.empty():
		return nil
	case i.appID != applicationID:
		return fmt.Errorf("the file is a SQLite database but %w", ErrNotPacketBuddy)
	case i.version > schemaVersion():
		return fmt.Errorf("database was written by a newer PacketBuddy (schema %d, this build knows %d): upgrade pb: %w",
			i.version, schemaVersion(), ErrNewerSchema)
	}
	return nil
}

// probe reads the identity of an existing database through a read-only
// connection that sets no pragma, so a foreign file is never modified.
func probe(ctx context.Context, path string) (dbInfo, error) {
	var info dbInfo
	db, err := sql.Open(driverName, fileURI(path)+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return info, err
	}
	defer db.Close()
	err = db.QueryRowContext(ctx, `SELECT (SELECT application_id FROM pragma_application_id),
		(SELECT user_version FROM pragma_user_version),
		(SELECT count(*) FROM sqlite_schema)`).Scan(&info.appID, &info.version, &info.objects)
	return info, sqliteErr(err)
}

// fileURI is the SQLite URI of an absolute path, escaped so that '?', '#'
// and '%' in a directory name cannot be taken for URI syntax.
func fileURI(path string) string {
	p := filepath.ToSlash(path)
	if !strings.HasPrefix(p, "/") { // C:/... on Windows
		p = "/" + p
	}
	return "file:" + (&url.URL{Path: p}).EscapedPath()
}

// SQLite's primary result codes (https://sqlite.org/rescode.html), stable
// across versions and drivers. An extended code carries its primary code in
// its low 8 bits (SQLITE_CORRUPT_INDEX = 779 = 11 | 3<<8).
const (
	codeCorrupt = 11 // SQLITE_CORRUPT: "database disk image is malformed"
	codeNotADB  = 26 // SQLITE_NOTADB: "file is not a database"
)

// resultCoder is an error carrying SQLite's (extended) result code, as the
// driver's error type does (modernc.org/sqlite's *Error.Code), without
// naming the driver.
type resultCoder interface {
	error
	Code() int
}

// sqliteErr turns SQLite's "file is not a database" into ErrNotSQLite and
// "database disk image is malformed" into ErrDamaged.
func sqliteErr(err error) error {
	var se resultCoder
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case codeNotADB:
			return fmt.Errorf("the file is %w (%v)", ErrNotSQLite, err)
		case codeCorrupt:
			return fmt.Errorf("%w (%v)", ErrDamaged, err)
		}
	}
	return err
}

// Check runs SQLite's PRAGMA quick_check on the database at path through a
// read-only connection, so a damaged file is never written. It returns an
// error wrapping ErrDamaged, with the first problems SQLite names, when the
// file is corrupt. quick_check reads every page (a ten-year database of
// three interfaces, 30 MB, takes about a second); ctx bounds it, and when
// ctx ends first the error wraps ctx's error: the file was not fully
// checked.
func Check(ctx context.Context, path string) error {
	if err := checkDriver(); err != nil {
		return fmt.Errorf("store: check %s: %w", path, err)
	}
	db, err := sql.Open(driverName, fileURI(path)+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return fmt.Errorf("store: check %s: %w", path, err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "PRAGMA quick_check(5)")
	if err != nil {
		return fmt.Errorf("store: check %s: %w", path, ctxErr(ctx, sqliteErr(err)))
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return fmt.Errorf("store: check %s: %w", path, ctxErr(ctx, sqliteErr(err)))
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: check %s: %w", path, ctxErr(ctx, sqliteErr(err)))
	}
	if len(problems) > 0 {
		return fmt.Errorf("store: check %s: %w (%s)", path, ErrDamaged, strings.Join(problems, "; "))
	}
	return nil
}

// ctxErr prefers ctx's error: an interrupted statement reports only that
// it was interrupted.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil && !errors.Is(err, ErrDamaged) {
		return fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	return err
}

// rollback ends tx after a failure; the failure, not the rollback's, is what
// the caller reports.
func rollback(tx *sql.Tx) { _ = tx.Rollback() }

// readTx starts a read transaction on the reader pool, so a query made of
// several statements sees one consistent snapshot.
func (s *Store) readTx(ctx context.Context) (*sql.Tx, error) {
	return s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
}

// writeTx starts a write transaction (BEGIN IMMEDIATE) on the writer.
func (s *Store) writeTx(ctx context.Context) (*sql.Tx, error) {
	if s.w == nil {
		return nil, ErrReadOnly
	}
	return s.w.BeginTx(ctx, nil)
}

// DamagedAdvice is what to do about a damaged database file at path: pb
// never writes to it, so the history in its undamaged pages can still be
// recovered into a new file.
func DamagedAdvice(path string) string {
	return fmt.Sprintf("stop pb serve, move the file aside (mv %[1]s %[1]s.damaged) and recover what is readable into a new one "+
		"(sqlite3 %[1]s.damaged .recover | sqlite3 %[1]s), then start pb serve again; starting without it begins an empty history", path)
}
