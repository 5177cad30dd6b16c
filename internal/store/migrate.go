package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
)

// migrations/NNNN_name.sql, applied in order; file N brings the schema to
// version N (PRAGMA user_version).
//
//go:embed migrations/*.sql
var migrationFS embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

var migrations = func() []migration {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		panic(err)
	}
	var ms []migration
	for i, n := range names { // fs.Glob sorts
		base := strings.TrimPrefix(n, "migrations/")
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil || v != i+1 {
			panic(fmt.Sprintf("store: migration %s is not number %d", base, i+1))
		}
		b, err := migrationFS.ReadFile(n)
		if err != nil {
			panic(err)
		}
		ms = append(ms, migration{version: v, name: base, sql: string(b)})
	}
	return ms
}()

// schemaVersion is the schema this build writes and reads.
func schemaVersion() int { return len(migrations) }

// migrate applies each pending migration in its own transaction, together
// with the user_version that records it, so a failure leaves the database at
// the last complete version.
func (s *Store) migrate(ctx context.Context) error {
	var cur int
	if err := s.w.QueryRowContext(ctx, "PRAGMA user_version").Scan(&cur); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if cur > schemaVersion() {
		return fmt.Errorf("database was written by a newer PacketBuddy (schema %d, this build knows %d): upgrade pb: %w",
			cur, schemaVersion(), ErrNewerSchema)
	}
	for _, m := range migrations[cur:] {
		tx, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			rollback(tx)
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version)); err != nil {
			rollback(tx)
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO state (key, value) VALUES ('created_at', ?) ON CONFLICT DO NOTHING`,
		strconv.FormatInt(s.now().Unix(), 10))
	if err != nil {
		return fmt.Errorf("record creation time: %w", err)
	}
	return nil
}
