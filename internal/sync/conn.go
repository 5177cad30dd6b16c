package sync

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// execMode is the mode connect is given outside benchmarks (see connect).
const execMode = pgx.QueryExecModeExec

// connect opens one connection to the sync database that works the same
// directly and through a connection pooler in transaction mode (Neon's
// pooled endpoint, Supabase's Supavisor on port 6543, PgBouncer), where
// each transaction may run on another server connection and nothing of a
// session survives between transactions.
//
// Hence QueryExecModeExec: every statement is Parse/Bind/Execute of the
// unnamed statement in one message flight, with the parameters' types
// taken from their Go types, so nothing is left on the server connection
// and nothing cached on the client can go stale. The default
// (CacheStatement) leaves named "stmtcache_…" statements behind, which
// collide with another client's on a pooled server connection ("prepared
// statement already exists", every round after the first). BenchmarkUpload
// counts round trips for one round of 20,000 buckets (one batch): exec 16,
// simple protocol 16 (but it interpolates parameters in the client), cache
// describe 22–23 (a describe per statement per connection, and pb connects
// per round), cache statement 23 (and fails through PgBouncer), describe
// exec 23. The COPY of the buckets is binary in every mode.
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
