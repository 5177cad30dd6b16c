package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/packetbuddy/pb/internal/usage"
)

// writeApps adds per-app traffic to its 15-minute buckets (in the flush's
// transaction).
func writeApps(ctx context.Context, tx *sql.Tx, res *resolver, deltas []usage.AppDelta, now int64) error {
	if len(deltas) == 0 {
		return nil
	}
	ids := map[usage.App]int64{}
	for _, d := range deltas {
		if d.Rx == 0 && d.Tx == 0 {
			continue
		}
		if d.Rx > maxInt64 || d.Tx > maxInt64 {
			return fmt.Errorf("app %s on %s: %d/%d bytes cannot be stored", d.App.Name, d.Iface, d.Rx, d.Tx)
		}
		appID, ok := ids[d.App]
		if !ok {
			if err := tx.QueryRowContext(ctx, `INSERT INTO apps (path, name, unit, package, first_seen, last_seen)
				VALUES (?1, ?2, ?3, ?4, ?5, ?5)
				ON CONFLICT (path, name, unit, package) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen)
				RETURNING id`, d.App.Path, d.App.Name, d.App.Unit, d.App.Package, now).Scan(&appID); err != nil {
				return fmt.Errorf("app %s: %w", d.App.Name, err)
			}
			ids[d.App] = appID
		}
		ifaceID, err := res.resolve(ctx, d.Iface, d.MAC, nil, unixFloor(d.Bucket))
		if err != nil {
			return err
		}
		ts := d.Bucket.UTC().Truncate(usage.CoarseBucket).Unix()
		if _, err := tx.ExecContext(ctx, `INSERT INTO app_usage (ts, iface_id, app_id, rx, tx) VALUES (?1, ?2, ?3, ?4, ?5)
			ON CONFLICT (ts, iface_id, app_id) DO UPDATE SET rx = rx + excluded.rx, tx = tx + excluded.tx`,
			ts, ifaceID, appID, int64(d.Rx), int64(d.Tx)); err != nil {
			return fmt.Errorf("app %s on %s: %w", d.App.Name, d.Iface, err)
		}
	}
	return nil
}

const maxInt64 = 1<<63 - 1

// AppTotals returns each application's traffic in [from, to) on the
// interfaces f selects, largest first. Bounds are rounded down to the
// 15-minute buckets apps are kept in. The unattributed rest is one of the
// apps, so they add up to the interfaces' total over the same buckets.
func (s *Store) AppTotals(ctx context.Context, from, to time.Time, f usage.Filter) ([]usage.AppTotals, error) {
	where, args := s.appIfaceFilter(f)
	args = append([]any{from.UTC().Truncate(usage.CoarseBucket).Unix(), to.UTC().Truncate(usage.CoarseBucket).Unix()}, args...)
	rows, err := s.r.QueryContext(ctx, `SELECT a.path, a.name, a.unit, a.package, sum(u.rx), sum(u.tx)
		FROM app_usage u JOIN apps a ON a.id = u.app_id JOIN interfaces i ON i.id = u.iface_id
		WHERE u.ts >= ? AND u.ts < ? `+where+`
		GROUP BY u.app_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: app totals: %w", err)
	}
	defer rows.Close()
	var out []usage.AppTotals
	for rows.Next() {
		var a usage.AppTotals
		var rx, tx int64
		if err := rows.Scan(&a.App.Path, &a.App.Name, &a.App.Unit, &a.App.Package, &rx, &tx); err != nil {
			return nil, fmt.Errorf("store: app totals: %w", err)
		}
		a.Rx, a.Tx = uint64(rx), uint64(tx)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: app totals: %w", err)
	}
	slices.SortFunc(out, func(a, b usage.AppTotals) int {
		return cmp.Or(cmp.Compare(b.Total(), a.Total()), strings.Compare(a.App.Name, b.App.Name), strings.Compare(a.App.Path, b.App.Path))
	})
	return out, nil
}

// AppDayTotals returns one entry per local day from..to inclusive in loc
// (zero days included) with the traffic of application a, identified by
// all four of its fields, on the interfaces f selects. known is false when
// no traffic of a was ever written (every day is then zero); the
// unattributed app is always known.
func (s *Store) AppDayTotals(ctx context.Context, a usage.App, from, to usage.Date, loc *time.Location, f usage.Filter) (days []usage.DayTotals, known bool, err error) {
	out, err := zeroDays(from, to, loc)
	if err != nil {
		return nil, false, fmt.Errorf("store: app days: %w", err)
	}
	var id int64
	err = s.r.QueryRowContext(ctx, `SELECT id FROM apps WHERE path = ? AND name = ? AND unit = ? AND package = ?`,
		a.Path, a.Name, a.Unit, a.Package).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return out, a == usage.Unattributed, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: app days of %s: %w", a.Name, err)
	}
	where, fargs := s.appIfaceFilter(f)
	args := append([]any{id, from.Start(loc).Unix(), to.AddDays(1).Start(loc).Unix()}, fargs...)
	rows, err := s.r.QueryContext(ctx, `SELECT u.ts, sum(u.rx), sum(u.tx)
		FROM app_usage u JOIN interfaces i ON i.id = u.iface_id
		WHERE u.app_id = ? AND u.ts >= ? AND u.ts < ? `+where+`
		GROUP BY u.ts`, args...)
	if err == nil {
		err = addByDay(rows, out, loc, +1)
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: app days of %s: %w", a.Name, err)
	}
	return out, true, nil
}

// appIfaceFilter is the SQL condition on interfaces i for f.
func (s *Store) appIfaceFilter(f usage.Filter) (string, []any) {
	switch {
	case f.All:
		return "", nil
	case len(f.Ifaces) > 0:
		args := make([]any, len(f.Ifaces))
		for i, n := range f.Ifaces {
			args[i] = n
		}
		return "AND i.name IN (?" + strings.Repeat(",?", len(f.Ifaces)-1) + ")", args
	}
	return "AND i.counted = 1", nil
}

// PruneApps deletes per-app traffic older than before; it returns the rows
// deleted. Interface totals are not touched.
func (s *Store) PruneApps(ctx context.Context, before time.Time) (int64, error) {
	if s.w == nil {
		return 0, ErrReadOnly
	}
	r, err := s.w.ExecContext(ctx, `DELETE FROM app_usage WHERE ts < ?`, before.UTC().Truncate(usage.CoarseBucket).Unix())
	if err != nil {
		return 0, fmt.Errorf("store: prune apps: %w", sqliteErr(err))
	}
	n, err := r.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: prune apps: %w", err)
	}
	return n, nil
}
