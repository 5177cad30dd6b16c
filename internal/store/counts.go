package store

import (
	"context"
	"database/sql"
	"fmt"
)

// Counts are the rows of the tables behind /api/storage, pb status and
// the 1.x storage fields of /api/health.
type Counts struct {
	Fine       int64 // 1-minute buckets (1.x: usage_logs)
	Coarse     int64 // 15-minute buckets
	Daily      int64 // daily rollup rows, one per interface and UTC day (1.x: daily_aggregates)
	Periods    int64 // month and year totals known only as a whole (1.x: monthly_aggregates)
	Peaks      int64 // 15-minute peak speeds
	Events     int64 // event log entries
	Interfaces int64 // interfaces, counted or not
}

// MaintainedCounts returns the row counts that triggers keep (migrations
// 0005 and 0007): one read of one small page, whatever the size of the
// history.
func (s *Store) MaintainedCounts(ctx context.Context) (Counts, error) {
	var c Counts
	err := s.read(ctx, func(tx *sql.Tx) error {
		var err error
		c, err = maintainedCounts(ctx, tx)
		return err
	})
	if err != nil {
		return Counts{}, fmt.Errorf("store: row counts: %w", err)
	}
	return c, nil
}

func maintainedCounts(ctx context.Context, tx *sql.Tx) (Counts, error) {
	var c Counts
	rows, err := tx.QueryContext(ctx, `SELECT tbl, n FROM row_counts`)
	if err != nil {
		return Counts{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var tbl string
		var n int64
		if err := rows.Scan(&tbl, &n); err != nil {
			return Counts{}, err
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
