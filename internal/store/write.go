package store

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/packetbuddy/pb/internal/usage"
)

// Event retention: Prune keeps at most the newest maxEvents events and none
// older than a year.
const (
	maxEvents = 10_000
	eventAge  = 366 * 24 * time.Hour
)

// State keys.
const (
	keySnapshot    = "snapshot"
	keyDeviceID    = "device_id"
	keyCreatedAt   = "created_at"
	keyFineHorizon = "fine_horizon" // unix s: fine rows before it may be missing (pruned, or imported coarse-only)
)

// Flush writes one batch of the monitor in one transaction: it upserts the
// interfaces (Kind and Counted refreshed; an empty Kind keeps the stored
// one), adds every Delta to its 1-minute and 15-minute buckets, the hourly
// and daily rollups and the interface's lifetime, MAX-merges the peaks,
// appends the events and replaces the counter snapshot (a zero Snapshot
// leaves the saved one alone). Deltas of zero bytes are skipped.
//
// Interfaces are matched by name and MAC; when either MAC is "" the name
// alone matches (the most recently seen row of that name), and a stored row
// without MAC takes the MAC it is first seen with. A Delta whose interface is
// not in b.Interfaces and not yet known creates it as counted, of unknown
// kind. First/last seen come from the clock (Options.Now) and the delta
// buckets; last seen is only rewritten when it moved by 5 minutes or more.
//
// On any error nothing is written and the error is returned: the caller keeps
// its pending batch and retries, and no byte is counted twice.
func (s *Store) Flush(ctx context.Context, b usage.Batch) error {
	if err := s.flush(ctx, b); err != nil {
		return fmt.Errorf("store: flush: %w", sqliteErr(err))
	}
	return nil
}

