package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/packetbuddy/pb/internal/usage"
)

// Coverage returns the time the daemon counted traffic, for forecasts that
// must not take time before pb was installed, or time nothing counted, for
// time without traffic.
//
// The first counted instant is the first-run event or, when history is
// older (imported, or the event pruned after a year), the first stored
// bucket. A gap is the time before a reboot event back to the last bucket
// written before it: the traffic of the previous boot after its last flush
// is lost, and so is any time the machine ran without the daemon; the
// counters since the new boot are counted at the reboot event, so the gap
// ends there. A restart within one boot is no gap (its traffic is counted
// from the counters), nor is a suspend. Gaps are found for reboots in
// [from, to) only.
func (s *Store) Coverage(ctx context.Context, from, to time.Time) (usage.Coverage, error) {
	var c usage.Coverage
	err := s.read(ctx, func(tx *sql.Tx) error {
		var firstRun, firstBucket sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT
			(SELECT min(ts) FROM events WHERE kind = ?),
			(SELECT ts FROM coarse ORDER BY ts LIMIT 1)`, string(usage.EventFirstRun)).Scan(&firstRun, &firstBucket); err != nil {
			return err
		}
		switch {
		case firstRun.Valid && (!firstBucket.Valid || firstRun.Int64 <= firstBucket.Int64+coarseSec):
			c.Since = time.Unix(firstRun.Int64, 0).UTC()
		case firstBucket.Valid:
			c.Since = time.Unix(firstBucket.Int64, 0).UTC()
		default:
			c.Since = to // nothing counted yet
			return nil
		}
		rows, err := tx.QueryContext(ctx, `SELECT ts FROM events WHERE kind = ? AND ts >= ? AND ts < ? ORDER BY ts`,
			string(usage.EventReboot), unixCeil(from), unixCeil(to))
		if err != nil {
			return err
		}
		var reboots []int64
		for rows.Next() {
			var ts int64
			if err := rows.Scan(&ts); err != nil {
				rows.Close()
				return err
			}
			reboots = append(reboots, ts)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, at := range reboots {
			end, ok, err := lastBucketEnd(ctx, tx, at)
			if err != nil {
				return err
			}
			if ok && end < at {
				c.Gaps = append(c.Gaps, usage.Span{From: time.Unix(end, 0).UTC(), To: time.Unix(at, 0).UTC()})
			}
		}
		return nil
	})
	if err != nil {
		return usage.Coverage{}, fmt.Errorf("store: coverage: %w", err)
	}
	return c.Normalize(), nil
}

// lastBucketEnd returns the end of the last bucket that starts before the
// minute of at: the fine tier's minute while it holds that time, else the
// coarse tier's quarter hour.
func lastBucketEnd(ctx context.Context, tx *sql.Tx, at int64) (int64, bool, error) {
	var fine, coarse sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT
		(SELECT ts FROM fine WHERE ts < ? ORDER BY ts DESC LIMIT 1),
		(SELECT ts FROM coarse WHERE ts < ? ORDER BY ts DESC LIMIT 1)`,
		at-at%fineSec, at-at%coarseSec).Scan(&fine, &coarse); err != nil {
		return 0, false, err
	}
	switch {
	case fine.Valid && (!coarse.Valid || fine.Int64 >= coarse.Int64):
		return fine.Int64 + fineSec, true, nil
	case coarse.Valid:
		return coarse.Int64 + coarseSec, true, nil
	}
	return 0, false, nil
}

// FineHorizon returns where the fine tier is complete from: before it rows
// may have been pruned or never written (imported history); zero when it
// never lost a row.
func (s *Store) FineHorizon(ctx context.Context) (time.Time, error) {
	h, err := fineHorizon(ctx, s.r)
	if err != nil || h == 0 {
		return time.Time{}, wrapErr("store: fine horizon", err)
	}
	return time.Unix(h, 0).UTC(), nil
}
