package sync

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// connect opens one connection to the sync database that works the same
// directly and through a connection pooler in transaction mode (Neon's
// pooled endpoint, Supabase's Supavisor on port 6543, PgBouncer), where
// each transaction may run on another server connection and nothing of a
// session survives between transactions.
//
// Hence QueryExecModeExec: every statement is one Parse/Bind/Execute on the
// unnamed statement, sent and answered in one round trip, with no named
// prepared statement left on the server connection (the default mode's
// "stmtcache_…" statements collide there with another client's: "prepared
// statement already exists") and no cached description that a round trip
// more would fetch. Measured by BenchmarkUpload (README): through
// PgBouncer it is the only mode besides the simple protocol that works on
// every pooler, and it keeps the upload's binary COPY.
// execMode is the mode connect is given outside benchmarks.
const execMode = pgx.QueryExecModeExec

func connect(ctx context.Context, url string, mode pgx.QueryExecMode) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	cfg.DefaultQueryExecMode = mode
	if mode != pgx.QueryExecModeCacheStatement {
		cfg.StatementCacheCapacity = 0
	}
	if mode != pgx.QueryExecModeCacheDescribe {
		cfg.DescriptionCacheCapacity = 0
	}
	return pgx.ConnectConfig(ctx, cfg)
}

// querier is a connection or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}