func (s *Store) flush(ctx context.Context, b usage.Batch) error {
	tx, err := s.writeTx(ctx)
	if err != nil {
		return err
	}
	defer rollback(tx)
	now := s.now().Unix()
	res := newResolver(tx)
	for _, in := range b.Interfaces {
		id, err := res.resolve(ctx, in.Name, in.MAC, &in, now)
		if err != nil {
			return err
		}
		// Only a change is written: an unchanged row costs no page write.
		if _, err := tx.ExecContext(ctx, `UPDATE interfaces SET counted = ?1, kind = ?2
			WHERE id = ?3 AND ?2 != '' AND (counted != ?1 OR kind != ?2)`,
			in.Counted, in.Kind, id); err != nil {
			return fmt.Errorf("update interface %s: %w", in.Name, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE interfaces SET counted = ?1 WHERE id = ?2 AND ?3 = '' AND counted != ?1`,
			in.Counted, id, in.Kind); err != nil {
			return fmt.Errorf("update interface %s: %w", in.Name, err)
		}
		res.touch(id, now, now)
	}
	a := newAggregate()
	old := false
	for _, d := range b.Deltas {
		if d.Rx == 0 && d.Tx == 0 {
			continue
		}
		old = old || unixFloor(d.Bucket) < now-int64(oldWrite/time.Second)
		id, err := res.resolve(ctx, d.Iface, d.MAC, nil, unixFloor(d.Bucket))
		if err != nil {
			return err
		}
		if err := a.add(ctx, tx, id, d.Bucket, d.Totals, true); errors.As(err, new(errOutOfRange)) {
			// A value that cannot be stored is dropped with an event rather
			// than failing the flush: a batch that can never be written
			// would stop every later write.
			b.Events = append(b.Events, usage.Event{Time: d.Bucket, Kind: usage.EventSpike, Iface: d.Iface, Totals: d.Totals,
				Message: fmt.Sprintf("discarded %d/%d bytes: %v", d.Rx, d.Tx, err)})
			continue
		} else if err != nil {
			return err
		}
		res.touch(id, min(unixFloor(d.Bucket), now), now)
	}
	if err := a.write(ctx, tx); err != nil {
		return err
	}
	if old {
		if err := bumpHistory(ctx, tx); err != nil {
			return err
		}
	}
	if err := writeApps(ctx, tx, res, b.Apps, now); err != nil {
		return err
	}
	if err := writeNetworks(ctx, tx, res, b.Networks, now); err != nil {
		return err
	}
	if err := res.flushSeen(ctx); err != nil {
		return err
	}
	if err := writePeaks(ctx, tx, b.Peaks); err != nil {
		return err
	}
	if err := writeEvents(ctx, tx, b.Events, now); err != nil {
		return err
	}
	if !snapshotZero(b.Snapshot) {
		if err := putState(ctx, tx, keySnapshot, encodeSnapshot(b.Snapshot)); err != nil {
			return fmt.Errorf("save snapshot: %w", err)
		}
	}
	return tx.Commit()
}

// AddHistory adds imported traffic of one interface in one transaction: every
// Delta (its Iface and MAC are ignored) goes to its 15-minute bucket, the
// rollups and the lifetime, and to its 1-minute bucket when it is within the
// fine retention (older minutes are marked missing from the fine tier, see
// Stats.FineHorizon). Adding the same history twice counts it twice.
// The interface is created with iface's Kind and Counted when it is new; an
// existing row keeps its own (ApplyPolicy recomputes them).
func (s *Store) AddHistory(ctx context.Context, iface usage.Interface, deltas []usage.Delta) error {
	if err := s.addHistory(ctx, iface, deltas); err != nil {
		return fmt.Errorf("store: add history of %s: %w", iface.Name, err)
	}
	return nil
}

func (s *Store) addHistory(ctx context.Context, iface usage.Interface, deltas []usage.Delta) error {
	if iface.Name == "" {
		return errors.New("interface has no name")
	}
	tx, err := s.writeTx(ctx)
	if err != nil {
		return err
	}
	defer rollback(tx)
	cutoff := s.now().Add(-s.fineRetention).Unix()
	res := newResolver(tx)
	a := newAggregate()
	var id int64
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	coarseOnly := false
	for _, d := range deltas {
		if d.Rx == 0 && d.Tx == 0 {
			continue
		}
		ts := unixFloor(d.Bucket)
		if id == 0 {
			if id, err = res.resolve(ctx, iface.Name, iface.MAC, &iface, ts); err != nil {
				return err
			}
		}
		fine := ts >= cutoff
		coarseOnly = coarseOnly || !fine
		if err := a.add(ctx, tx, id, d.Bucket, d.Totals, fine); err != nil {
			return err
		}
		lo, hi = min(lo, ts), max(hi, ts)
	}
	if id == 0 {
		return nil // nothing to add
	}
	res.touch(id, lo, hi)
	if err := a.write(ctx, tx); err != nil {
		return err
	}
	if err := bumpHistory(ctx, tx); err != nil {
		return err
	}
	if err := res.flushSeen(ctx); err != nil {
		return err
	}
	if coarseOnly {
		if err := raiseFineHorizon(ctx, tx, cutoff); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Snapshot returns the last saved counter snapshot, and false when there is
// none (first run).
func (s *Store) Snapshot(ctx context.Context) (usage.Snapshot, bool, error) {
	v, ok, err := getState(ctx, s.r, keySnapshot)
	if err != nil || !ok {
		if err != nil {
			err = fmt.Errorf("store: snapshot: %w", err)
		}
		return usage.Snapshot{}, false, err
	}
	snap, err := decodeSnapshot(v)
	if err != nil {
		return usage.Snapshot{}, false, fmt.Errorf("store: snapshot: %w", err)
	}
	return snap, true, nil
}

// DeviceID returns this database's device id, a random UUID v4 created on
// first use and stable after. A read-only store with no id yet returns an
// error wrapping ErrReadOnly.
func (s *Store) DeviceID(ctx context.Context) (string, error) {
	v, ok, err := getState(ctx, s.r, keyDeviceID)
	if err != nil {
		return "", fmt.Errorf("store: device id: %w", err)
	}
	if ok {
		return v, nil
	}
	if s.w == nil {
		return "", fmt.Errorf("store: device id: none created yet: %w", ErrReadOnly)
	}
	id, err := newUUID()
	if err != nil {
		return "", fmt.Errorf("store: device id: %w", err)
	}
	// ON CONFLICT DO NOTHING + re-read: two concurrent first calls agree.
	if _, err := s.w.ExecContext(ctx, `INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING`, keyDeviceID, id); err != nil {
		return "", fmt.Errorf("store: device id: %w", err)
	}
	v, _, err = getState(ctx, s.w, keyDeviceID)
	if err != nil {
		return "", fmt.Errorf("store: device id: %w", err)
	}
	return v, nil
}

// SetDeviceID replaces the device id, to carry over the id of an older
// installation. id must be 1 to 128 printable ASCII characters without spaces.
func (s *Store) SetDeviceID(ctx context.Context, id string) error {
	if id == "" || len(id) > 128 {
		return fmt.Errorf("store: set device id: %d characters, want 1 to 128", len(id))
	}
	for _, c := range []byte(id) {
		if c <= ' ' || c > '~' {
			return fmt.Errorf("store: set device id: %q has a character that is not printable ASCII", id)
		}
	}
	if s.w == nil {
		return fmt.Errorf("store: set device id: %w", ErrReadOnly)
	}
	if err := putState(ctx, s.w, keyDeviceID, id); err != nil {
		return fmt.Errorf("store: set device id: %w", err)
	}
	return nil
}

// ApplyPolicy recomputes interfaces.counted for every interface with
// counted(name, kind), in one transaction. Since traffic of excluded
// interfaces is recorded too, this re-totals all history.
func (s *Store) ApplyPolicy(ctx context.Context, counted func(name, kind string) bool) error {
	if err := s.applyPolicy(ctx, counted); err != nil {
		return fmt.Errorf("store: apply policy: %w", err)
	}
	return nil
}

func (s *Store) applyPolicy(ctx context.Context, counted func(name, kind string) bool) error {
	if counted == nil {
		return errors.New("no policy function")
	}
	tx, err := s.writeTx(ctx)
	if err != nil {
		return err
	}
	defer rollback(tx)
	rows, err := tx.QueryContext(ctx, `SELECT id, name, kind, counted FROM interfaces`)
	if err != nil {
		return err
	}
	type change struct {
		id      int64
		counted bool
	}
	var changes []change
	for rows.Next() {
		var (
			id         int64
			name, kind string
			was        bool
		)
		if err := rows.Scan(&id, &name, &kind, &was); err != nil {
			rows.Close()
			return err
		}
		if c := counted(name, kind); c != was {
			changes = append(changes, change{id, c})
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return err
	}
	for _, c := range changes {
		if _, err := tx.ExecContext(ctx, `UPDATE interfaces SET counted = ? WHERE id = ?`, c.counted, c.id); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Prune deletes fine-tier rows older than the fine retention (relative to
// Options.Now), events older than a year and all but the newest 10,000
// events. It never touches the coarse tier, its rollups, the lifetime totals
// or the peaks.
// It returns the number of rows deleted; with nothing to delete it costs a few
// index lookups.
func (s *Store) Prune(ctx context.Context) (int64, error) {
	p, err := s.PruneWith(ctx, false)
	return p.Total(), err
}

// PruneWith is Prune that reports what it deleted per kind; with dryRun it
// only counts what it would delete, and changes nothing.
func (s *Store) PruneWith(ctx context.Context, dryRun bool) (Pruned, error) {
	p, err := s.prune(ctx, dryRun)
	if err != nil {
		return Pruned{}, fmt.Errorf("store: prune: %w", err)
	}
	return p, nil
}

func (s *Store) prune(ctx context.Context, dryRun bool) (Pruned, error) {
	tx, err := s.writeTx(ctx)
	if err != nil {
		return Pruned{}, err
	}
	defer rollback(tx)
	now := s.now()
	cutoff := now.Add(-s.fineRetention).Unix()
	// Each condition is written once and used by the count or the delete.
	del := func(dst *int64, table, where string, args ...any) error {
		if dryRun {
			var k int64
			err := tx.QueryRowContext(ctx, `SELECT count(*) FROM `+table+` WHERE `+where, args...).Scan(&k)
			*dst += k
			return err
		}
		r, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE `+where, args...)
		if err != nil {
			return err
		}
		k, err := r.RowsAffected()
		*dst += k
		return err
	}
	var p Pruned
	// The oldest rows lead the primary key: with nothing to delete this is
	// one b-tree seek.
	if err := del(&p.FineRows, "fine", `ts < ?`, cutoff); err != nil {
		return Pruned{}, err
	}
	if dryRun {
		// Events: the year-old and those beyond the newest maxEvents,
		// counted once each.
		if err := del(&p.EventRows, "events", `ts < ? OR id <= (SELECT max(id) FROM events) - ?`, now.Add(-eventAge).Unix(), maxEvents); err != nil {
			return Pruned{}, err
		}
		return p, nil
	}
	if err := del(&p.EventRows, "events", `ts < ?`, now.Add(-eventAge).Unix()); err != nil {
		return Pruned{}, err
	}
	if err := del(&p.EventRows, "events", `id <= (SELECT max(id) FROM events) - ?`, maxEvents); err != nil {
		return Pruned{}, err
	}
	if p.FineRows > 0 {
		if err := raiseFineHorizon(ctx, tx, cutoff); err != nil {
			return Pruned{}, err
		}
	}
	return p, tx.Commit()
}

// resolver maps (name, mac) to interface rows within one transaction.
type resolver struct {
	tx   *sql.Tx
	ids  map[[2]string]int64
	seen map[int64][2]int64 // first, last
}

func newResolver(tx *sql.Tx) *resolver {
	return &resolver{tx: tx, ids: map[[2]string]int64{}, seen: map[int64][2]int64{}}
}

// resolve returns the row id for (name, mac) under the identity rule,
// creating the row (from def, or as a counted interface of unknown kind) when
// there is none. ts is the first-seen time of a new row.
func (r *resolver) resolve(ctx context.Context, name, mac string, def *usage.Interface, ts int64) (int64, error) {
	key := [2]string{name, mac}
	if id, ok := r.ids[key]; ok {
		return id, nil
	}
	id, err := r.find(ctx, name, mac)
	if err != nil {
		return 0, fmt.Errorf("find interface %s: %w", name, err)
	}
	if id == 0 {
		kind, counted := "", true
		if def != nil {
			kind, counted = def.Kind, def.Counted
		}
		err := r.tx.QueryRowContext(ctx, `INSERT INTO interfaces (name, mac, kind, counted, first_seen, last_seen)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, name, mac, kind, counted, ts, ts).Scan(&id)
		if err != nil {
			return 0, fmt.Errorf("add interface %s: %w", name, err)
		}
	}
	r.ids[key] = id
	return id, nil
}

func (r *resolver) find(ctx context.Context, name, mac string) (int64, error) {
	var id int64
	err := r.tx.QueryRowContext(ctx, `SELECT id FROM interfaces WHERE name = ? AND mac = ?`, name, mac).Scan(&id)
	if !errors.Is(err, sql.ErrNoRows) {
		return id, err
	}
	if mac == "" { // no MAC to tell adapters apart: the most recent of that name
		err = r.tx.QueryRowContext(ctx, `SELECT id FROM interfaces WHERE name = ?
			ORDER BY last_seen DESC, id DESC LIMIT 1`, name).Scan(&id)
	} else { // a row recorded without MAC learns it
		err = r.tx.QueryRowContext(ctx, `UPDATE interfaces SET mac = ? WHERE id =
			(SELECT id FROM interfaces WHERE name = ? AND mac = '' ORDER BY id LIMIT 1) RETURNING id`,
			mac, name).Scan(&id)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// touch widens the first/last seen span of id.
func (r *resolver) touch(id, first, last int64) {
	if s, ok := r.seen[id]; ok {
		first, last = min(first, s[0]), max(last, s[1])
	}
	r.seen[id] = [2]int64{first, last}
}

// seenPrecision is how stale interfaces.last_seen may be: updating it on
// every flush would cost a page write each time for a value shown as
// "last seen 3 days ago".
const seenPrecision = 5 * 60

func (r *resolver) flushSeen(ctx context.Context) error {
	for id, s := range r.seen {
		if _, err := r.tx.ExecContext(ctx, `UPDATE interfaces SET first_seen = min(first_seen, ?1),
			last_seen = max(last_seen, ?2) WHERE id = ?3 AND (first_seen > ?1 OR last_seen < ?2 - ?4)`,
			s[0], s[1], id, seenPrecision); err != nil {
			return fmt.Errorf("update interface seen: %w", err)
		}
	}
	return nil
}

// tiers are the bucketed tables: the fine and coarse tiers and the coarse
// tier's hourly and daily rollups, with their bucket widths in seconds.
var tiers = [...]struct {
	table string
	width int64
}{{"fine", fineSec}, {"coarse", coarseSec}, {"hourly", hourSec}, {"daily", daySec}}

// aggregate sums deltas per bucket of every tier before writing, so a
// minute of one-second deltas costs one row per tier, and each table is then
// written by a single statement.
type aggregate struct {
	tiers [len(tiers)]map[[2]int64]usage.Totals // (iface id, ts)
	life  map[int64]usage.Totals
	// stored is each interface's lifetime already in the database. It is at
	// least any of its buckets, so a sum that keeps stored+life within
	// SQLite's INTEGER keeps every bucket within it too (SQLite would turn
	// an overflowing sum into a REAL that no reader can scan).
	stored map[int64]usage.Totals
}

func newAggregate() *aggregate {
	a := &aggregate{life: map[int64]usage.Totals{}, stored: map[int64]usage.Totals{}}
	for i := range a.tiers {
		a.tiers[i] = map[[2]int64]usage.Totals{}
	}
	return a
}

// add adds t to the buckets of every tier holding bucket, the fine one only
// when fine is set.
// On error (a sum beyond SQLite's INTEGER) nothing is added.
func (a *aggregate) add(ctx context.Context, q execQuerier, id int64, bucket time.Time, t usage.Totals, fine bool) error {
	stored, ok := a.stored[id]
	if !ok {
		var rx, tx int64
		err := q.QueryRowContext(ctx, `SELECT rx, tx FROM lifetime WHERE iface_id = ?`, id).Scan(&rx, &tx)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read lifetime: %w", err)
		}
		stored = usage.Totals{Rx: uint64(rx), Tx: uint64(tx)}
		a.stored[id] = stored
	}
	if _, err := addTotals(stored.Add(a.life[id]), t); err != nil {
		return errOutOfRange{err}
	}
	ts := unixFloor(bucket)
	for i, tr := range tiers {
		if i == 0 && !fine {
			continue
		}
		k := [2]int64{id, floorTo(ts, tr.width)}
		a.tiers[i][k] = a.tiers[i][k].Add(t)
	}
	a.life[id] = a.life[id].Add(t)
	return nil
}

// errOutOfRange is a delta that would take a sum beyond SQLite's INTEGER.
type errOutOfRange struct{ error }

// addTotals adds with the limit SQLite's INTEGER can hold.
func addTotals(a, b usage.Totals) (usage.Totals, error) {
	if b.Rx > math.MaxInt64-a.Rx || b.Tx > math.MaxInt64-a.Tx { // a is always <= MaxInt64
		return a, fmt.Errorf("byte count %d/%d out of range", b.Rx, b.Tx)
	}
	return a.Add(b), nil
}

func (a *aggregate) write(ctx context.Context, tx *sql.Tx) error {
	for i, tr := range tiers {
		m := a.tiers[i]
		if len(m) == 0 {
			continue
		}
		keys := make([][2]int64, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(x, y [2]int64) int { // b-tree order (ts, iface_id): fewer page touches
			return cmp.Or(cmp.Compare(x[1], y[1]), cmp.Compare(x[0], y[0]))
		})
		rows := make([]int64, 0, 4*len(keys))
		for _, k := range keys {
			rows = append(rows, k[0], k[1], int64(m[k].Rx), int64(m[k].Tx))
		}
		if err := insertRows(ctx, tx, `INSERT INTO `+tr.table+` (iface_id, ts, rx, tx) VALUES `,
			` ON CONFLICT (ts, iface_id) DO UPDATE SET rx = rx + excluded.rx, tx = tx + excluded.tx`,
			4, rows); err != nil {
			return fmt.Errorf("add to %s: %w", tr.table, err)
		}
	}
	if len(a.life) == 0 {
		return nil
	}
	rows := make([]int64, 0, 3*len(a.life))
	for id, v := range a.life {
		rows = append(rows, id, int64(v.Rx), int64(v.Tx))
	}
	if err := insertRows(ctx, tx, `INSERT INTO lifetime (iface_id, rx, tx) VALUES `,
		` ON CONFLICT (iface_id) DO UPDATE SET rx = rx + excluded.rx, tx = tx + excluded.tx`,
		3, rows); err != nil {
		return fmt.Errorf("add to lifetime: %w", err)
	}
	return nil
}

// insertRowsChunk is how many rows one multi-row INSERT carries: few
// statements per flush, and far below SQLite's limit of bound variables.
const insertRowsChunk = 250

// insertRows runs head + "(?, ...), (?, ...)" + tail over vals, rows of width
// integers each, a chunk of rows per statement. Binding integers is much
// cheaper than one statement per row through database/sql.
func insertRows(ctx context.Context, tx *sql.Tx, head, tail string, width int, vals []int64) error {
	tuple := "(?" + strings.Repeat(", ?", width-1) + ")"
	var stmt *sql.Stmt
	defer func() {
		if stmt != nil {
			stmt.Close()
		}
	}()
	// Sized for what there is: a steady flush has a few rows, and a full
	// chunk's worth (250 rows) was most of what a flush allocated.
	args := make([]any, 0, min(len(vals)/width, insertRowsChunk)*width)
	for len(vals) > 0 {
		n := min(len(vals)/width, insertRowsChunk)
		args = args[:0]
		for _, v := range vals[:n*width] {
			args = append(args, v)
		}
		vals = vals[n*width:]
		q := head + tuple + strings.Repeat(", "+tuple, n-1) + tail
		if n < insertRowsChunk {
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return err
			}
			continue
		}
		if stmt == nil { // full chunks reuse one prepared statement
			var err error
			if stmt, err = tx.PrepareContext(ctx, q); err != nil {
				return err
			}
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

// jsonRows encodes vals, rows of width integers each, as a JSON array of
// arrays: the cheapest way to hand many rows to one statement (json_each)
// through database/sql.
func jsonRows(vals []int64, width int) string {
	b := make([]byte, 0, 16+len(vals)*12)
	b = append(b, '[')
	for i, v := range vals {
		switch {
		case i == 0:
			b = append(b, '[')
		case i%width == 0:
			b = append(b, "],["...)
		default:
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, v, 10)
	}
	if len(vals) > 0 {
		b = append(b, ']')
	}
	return string(append(b, ']'))
}

func writePeaks(ctx context.Context, tx *sql.Tx, peaks []usage.Peak) error {
	if len(peaks) == 0 {
		return nil
	}
	m := map[int64]uint64{}
	for _, p := range peaks {
		if p.BytesPerSec > math.MaxInt64 {
			return fmt.Errorf("peak %d B/s out of range", p.BytesPerSec)
		}
		k := floorTo(unixFloor(p.Bucket), coarseSec)
		m[k] = max(m[k], p.BytesPerSec)
	}
	keys := slices.Sorted(maps.Keys(m))
	rows := make([]int64, 0, 2*len(keys))
	for _, ts := range keys {
		rows = append(rows, ts, int64(m[ts]))
	}
	if err := insertRows(ctx, tx, `INSERT INTO peaks (ts, bps) VALUES `,
		` ON CONFLICT (ts) DO UPDATE SET bps = excluded.bps WHERE excluded.bps > bps`, 2, rows); err != nil {
		return fmt.Errorf("add peaks: %w", err)
	}
	return nil
}

func writeEvents(ctx context.Context, tx *sql.Tx, events []usage.Event, now int64) error {
	for _, e := range events {
		ts := now
		if !e.Time.IsZero() {
			ts = e.Time.Unix()
		}
		if e.Totals.Rx > math.MaxInt64 || e.Totals.Tx > math.MaxInt64 {
			e.Totals = usage.Totals{Rx: min(e.Totals.Rx, math.MaxInt64), Tx: min(e.Totals.Tx, math.MaxInt64)}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO events (ts, kind, iface, rx, tx, message) VALUES (?, ?, ?, ?, ?, ?)`,
			ts, string(e.Kind), e.Iface, int64(e.Totals.Rx), int64(e.Totals.Tx), e.Message); err != nil {
			return fmt.Errorf("add event: %w", err)
		}
	}
	return nil
}

// raiseFineHorizon records that fine rows before ts may be missing.
func raiseFineHorizon(ctx context.Context, tx *sql.Tx, ts int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO state (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE CAST(value AS INTEGER) < CAST(excluded.value AS INTEGER)`,
		keyFineHorizon, strconv.FormatInt(ts, 10))
	if err != nil {
		return fmt.Errorf("record fine horizon: %w", err)
	}
	return nil
}

type execQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func getState(ctx context.Context, q execQuerier, key string) (string, bool, error) {
	var v string
	err := q.QueryRowContext(ctx, `SELECT value FROM state WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return v, err == nil, err
}

func putState(ctx context.Context, q execQuerier, key, value string) error {
	_, err := q.ExecContext(ctx, `INSERT INTO state (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}

// snapshotJSON is the stored form of usage.Snapshot, with its own field names
// so that renaming a Go field does not lose a saved snapshot.
type snapshotJSON struct {
	BootID      string        `json:"boot_id"`
	Time        time.Time     `json:"time"`
	SinceBootNS int64         `json:"since_boot_ns,omitempty"`
	Counters    []counterJSON `json:"counters"`
}

type counterJSON struct {
	Iface string `json:"iface"`
	MAC   string `json:"mac,omitempty"`
	Index uint32 `json:"index,omitempty"`
	Rx    uint64 `json:"rx"`
	Tx    uint64 `json:"tx"`
}

func snapshotZero(s usage.Snapshot) bool {
	return s.BootID == "" && s.Time.IsZero() && s.SinceBoot == 0 && len(s.Counters) == 0
}

func encodeSnapshot(s usage.Snapshot) string {
	j := snapshotJSON{BootID: s.BootID, Time: s.Time.UTC().Round(0), SinceBootNS: int64(s.SinceBoot), Counters: []counterJSON{}}
	for _, c := range s.Counters {
		j.Counters = append(j.Counters, counterJSON(c))
	}
	b, _ := json.Marshal(j) // cannot fail: plain strings and numbers
	return string(b)
}

func decodeSnapshot(v string) (usage.Snapshot, error) {
	var j snapshotJSON
	if err := json.Unmarshal([]byte(v), &j); err != nil {
		return usage.Snapshot{}, fmt.Errorf("decode saved snapshot: %w", err)
	}
	s := usage.Snapshot{BootID: j.BootID, Time: j.Time, SinceBoot: time.Duration(j.SinceBootNS)}
	for _, c := range j.Counters {
		s.Counters = append(s.Counters, usage.CounterState(c))
	}
	return s, nil
}

// newUUID returns a random (version 4) UUID.
func newUUID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}

// Bucket arithmetic in unix seconds.
const (
	fineSec   = int64(usage.FineBucket / time.Second)
	coarseSec = int64(usage.CoarseBucket / time.Second)
	hourSec   = 3600
	daySec    = 86400
)

// unixFloor is t in whole unix seconds, rounded down.
func unixFloor(t time.Time) int64 { return t.Unix() }

// unixCeil is t in whole unix seconds, rounded up: the first whole second
// not before t.
func unixCeil(t time.Time) int64 {
	if t.Nanosecond() > 0 {
		return t.Unix() + 1
	}
	return t.Unix()
}

// floorTo rounds ts down to a multiple of w (also for negative ts).
func floorTo(ts, w int64) int64 {
	m := ts % w
	if m < 0 {
		m += w
	}
	return ts - m
}

// ceilTo rounds ts up to a multiple of w.
func ceilTo(ts, w int64) int64 {
	f := floorTo(ts, w)
	if f == ts {
		return ts
	}
	return f + w
}
