package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/packetbuddy/pb/internal/usage"
)

// AddPeriods adds traffic of one interface known only as whole months or
// years (see migration 0004): to the periods table and the lifetime, in one
// transaction, never to a bucket. Adding the same period twice counts it
// twice, as AddHistory does. The interface is created as AddHistory does.
func (s *Store) AddPeriods(ctx context.Context, iface usage.Interface, periods []usage.Period) error {
	if err := s.addPeriods(ctx, iface, periods); err != nil {
		return fmt.Errorf("store: add period totals of %s: %w", iface.Name, err)
	}
	return nil
}

func (s *Store) addPeriods(ctx context.Context, iface usage.Interface, periods []usage.Period) error {
	if iface.Name == "" {
		return errors.New("interface has no name")
	}
	tx, err := s.writeTx(ctx)
	if err != nil {
		return err
	}
	defer rollback(tx)
	res := newResolver(tx)
	var id int64
	var life usage.Totals
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for _, p := range periods {
		if p.Rx == 0 && p.Tx == 0 {
			continue
		}
		if p.Kind != usage.PeriodMonth && p.Kind != usage.PeriodYear {
			return fmt.Errorf("period kind %q: want month or year", p.Kind)
		}
		if !p.Start.Before(p.End) {
			return fmt.Errorf("period %s..%s is empty", p.Start, p.End)
		}
		if p.Rx > math.MaxInt64 || p.Tx > math.MaxInt64 {
			return errors.New("period total out of range")
		}
		start, end := p.Start.Unix(), p.End.Unix()
		if id == 0 {
			if id, err = res.resolve(ctx, iface.Name, iface.MAC, &iface, start); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO periods (iface_id, start, end, kind, rx, tx) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (start, end, iface_id) DO UPDATE SET rx = rx + excluded.rx, tx = tx + excluded.tx`,
			id, start, end, p.Kind, int64(p.Rx), int64(p.Tx)); err != nil {
			return fmt.Errorf("add period: %w", err)
		}
		if life, err = addTotals(life, p.Totals); err != nil {
			return err
		}
		lo, hi = min(lo, start), max(hi, end-1)
	}
	if id == 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO lifetime (iface_id, rx, tx) VALUES (?, ?, ?)
		ON CONFLICT (iface_id) DO UPDATE SET rx = rx + excluded.rx, tx = tx + excluded.tx`,
		id, int64(life.Rx), int64(life.Tx)); err != nil {
		return fmt.Errorf("add to lifetime: %w", err)
	}
	res.touch(id, lo, hi)
	if err := res.flushSeen(ctx); err != nil {
		return err
	}
	return tx.Commit()
}

// AddPeaks records imported peak speeds (bytes/s) in their 15-minute
// buckets, keeping the higher of the stored and the new value, so adding
// them again changes nothing.
func (s *Store) AddPeaks(ctx context.Context, peaks []usage.Peak) error {
	tx, err := s.writeTx(ctx)
	if err != nil {
		return fmt.Errorf("store: add peaks: %w", err)
	}
	defer rollback(tx)
	if err := writePeaks(ctx, tx, peaks); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: add peaks: %w", err)
	}
	return nil
}

// Periods returns the period totals of the interfaces f selects that lie
// entirely in [from, to), summed per period, in order of start (a year
// before the months it holds).
func (s *Store) Periods(ctx context.Context, from, to time.Time, f usage.Filter) ([]usage.Period, error) {
	var out []usage.Period
	err := s.read(ctx, func(tx *sql.Tx) error {
		sel, err := filterIDs(ctx, tx, f)
		if err != nil {
			return err
		}
		out, err = periodsIn(ctx, tx, sel, unixCeil(from), unixCeil(to))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: period totals: %w", err)
	}
	return out, nil
}

func periodsIn(ctx context.Context, tx *sql.Tx, sel ifaces, from, to int64) ([]usage.Period, error) {
	rows, err := tx.QueryContext(ctx, `SELECT start, end, kind, sum(rx), sum(tx) FROM periods
		WHERE start >= ? AND end <= ? AND `+sel.cond()+`
		GROUP BY start, end, kind ORDER BY start, end DESC`, from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []usage.Period
	for rows.Next() {
		var p usage.Period
		var start, end int64
		if err := rows.Scan(&start, &end, &p.Kind, &p.Rx, &p.Tx); err != nil {
			return nil, err
		}
		p.Start, p.End = time.Unix(start, 0).UTC(), time.Unix(end, 0).UTC()
		out = append(out, p)
	}
	return out, rows.Err()
}
