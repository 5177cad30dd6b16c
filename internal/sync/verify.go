package sync

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/packetbuddy/pb/internal/store"
	"github.com/packetbuddy/pb/internal/usage"
)

// Local is what Verify reads of the local database (*store.Store).
type Local interface {
	EachBucket(ctx context.Context, fn func(store.Bucket) error) error
	SyncInterfaces(ctx context.Context) ([]store.SyncInterface, error)
	PendingChanges(ctx context.Context) (int64, error)
}

// MonthCheck is one interface's traffic in one month (of the device's
// zone) as the local database, the remote buckets and the remote day
// totals (what the fleet reads) have it.
type MonthCheck struct {
	IfaceID int64        `json:"iface_id"`
	Iface   string       `json:"iface"` // the interface's name
	Month   string       `json:"month"` // YYYY-MM
	Local   usage.Totals `json:"local"`
	Remote  usage.Totals `json:"remote"` // sum of the remote buckets
	Days    usage.Totals `json:"days"`   // sum of the remote day totals
}

// Same reports whether the three agree.
func (m MonthCheck) Same() bool { return m.Local == m.Remote && m.Remote == m.Days }

// Verification is the outcome of Verify.
type Verification struct {
	TimeZone string       `json:"time_zone"` // months are months of this zone (the device's)
	Months   int          `json:"months"`    // interface-months compared
	Buckets  int64        `json:"buckets"`   // local buckets compared
	Pending  int64        `json:"pending"`   // local buckets not yet acknowledged when the check began
	Diffs    []MonthCheck `json:"differ"`    // the interface-months that differ, by interface then month
}

// Verify compares this device's local buckets with its remote copy,
// summed per interface and month of the device's zone: the remote buckets
// and the remote day totals must both equal the local sums. It only reads.
func Verify(ctx context.Context, rawURL string, dev Device, local Local) (Verification, error) {
	var v Verification
	u, err := PrepareURL(rawURL)
	if err != nil {
		return v, err
	}
	if v.Pending, err = local.PendingChanges(ctx); err != nil {
		return v, err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	conn, err := connect(ctx, u, execMode)
	if err != nil {
		return v, describe(err, rawURL)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	tx, err := readTx(ctx, conn)
	if err != nil {
		return v, describe(err, rawURL)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) // read only: nothing to commit
	type key struct {
		iface int64
		month string
	}
	checks := map[key]*MonthCheck{}
	get := func(k key) *MonthCheck {
		c, ok := checks[k]
		if !ok {
			c = &MonthCheck{IfaceID: k.iface, Month: k.month}
			checks[k] = c
		}
		return c
	}
	// The remote device's zone groups both sides: it is the zone the
	// fleet's days are in.
	var id int32
	v.TimeZone = dev.TimeZone
	err = tx.QueryRow(ctx, `SELECT id, time_zone FROM pb_devices WHERE device_id = $1`, dev.ID).Scan(&id, &v.TimeZone)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return v, describe(err, rawURL)
	}
	loc, err := time.LoadLocation(v.TimeZone)
	if err != nil {
		return v, fmt.Errorf("the device's time zone %q is unknown here: %w", v.TimeZone, err)
	}
	for _, q := range []struct {
		sql  string
		args []any
		set  func(*MonthCheck, usage.Totals)
	}{
		{`SELECT iface, to_char(ts AT TIME ZONE $2, 'YYYY-MM'), sum(rx)::bigint, sum(tx)::bigint FROM pb_usage
			WHERE device = $1 GROUP BY 1, 2`, []any{id, v.TimeZone}, func(c *MonthCheck, t usage.Totals) { c.Remote = t }},
		{`SELECT iface, to_char(day, 'YYYY-MM'), sum(rx)::bigint, sum(tx)::bigint FROM pb_days
			WHERE device = $1 GROUP BY 1, 2`, []any{id}, func(c *MonthCheck, t usage.Totals) { c.Days = t }},
	} {
		rows, err := tx.Query(ctx, q.sql, q.args...)
		if err != nil {
			return v, describe(err, rawURL)
		}
		for rows.Next() {
			var k key
			var t [2]int64
			if err := rows.Scan(&k.iface, &k.month, &t[0], &t[1]); err != nil {
				rows.Close()
				return v, err
			}
			q.set(get(k), tot(t))
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return v, describe(err, rawURL)
		}
	}
	err = local.EachBucket(ctx, func(b store.Bucket) error {
		v.Buckets++
		c := get(key{b.IfaceID, b.Start.In(loc).Format("2006-01")})
		c.Local = c.Local.Add(usage.Totals{Rx: uint64(b.Rx), Tx: uint64(b.Tx)})
		return nil
	})
	if err != nil {
		return v, err
	}
	ifaces, err := local.SyncInterfaces(ctx)
	if err != nil {
		return v, err
	}
	names := map[int64]string{}
	for _, f := range ifaces {
		names[f.ID] = f.Name
	}
	v.Months = len(checks)
	for _, c := range checks {
		if !c.Same() {
			c.Iface = names[c.IfaceID]
			if c.Iface == "" {
				c.Iface = fmt.Sprintf("#%d", c.IfaceID) // remote only
			}
			v.Diffs = append(v.Diffs, *c)
		}
	}
	slices.SortFunc(v.Diffs, func(a, b MonthCheck) int {
		return cmp.Or(cmp.Compare(a.IfaceID, b.IfaceID), cmp.Compare(a.Month, b.Month))
	})
	return v, nil
}
