// Package pgtest gives tests their own place on the test PostgreSQL server:
// PB_TEST_DATABASE_URL, or postgres@127.0.0.1:5432/test with trust auth.
// Without a server the test is skipped, except under CI=true, where it
// fails.
//
// When PB_TEST_POOLER_URL is set (make test sets it for a second run of
// the packages that use this one), every URL Schema returns goes through
// that connection pooler (PgBouncer in transaction mode, started by
// scripts/pgbouncer-test.sh), so the same tests prove pb works through the
// pooled endpoints Neon and Supabase show first. A test then has a
// database of its own: set up and check its tables with Connect(t, url),
// not Admin, whose connection is to the base database.
//
// When PB_TEST_PG_RECORD names a file, every test that calls Admin,
// Schema, Pool or StatementPoolerURL appends its package and top-level name
// to it before anything else (even when it then skips), so make test runs
// exactly those again through the pooler and a new PostgreSQL test cannot
// be left out.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// BaseURL is the test server's URL. A test reaches the server through
// Admin, Schema or Pool, which record it (PB_TEST_PG_RECORD), not with
// BaseURL alone.
func BaseURL() string {
	if u := os.Getenv("PB_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// Pooled reports whether Schema's URLs go through the pooler
// (PB_TEST_POOLER_URL is set).
func Pooled() bool { return os.Getenv("PB_TEST_POOLER_URL") != "" }

// PoolerURL is the transaction-mode pooler in front of the test server:
// PB_TEST_POOLER_URL, or where scripts/pgbouncer-test.sh listens: port
// PB_PGBOUNCER_PORT, or 6436.
func PoolerURL() string {
	if u := os.Getenv("PB_TEST_POOLER_URL"); u != "" {
		return u
	}
	port := os.Getenv("PB_PGBOUNCER_PORT")
	if port == "" {
		port = "6436"
	}
	return "postgres://postgres@127.0.0.1:" + port + "/test?sslmode=disable"
}

// record appends "<package> <top-level test>" to the file
// PB_TEST_PG_RECORD names, if set: one write, so the lines of packages
// tested at once do not mix.
func record(tb testing.TB) {
	tb.Helper()
	path := os.Getenv("PB_TEST_PG_RECORD")
	if path == "" {
		return
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		tb.Fatal("PB_TEST_PG_RECORD: the test binary has no build information")
	}
	test, _, _ := strings.Cut(tb.Name(), "/")
	line := strings.TrimSuffix(bi.Path, ".test") + " " + test + "\n"
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err == nil {
		_, err = f.WriteString(line)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		tb.Fatalf("PB_TEST_PG_RECORD: %v", err)
	}
}

// unavailable skips the test, or fails it under CI=true.
func unavailable(tb testing.TB, what, hint string, err error) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf("%s unreachable (CI=true makes this a failure): %v", what, err)
	}
	tb.Skipf("no %s (%s): %v", what, hint, err)
}

// Admin connects to the test server (closed at cleanup); without one the
// test is skipped, except under CI=true, where it fails.
func Admin(tb testing.TB) *pgx.Conn {
	tb.Helper()
	record(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, BaseURL())
	if err != nil {
		unavailable(tb, "PostgreSQL test server", "set PB_TEST_DATABASE_URL", err)
	}
	tb.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// Schema creates a fresh schema, dropped at cleanup, and returns a URL
// whose tables land in it, and its name. Directly, the URL names the schema
// as its search_path. Through the pooler (Pooled), which may not pass
// startup parameters on, it is Pool's.
func Schema(tb testing.TB) (u, schema string) {
	tb.Helper()
	record(tb)
	if Pooled() {
		return Pool(tb)
	}
	admin := Admin(tb)
	schema = name()
	if _, err := admin.Exec(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cleanup(tb, "DROP SCHEMA "+schema+" CASCADE") })
	return WithParam(BaseURL(), "search_path="+schema), schema
}

