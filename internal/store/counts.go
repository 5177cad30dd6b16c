package store

import (
	"context"
	"database/sql"
	"fmt"
)

// Counts are the rows of the tables behind the 1.x storage fields of
// /api/health and pb storage.
type Counts struct {
	Fine    int64 // 1-minute buckets (1.x: usage_logs)
	Coarse  int64 // 15-minute buckets
	Daily   int64 // daily rollup rows, one per interface and UTC day (1.x: daily_aggregates)
	Periods int64 // month and year totals known only as a whole (1.x: monthly_aggregates)
}

// MaintainedCounts returns the counts that triggers keep (see migration
// 0005): coarse, daily and periods; one read of one small page, whatever
// the size of the history. Fine is left 0: see FineRows.
func (s *Store) MaintainedCounts(ctx context.Context) (Counts, error) {
	var c Counts
	err := s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT tbl, n FROM row_counts`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var tbl string
			var n int64
			if err := rows.Scan(&tbl, &n); err != nil {
				return err
			}
			switch tbl {
			case "coarse":
				c.Coarse = n
			case "daily":
				c.Daily = n
			case "periods":
				c.Periods = n
			}
		}
		return rows.Err()
	})
	if err != nil {
		return Counts{}, fmt.Errorf("store: row counts: %w", err)
	}
	return c, nil
}

// FineRows counts the 1-minute tier. It reads the whole tier, which its
// retention bounds (7 days of 3 interfaces: ~30,000 rows, about a
// millisecond); callers on a hot path cache it.
func (s *Store) FineRows(ctx context.Context) (int64, error) {
	var n int64
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM fine`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count fine rows: %w", err)
	}
	return n, nil
}

// Pruned is what Prune deleted, or with a dry run would delete.
type Pruned struct {
	FineRows  int64 // 1-minute buckets past the retention
	EventRows int64 // events older than a year or beyond the newest 10,000
}

// Total is every row.
func (p Pruned) Total() int64 { return p.FineRows + p.EventRows }
