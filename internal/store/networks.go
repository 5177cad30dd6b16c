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

// Errors of the network edits, for 400/404 answers and CLI messages.
var (
	ErrNoNetwork       = errors.New("no such network")
	ErrNetworkNameUsed = errors.New("another network has that name")
	ErrSameNetwork     = errors.New("a network cannot be merged into itself")
)

// writeNetworks adds the traffic of known networks to their 15-minute
// buckets (in the flush's transaction), creating a network the first time
// its fingerprint is seen.
func writeNetworks(ctx context.Context, tx *sql.Tx, res *resolver, deltas []usage.NetworkDelta, now int64) error {
	ids := map[string]int64{}
	for _, d := range deltas {
		if (d.Rx == 0 && d.Tx == 0) || !d.Network.Known() || d.Rx > maxInt64 || d.Tx > maxInt64 {
			continue
		}
		fp := d.Network.Fingerprint()
		netID, ok := ids[fp]
		if !ok {
			var err error
			if netID, err = resolveNetwork(ctx, tx, d.Network, now); err != nil {
				return err
			}
			ids[fp] = netID
		}
		ifaceID, err := res.resolve(ctx, d.Iface, d.MAC, nil, unixFloor(d.Bucket))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO network_usage (ts, iface_id, network_id, rx, tx) VALUES (?1, ?2, ?3, ?4, ?5)
			ON CONFLICT (ts, iface_id, network_id) DO UPDATE SET rx = rx + excluded.rx, tx = tx + excluded.tx`,
			d.Bucket.UTC().Truncate(usage.CoarseBucket).Unix(), ifaceID, netID, int64(d.Rx), int64(d.Tx)); err != nil {
			return fmt.Errorf("network %s on %s: %w", fp, d.Iface, err)
		}
	}
	return nil
}

// resolveNetwork returns the network of a's fingerprint, creating it (named
// after the SSID, else the gateway) when it is new, and refreshes its
// details and last-seen time (at most every seenPrecision seconds).
func resolveNetwork(ctx context.Context, tx *sql.Tx, a usage.Attachment, now int64) (int64, error) {
	fp := a.Fingerprint()
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT network_id FROM network_fingerprints WHERE fingerprint = ?`, fp).Scan(&id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		base := a.SSID
		if base == "" {
			base = "gateway " + a.GatewayMAC
		}
		name := base
		for n := 2; ; n++ {
			var used bool
			if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM networks WHERE name = ?)`, name).Scan(&used); err != nil {
				return 0, fmt.Errorf("name network %s: %w", fp, err)
			}
			if !used && name != usage.UnknownNetwork {
				break
			}
			name = fmt.Sprintf("%s (%d)", base, n)
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO networks (name, first_seen, last_seen) VALUES (?, ?, ?) RETURNING id`,
			name, now, now).Scan(&id); err != nil {
			return 0, fmt.Errorf("add network %s: %w", fp, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO network_fingerprints
			(fingerprint, network_id, gateway, gateway_mac, ssid, ssid_status, first_seen, last_seen)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, fp, id, a.Gateway, a.GatewayMAC, a.SSID, a.SSIDStatus, now, now); err != nil {
			return 0, fmt.Errorf("add network %s: %w", fp, err)
		}
		return id, nil
	case err != nil:
		return 0, fmt.Errorf("find network %s: %w", fp, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE network_fingerprints SET gateway = ?2, ssid_status = ?3, last_seen = ?4
		WHERE fingerprint = ?1 AND (gateway != ?2 OR ssid_status != ?3 OR last_seen < ?4 - ?5)`,
		fp, a.Gateway, a.SSIDStatus, now, seenPrecision); err != nil {
		return 0, fmt.Errorf("update network %s: %w", fp, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE networks SET last_seen = ?2 WHERE id = ?1 AND last_seen < ?2 - ?3`,
		id, now, seenPrecision); err != nil {
		return 0, fmt.Errorf("update network %s: %w", fp, err)
	}
	return id, nil
}

// Networks returns every known network with its details (the most recently
// seen fingerprint's) and all its fingerprints, by name.
func (s *Store) Networks(ctx context.Context) ([]usage.Network, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT n.id, n.name, n.metered, n.first_seen, n.last_seen,
			f.fingerprint, f.gateway, f.gateway_mac, f.ssid, f.ssid_status
		FROM networks n LEFT JOIN network_fingerprints f ON f.network_id = n.id
		ORDER BY n.name, n.id, f.last_seen DESC, f.fingerprint`)
	if err != nil {
		return nil, fmt.Errorf("store: networks: %w", err)
	}
	defer rows.Close()
	var out []usage.Network
	for rows.Next() {
		var n usage.Network
		var first, last int64
		var fp, gw, mac, ssid, status sql.NullString
		if err := rows.Scan(&n.ID, &n.Name, &n.Metered, &first, &last, &fp, &gw, &mac, &ssid, &status); err != nil {
			return nil, fmt.Errorf("store: networks: %w", err)
		}
		if len(out) > 0 && out[len(out)-1].ID == n.ID {
			out[len(out)-1].Fingerprints = append(out[len(out)-1].Fingerprints, fp.String)
			continue
		}
		n.FirstSeen, n.LastSeen = time.Unix(first, 0).UTC(), time.Unix(last, 0).UTC()
		n.Gateway, n.GatewayMAC, n.SSID, n.SSIDStatus = gw.String, mac.String, ssid.String, status.String
		if fp.Valid {
			n.Fingerprints = []string{fp.String}
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: networks: %w", err)
	}
	return out, nil
}

// NetworkTotals returns each network's traffic in [from, to) on the
// interfaces f selects, largest first, with the unknown network (ID 0)
// when it carried any. Bounds are rounded down to the 15-minute buckets
// networks are kept in. The unknown network is the interfaces' coarse
// total less their known networks', so the list adds up exactly to the
// interfaces' traffic over the same buckets.
func (s *Store) NetworkTotals(ctx context.Context, from, to time.Time, f usage.Filter) ([]usage.NetworkTotals, error) {
	where, fargs := s.appIfaceFilter(f)
	lo, hi := from.UTC().Truncate(usage.CoarseBucket).Unix(), to.UTC().Truncate(usage.CoarseBucket).Unix()
	args := append([]any{lo, hi}, fargs...)
	nets, err := s.Networks(ctx)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]usage.Network, len(nets))
	for _, n := range nets {
		byID[n.ID] = n
	}
	rows, err := s.r.QueryContext(ctx, `SELECT u.network_id, sum(u.rx), sum(u.tx)
		FROM network_usage u JOIN interfaces i ON i.id = u.iface_id
		WHERE u.ts >= ? AND u.ts < ? `+where+`
		GROUP BY u.network_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: network totals: %w", err)
	}
	defer rows.Close()
	var out []usage.NetworkTotals
	var known usage.Totals
	for rows.Next() {
		var id, rx, tx int64
		if err := rows.Scan(&id, &rx, &tx); err != nil {
			return nil, fmt.Errorf("store: network totals: %w", err)
		}
		t := usage.Totals{Rx: uint64(rx), Tx: uint64(tx)}
		known = known.Add(t)
		out = append(out, usage.NetworkTotals{Network: byID[id], Totals: t})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: network totals: %w", err)
	}
	var rx, tx int64
	if err := s.r.QueryRowContext(ctx, `SELECT coalesce(sum(c.rx), 0), coalesce(sum(c.tx), 0)
		FROM coarse c JOIN interfaces i ON i.id = c.iface_id
		WHERE c.ts >= ? AND c.ts < ? `+where, args...).Scan(&rx, &tx); err != nil {
		return nil, fmt.Errorf("store: network totals: %w", err)
	}
	if unknown := (usage.Totals{Rx: sub(uint64(rx), known.Rx), Tx: sub(uint64(tx), known.Tx)}); unknown != (usage.Totals{}) {
		out = append(out, usage.NetworkTotals{Network: usage.Network{Name: usage.UnknownNetwork}, Totals: unknown})
	}
	slices.SortFunc(out, func(a, b usage.NetworkTotals) int {
		return cmp.Or(cmp.Compare(b.Total(), a.Total()), strings.Compare(a.Name, b.Name))
	})
	return out, nil
}