// Pool creates a fresh database, dropped at cleanup, whose default
// search_path is a schema of the same name, and returns its URL through the
// transaction-mode pooler (PoolerURL) and the schema's name. The URL carries
// no search_path: a pooler need not pass it on. Without the pooler the test
// is skipped, except under CI=true, where it fails.
func Pool(tb testing.TB) (u, schema string) {
	tb.Helper()
	record(tb)
	reach(tb, PoolerURL())
	// CREATE DATABASE copies template1: seconds on a busy machine.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin := Admin(tb)
	schema = name()
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+schema); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cleanup(tb, "DROP DATABASE "+schema+" WITH (FORCE)") })
	d, err := pgx.Connect(ctx, withDB(tb, BaseURL(), schema))
	if err != nil {
		tb.Fatal(err)
	}
	defer d.Close(context.Background())
	if _, err := d.Exec(ctx, "CREATE SCHEMA "+schema+"; ALTER DATABASE "+schema+" SET search_path = "+schema); err != nil {
		tb.Fatal(err)
	}
	return withDB(tb, PoolerURL(), schema), schema
}

// StatementPoolerURL is the test database behind a pool in statement mode
// (the pb_statement entry of scripts/pgbouncer-test.sh). Without the pooler
// the test is skipped, except under CI=true, where it fails.
func StatementPoolerURL(tb testing.TB) string {
	tb.Helper()
	record(tb)
	u := withDB(tb, PoolerURL(), "pb_statement")
	reach(tb, u)
	return u
}

// reach checks the pooler answers at u, or skips the test (fails it under
// CI=true).
func reach(tb testing.TB, u string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cfg, err := pgx.ParseConfig(u)
	if err != nil {
		tb.Fatalf("PB_TEST_POOLER_URL: %v", err)
	}
	// The simple protocol: this connection's statements must not stay
	// behind on the pooler's server connections.
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err == nil {
		err = c.Ping(ctx)
		c.Close(ctx)
	}
	if err != nil {
		unavailable(tb, "connection pooler in front of the PostgreSQL test server",
			"scripts/pgbouncer-test.sh start, or set PB_TEST_POOLER_URL", err)
	}
}

// Direct is u (from Schema or Pool) without the pooler: the same database
// and schema, straight to the server, for a test's own setup and checks.
func Direct(tb testing.TB, u string) string {
	tb.Helper()
	p, err := url.Parse(u)
	if err != nil {
		tb.Fatal(err)
	}
	pool, err := url.Parse(PoolerURL())
	if err != nil {
		tb.Fatal(err)
	}
	if p.Host != pool.Host {
		return u
	}
	return withDB(tb, BaseURL(), strings.TrimPrefix(p.Path, "/"))
}

// Connect connects to u's database and schema directly (Direct), closed at
// cleanup.
func Connect(tb testing.TB, u string) *pgx.Conn {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, Direct(tb, u))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func name() string {
	var b [6]byte
	rand.Read(b[:])
	return "pbtest_" + hex.EncodeToString(b[:])
}

// cleanup runs q on a new admin connection (the test's own may be closed).
func cleanup(tb testing.TB, q string) {
	c, err := pgx.Connect(context.Background(), BaseURL())
	if err != nil {
		tb.Errorf("cleanup: %v", err)
		return
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(context.Background(), q); err != nil {
		tb.Errorf("cleanup: %s: %v", q, err)
	}
}

// withDB is the URL u naming database db.
func withDB(tb testing.TB, u, db string) string {
	tb.Helper()
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "postgres" && p.Scheme != "postgresql") {
		tb.Fatal(fmt.Errorf("pgtest needs postgres:// URLs, got one that is not (%v)", err))
	}
	p.Path = "/" + db
	return p.String()
}

// WithParam adds key=value to a URL's query.
func WithParam(u, kv string) string {
	if strings.Contains(u, "?") {
		return u + "&" + kv
	}
	return u + "?" + kv
}
