package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/packetbuddy/pb/internal/usage"
)

// MaintainedCounts returns the row counts that triggers keep (migrations
// 0005 and 0007): one read of one small page, whatever the size of the
// history.
func (s *Store) MaintainedCounts(ctx context.Context) (usage.RowCounts, error) {
	var c usage.RowCounts
	err := s.read(ctx, func(tx *sql.Tx) error {
		var err error
		c, err = maintainedCounts(ctx, tx)
		return err
	})
	if err != nil {
		return usage.RowCounts{}, fmt.Errorf("store: row counts: %w", err)
	}
	return c, nil
}

func maintainedCounts(ctx context.Context, tx *sql.Tx) (usage.RowCounts, error) {
	var c usage.RowCounts
	rows, err := tx.QueryContext(ctx, `SELECT tbl, n FROM row_counts`)
	if err != nil {
		return usage.RowCounts{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var tbl string
		var n int64
		if err := rows.Scan(&tbl, &n); err != nil {
			return usage.RowCounts{}, err
		}
		switch tbl {
		case "fine":
			c.Fine = n
		case "coarse":
			c.Coarse = n
		case "daily":
			c.Daily = n
		case "periods":
			c.Periods = n
		case "peaks":
			c.Peaks = n
		case "events":
			c.Events = n
		case "interfaces":
			c.Interfaces = n
		}
	}
	return c, rows.Err()
}

// Pruned is what Prune deleted, or with a dry run would delete.
type Pruned struct {
	FineRows  int64 // 1-minute buckets past the retention
	EventRows int64 // events older than a year or beyond the newest 10,000
}

// Total is every row.
func (p Pruned) Total() int64 { return p.FineRows + p.EventRows }
