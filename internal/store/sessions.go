package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Session is a paired browser's session (pb pair). Hash is the SHA-256 of
// the secret the browser holds in its cookie; the secret itself is never
// stored. ID is public: it is listed and names the session to revoke.
type Session struct {
	ID       string
	Hash     []byte
	Name     string
	Created  time.Time
	LastSeen time.Time
	Expires  time.Time
}

// AddSession records a new session.
func (s *Store) AddSession(ctx context.Context, ss Session) error {
	if s.w == nil {
		return fmt.Errorf("store: add session: %w", ErrReadOnly)
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO sessions (id, hash, name, created_at, last_seen, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
		ss.ID, ss.Hash, ss.Name, ss.Created.Unix(), ss.LastSeen.Unix(), ss.Expires.Unix())
	if err != nil {
		return fmt.Errorf("store: add session: %w", err)
	}
	return nil
}

// Sessions returns the sessions that have not expired at now, oldest first,
// after deleting the expired ones (unless the store is read-only).
func (s *Store) Sessions(ctx context.Context, now time.Time) ([]Session, error) {
	if s.w != nil {
		if _, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, now.Unix()); err != nil {
			return nil, fmt.Errorf("store: sessions: %w", err)
		}
	}
	var out []Session
	err := s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, hash, name, created_at, last_seen, expires_at FROM sessions WHERE expires_at > ? ORDER BY created_at, id`, now.Unix())
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var ss Session
			var c, l, e int64
			if err := rows.Scan(&ss.ID, &ss.Hash, &ss.Name, &c, &l, &e); err != nil {
				return err
			}
			ss.Created, ss.LastSeen, ss.Expires = time.Unix(c, 0), time.Unix(l, 0), time.Unix(e, 0)
			out = append(out, ss)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: sessions: %w", err)
	}
	return out, nil
}

// TouchSession records when a session was last used.
func (s *Store) TouchSession(ctx context.Context, id string, at time.Time) error {
	if s.w == nil {
		return fmt.Errorf("store: touch session: %w", ErrReadOnly)
	}
	if _, err := s.w.ExecContext(ctx, `UPDATE sessions SET last_seen = ? WHERE id = ?`, at.Unix(), id); err != nil {
		return fmt.Errorf("store: touch session: %w", err)
	}
	return nil
}

// DeleteSessions deletes the sessions with the given ids, or every session
// when ids is empty, and returns how many were deleted.
func (s *Store) DeleteSessions(ctx context.Context, ids ...string) (int64, error) {
	if s.w == nil {
		return 0, fmt.Errorf("store: delete sessions: %w", ErrReadOnly)
	}
	var res sql.Result
	var err error
	if len(ids) == 0 {
		res, err = s.w.ExecContext(ctx, `DELETE FROM sessions`)
	} else {
		var n int64
		for _, id := range ids {
			if res, err = s.w.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, id); err != nil {
				break
			}
			k, _ := res.RowsAffected()
			n += k
		}
		if err == nil {
			return n, nil
		}
	}
	if err != nil {
		return 0, fmt.Errorf("store: delete sessions: %w", err)
	}
	return res.RowsAffected()
}
