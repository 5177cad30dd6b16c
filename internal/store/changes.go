package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"
)

// Change is one coarse (15-minute) bucket written since the last
// acknowledgement, with its current ABSOLUTE value: sending it twice sets
// the same value twice.
type Change struct {
	Seq     int64 // change sequence; AckChanges(Seq) acknowledges it
	IfaceID int64
	Bucket  time.Time // UTC start of the 15-minute bucket
	Rx, Tx  int64
}

// SyncInterface is an interface row as the fleet sync sends it.
type SyncInterface struct {
	ID      int64
	Name    string
	MAC     string
	Kind    string
	Counted bool
}

// Changes returns up to limit changed coarse buckets in change-sequence
// order, read in one snapshot. The outbox is filled by triggers on the coarse
// table (migration 0002), so every writer stamps its rows.
func (s *Store) Changes(ctx context.Context, limit int) ([]Change, error) {
	if limit <= 0 {
		limit = 5000
	}
	var out []Change
	err := s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT o.seq, o.iface_id, o.ts, c.rx, c.tx
			FROM sync_outbox o JOIN coarse c ON c.ts = o.ts AND c.iface_id = o.iface_id
			ORDER BY o.seq LIMIT ?`, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c Change
			var ts int64
			if err := rows.Scan(&c.Seq, &c.IfaceID, &ts, &c.Rx, &c.Tx); err != nil {
				return err
			}
			c.Bucket = time.Unix(ts, 0).UTC()
			out = append(out, c)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: changes: %w", err)
	}
	return out, nil
}

// PendingChanges is the number of coarse buckets not yet acknowledged.
func (s *Store) PendingChanges(ctx context.Context) (int64, error) {
	var n int64
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM sync_outbox`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: pending changes: %w", err)
	}
	return n, nil
}

// AckChanges records that every change with a sequence up to seq is in the
// remote database: their outbox entries are deleted. Call it only after the
// remote COMMIT succeeded, with the last Seq of a Changes answer. Every
// outbox row has its own sequence (a unique index) and Changes reads in
// sequence order, so the rows up to seq are exactly those read; a bucket
// written again after it was read has a higher sequence and stays pending.
func (s *Store) AckChanges(ctx context.Context, seq int64) error {
	tx, err := s.writeTx(ctx)
	if err != nil {
		return fmt.Errorf("store: ack changes: %w", err)
	}
	defer rollback(tx)
	if _, err := tx.ExecContext(ctx, `DELETE FROM sync_outbox WHERE seq <= ?`, seq); err != nil {
		return fmt.Errorf("store: ack changes: %w", err)
	}
	if err := putState(ctx, tx, keySyncWatermark, strconv.FormatInt(seq, 10)); err != nil {
		return fmt.Errorf("store: ack changes: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: ack changes: %w", err)
	}
	return nil
}

// StartChangeTracking turns the outbox on (a no-op when it is on already).
// The first time, every coarse bucket becomes pending, so a device that
// enables sync uploads its whole history. Until then no outbox row is
// written: without sync it would only grow.
func (s *Store) StartChangeTracking(ctx context.Context) error {
	if s.w == nil {
		return fmt.Errorf("store: start change tracking: %w", ErrReadOnly)
	}
	if _, ok, err := getState(ctx, s.w, keySyncTracking); err != nil || ok {
		if err != nil {
			return fmt.Errorf("store: start change tracking: %w", err)
		}
		return nil
	}
	return s.resend(ctx, true)
}

// StopChangeTracking turns the outbox off and empties it (sync disabled).
// A later StartChangeTracking sends everything again.
func (s *Store) StopChangeTracking(ctx context.Context) error {
	if s.w == nil {
		return fmt.Errorf("store: stop change tracking: %w", ErrReadOnly)
	}
	if _, err := s.w.ExecContext(ctx, `DELETE FROM state WHERE key = ?`, keySyncTracking); err != nil {
		return fmt.Errorf("store: stop change tracking: %w", err)
	}
	if _, err := s.w.ExecContext(ctx, `DELETE FROM sync_outbox`); err != nil {
		return fmt.Errorf("store: stop change tracking: %w", err)
	}
	return nil
}