func sub(a, b uint64) uint64 {
	if b > a {
		return 0
	}
	return a - b
}

// NetworkBuckets returns, for one interface, each 15-minute bucket in
// [from, to) with traffic and its known networks' traffic by network id:
// what an exact-accounting test compares.
func (s *Store) NetworkBuckets(ctx context.Context, iface string, from, to time.Time) (map[int64]map[int64]usage.Totals, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT u.ts, u.network_id, u.rx, u.tx
		FROM network_usage u JOIN interfaces i ON i.id = u.iface_id
		WHERE i.name = ? AND u.ts >= ? AND u.ts < ?`, iface, from.Unix(), to.Unix())
	if err != nil {
		return nil, fmt.Errorf("store: network buckets: %w", err)
	}
	defer rows.Close()
	out := map[int64]map[int64]usage.Totals{}
	for rows.Next() {
		var ts, id, rx, tx int64
		if err := rows.Scan(&ts, &id, &rx, &tx); err != nil {
			return nil, fmt.Errorf("store: network buckets: %w", err)
		}
		if out[ts] == nil {
			out[ts] = map[int64]usage.Totals{}
		}
		out[ts][id] = usage.Totals{Rx: uint64(rx), Tx: uint64(tx)}
	}
	return out, rows.Err()
}

// networkID finds a network by name.
func networkID(ctx context.Context, tx *sql.Tx, name string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM networks WHERE name = ?`, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("%w: %q", ErrNoNetwork, name)
	}
	return id, err
}

