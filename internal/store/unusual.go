package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/packetbuddy/pb/internal/usage"
)

// keyUnusualChecked is the state key of the instant up to which the daemon
// looked for unusual usage (unix seconds).
const keyUnusualChecked = "unusual_checked"

// UnusualChecked returns the instant up to which unusual usage was looked
// for; ok is false when it never was.
func (s *Store) UnusualChecked(ctx context.Context) (t time.Time, ok bool, err error) {
	v, ok, err := getState(ctx, s.r, keyUnusualChecked)
	if err != nil || !ok {
		return time.Time{}, false, wrapErr("store: unusual checked", err)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("store: unusual checked: %q is not a time: %w", v, err)
	}
	return time.Unix(n, 0).UTC(), true, nil
}

// AddUnusual appends the events found by a look for unusual usage and
// records that everything before through was looked at, in one
// transaction: a restart neither repeats an event nor skips an hour.
func (s *Store) AddUnusual(ctx context.Context, events []usage.Event, through time.Time) error {
	tx, err := s.writeTx(ctx)
	if err != nil {
		return fmt.Errorf("store: add unusual usage: %w", err)
	}
	if err := writeEvents(ctx, tx, events, through.Unix()); err != nil {
		rollback(tx)
		return fmt.Errorf("store: add unusual usage: %w", err)
	}
	if err := putState(ctx, tx, keyUnusualChecked, strconv.FormatInt(through.Unix(), 10)); err != nil {
		rollback(tx)
		return fmt.Errorf("store: add unusual usage: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: add unusual usage: %w", err)
	}
	return nil
}

func wrapErr(msg string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", msg, err)
}