// ResendAll marks every coarse bucket pending again: harmless, since the
// remote rows take absolute values.
func (s *Store) ResendAll(ctx context.Context) error { return s.resend(ctx, false) }

func (s *Store) resend(ctx context.Context, start bool) error {
	tx, err := s.writeTx(ctx)
	if err != nil {
		return fmt.Errorf("store: resend all: %w", err)
	}
	defer rollback(tx)
	if start {
		if err := putState(ctx, tx, keySyncTracking, "1"); err != nil {
			return fmt.Errorf("store: start change tracking: %w", err)
		}
	}
	// Every row its own sequence, oldest bucket first, all above any
	// sequence read so far: an acknowledgement of a batch (seq <= the last
	// one sent) then removes exactly that batch, never the rows after it.
	if _, err := tx.ExecContext(ctx, `INSERT INTO sync_outbox (iface_id, ts, seq)
		SELECT iface_id, ts, (SELECT n FROM sync_seq WHERE id = 1) + row_number() OVER (ORDER BY ts, iface_id)
		FROM coarse WHERE true
		ON CONFLICT (iface_id, ts) DO UPDATE SET seq = excluded.seq`); err != nil {
		return fmt.Errorf("store: resend all: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE sync_seq SET n = n + (SELECT count(*) FROM coarse) WHERE id = 1`); err != nil {
		return fmt.Errorf("store: resend all: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: resend all: %w", err)
	}
	return nil
}

// SyncInterfaces lists every interface row for the fleet sync.
func (s *Store) SyncInterfaces(ctx context.Context) ([]SyncInterface, error) {
	var out []SyncInterface
	err := s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, name, mac, kind, counted FROM interfaces ORDER BY id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var i SyncInterface
			if err := rows.Scan(&i.ID, &i.Name, &i.MAC, &i.Kind, &i.Counted); err != nil {
				return err
			}
			out = append(out, i)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: sync interfaces: %w", err)
	}
	return out, nil
}

// State keys of the fleet sync.
const (
	keySyncWatermark = "sync_watermark" // highest acknowledged change sequence
	keySyncStatus    = "sync_status"    // JSON written by the syncer, read by pb sync status
	keySyncTracking  = "sync_tracking"  // present: the coarse triggers fill sync_outbox (see 0002)
)

// SyncState returns the syncer's saved status document ("" when none) and
// the acknowledged watermark.
func (s *Store) SyncState(ctx context.Context) (status string, watermark int64, err error) {
	status, _, err = getState(ctx, s.r, keySyncStatus)
	if err != nil {
		return "", 0, fmt.Errorf("store: sync state: %w", err)
	}
	w, ok, err := getState(ctx, s.r, keySyncWatermark)
	if err != nil {
		return "", 0, fmt.Errorf("store: sync state: %w", err)
	}
	if ok {
		watermark, _ = strconv.ParseInt(w, 10, 64)
	}
	return status, watermark, nil
}

// SetSyncStatus saves the syncer's status document (JSON, never a secret).
func (s *Store) SetSyncStatus(ctx context.Context, status string) error {
	if s.w == nil {
		return fmt.Errorf("store: set sync status: %w", ErrReadOnly)
	}
	if err := putState(ctx, s.w, keySyncStatus, status); err != nil {
		return fmt.Errorf("store: set sync status: %w", err)
	}
	return nil
}

// Bucket is one coarse (15-minute) row: an interface's absolute traffic in
// the bucket starting at Start (UTC).
type Bucket struct {
	IfaceID int64
	Start   time.Time
	Rx, Tx  int64
}

// EachBucket calls fn for every coarse bucket in time order (the key order),
// from one snapshot, without holding them all in memory: pb sync verify
// compares them with the remote copy.
func (s *Store) EachBucket(ctx context.Context, fn func(Bucket) error) error {
	err := s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT iface_id, ts, rx, tx FROM coarse ORDER BY ts, iface_id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var b Bucket
			var ts int64
			if err := rows.Scan(&b.IfaceID, &ts, &b.Rx, &b.Tx); err != nil {
				return err
			}
			b.Start = time.Unix(ts, 0).UTC()
			if err := fn(b); err != nil {
				return err
			}
		}
		return rows.Err()
	})
	if err != nil {
		return fmt.Errorf("store: buckets: %w", err)
	}
	return nil
}