// editNetworks runs fn in a write transaction.
func (s *Store) editNetworks(ctx context.Context, what string, fn func(tx *sql.Tx) error) error {
	if s.w == nil {
		return ErrReadOnly
	}
	tx, err := s.writeTx(ctx)
	if err != nil {
		return err
	}
	defer rollback(tx)
	if err := fn(tx); err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: %s: %w", what, sqliteErr(err))
	}
	return nil
}

// RenameNetwork gives the network named old the name new; its history and
// fingerprints stay with it.
func (s *Store) RenameNetwork(ctx context.Context, old, new string) error {
	new = strings.TrimSpace(new)
	if new == "" || new == usage.UnknownNetwork {
		return fmt.Errorf("store: rename network: %w: %q is not a name a network can take", ErrNetworkNameUsed, new)
	}
	return s.editNetworks(ctx, "rename network", func(tx *sql.Tx) error {
		id, err := networkID(ctx, tx, old)
		if err != nil {
			return err
		}
		var other int64
		err = tx.QueryRowContext(ctx, `SELECT id FROM networks WHERE name = ? AND id != ?`, new, id).Scan(&other)
		if err == nil {
			return fmt.Errorf("%w: %q", ErrNetworkNameUsed, new)
		}
		_, err = tx.ExecContext(ctx, `UPDATE networks SET name = ? WHERE id = ?`, new, id)
		return err
	})
}

// MergeNetworks merges the network named from into the one named into:
// from's fingerprints and traffic become into's, so a later visit to
// either is counted as into, and from is removed. into keeps its name and
// metered flag.
func (s *Store) MergeNetworks(ctx context.Context, from, into string) error {
	return s.editNetworks(ctx, "merge networks", func(tx *sql.Tx) error {
		a, err := networkID(ctx, tx, from)
		if err != nil {
			return err
		}
		b, err := networkID(ctx, tx, into)
		if err != nil {
			return err
		}
		if a == b {
			return fmt.Errorf("%w: %q and %q are the same network", ErrSameNetwork, from, into)
		}
		for _, q := range []string{
			`INSERT INTO network_usage (ts, iface_id, network_id, rx, tx)
				SELECT ts, iface_id, ?2, rx, tx FROM network_usage WHERE network_id = ?1 AND true
				ON CONFLICT (ts, iface_id, network_id) DO UPDATE SET rx = rx + excluded.rx, tx = tx + excluded.tx`,
			`DELETE FROM network_usage WHERE network_id = ?1`,
			`UPDATE network_fingerprints SET network_id = ?2 WHERE network_id = ?1`,
			`UPDATE networks SET
				first_seen = min(first_seen, (SELECT first_seen FROM networks WHERE id = ?1)),
				last_seen = max(last_seen, (SELECT last_seen FROM networks WHERE id = ?1))
				WHERE id = ?2`,
			`DELETE FROM networks WHERE id = ?1`,
		} {
			if _, err := tx.ExecContext(ctx, q, a, b); err != nil {
				return err
			}
		}
		return nil
	})
}

