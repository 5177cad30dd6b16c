// Package pgtest gives tests their own schema on the test PostgreSQL
// server: PB_TEST_DATABASE_URL, or postgres@127.0.0.1:5432/test with trust
// auth. Without a server the test is skipped, except under CI=true, where
// it fails.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// BaseURL is the test server's URL.
func BaseURL() string {
	if u := os.Getenv("PB_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// Admin connects to the test server (closed at cleanup); without one the
// test is skipped, except under CI=true, where it fails.
func Admin(tb testing.TB) *pgx.Conn {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, BaseURL())
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("PostgreSQL test server unreachable (CI=true makes this a failure): %v", err)
		}
		tb.Skipf("no PostgreSQL test server (set PB_TEST_DATABASE_URL): %v", err)
	}
	tb.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// Schema creates a fresh schema, dropped at cleanup, and returns a URL
// whose search_path is that schema, and its name.
func Schema(tb testing.TB) (url, schema string) {
	tb.Helper()
	admin := Admin(tb)
	var b [6]byte
	rand.Read(b[:])
	schema = "pbtest_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), BaseURL())
		if err != nil {
			tb.Errorf("cleanup: %v", err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("cleanup: %v", err)
		}
	})
	return WithParam(BaseURL(), "search_path="+schema), schema
}

// WithParam adds key=value to a URL's query.
func WithParam(u, kv string) string {
	if strings.Contains(u, "?") {
		return u + "&" + kv
	}
	return u + "?" + kv
}