// SetNetworkMetered sets the metered flag of the network named name.
func (s *Store) SetNetworkMetered(ctx context.Context, name string, metered bool) error {
	return s.editNetworks(ctx, "set network metered", func(tx *sql.Tx) error {
		id, err := networkID(ctx, tx, name)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE networks SET metered = ? WHERE id = ?`, metered, id)
		return err
	})
}

// NetworkDayTotals returns one entry per local day from..to inclusive
// (zero days included) with the traffic of the named networks on the
// interfaces f selects: what a data plan limited to networks meters. The
// name usage.UnknownNetwork selects the unknown network (each day's
// interface total less its known networks). A name no network has counts
// nothing.
func (s *Store) NetworkDayTotals(ctx context.Context, from, to usage.Date, loc *time.Location, f usage.Filter, names []string) ([]usage.DayTotals, error) {
	out, err := zeroDays(from, to, loc)
	if err != nil {
		return nil, fmt.Errorf("store: network days: %w", err)
	}
	unknown := false
	var known []string
	for _, n := range names {
		if n == usage.UnknownNetwork {
			unknown = true
		} else {
			known = append(known, n)
		}
	}
	where, fargs := s.appIfaceFilter(f)
	lo, hi := from.Start(loc).Unix(), to.AddDays(1).Start(loc).Unix()
	add := func(cond string, condArgs []any, sign int) error {
		args := append(append([]any{lo, hi}, condArgs...), fargs...)
		rows, err := s.r.QueryContext(ctx, `SELECT u.ts, sum(u.rx), sum(u.tx)
			FROM network_usage u JOIN interfaces i ON i.id = u.iface_id
			WHERE u.ts >= ? AND u.ts < ? `+cond+` `+where+`
			GROUP BY u.ts`, args...)
		if err != nil {
			return err
		}
		return addByDay(rows, out, loc, sign)
	}
	if unknown {
		all, err := s.DayTotals(ctx, from, to, loc, f)
		if err != nil {
			return nil, err
		}
		for i := range out {
			out[i].Totals = all[i].Totals
		}
		if err := add("", nil, -1); err != nil {
			return nil, fmt.Errorf("store: network days: %w", err)
		}
	}
	if len(known) > 0 {
		args := make([]any, len(known))
		for i, n := range known {
			args[i] = n
		}
		cond := "AND u.network_id IN (SELECT id FROM networks WHERE name IN (?" + strings.Repeat(",?", len(known)-1) + "))"
		if err := add(cond, args, +1); err != nil {
			return nil, fmt.Errorf("store: network days: %w", err)
		}
	}
	return out, nil
}

// NetworkLifetimes returns each known network's traffic over all time and
// every interface (for /metrics: a read of the network rows only, without
// the interfaces' history that the unknown network would need).
func (s *Store) NetworkLifetimes(ctx context.Context) ([]usage.NetworkTotals, error) {
	nets, err := s.Networks(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT network_id, sum(rx), sum(tx) FROM network_usage GROUP BY network_id`)
	if err != nil {
		return nil, fmt.Errorf("store: network lifetimes: %w", err)
	}
	defer rows.Close()
	sums := map[int64]usage.Totals{}
	for rows.Next() {
		var id, rx, tx int64
		if err := rows.Scan(&id, &rx, &tx); err != nil {
			return nil, fmt.Errorf("store: network lifetimes: %w", err)
		}
		sums[id] = usage.Totals{Rx: uint64(rx), Tx: uint64(tx)}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: network lifetimes: %w", err)
	}
	out := make([]usage.NetworkTotals, 0, len(nets))
	for _, n := range nets {
		out = append(out, usage.NetworkTotals{Network: n, Totals: sums[n.ID]})
	}
	return out, nil
}
