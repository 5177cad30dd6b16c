package store

import (
	"context"
	"database/sql"
	"slices"
	"sync"
	"time"

	"github.com/packetbuddy/pb/internal/usage"
)

// TopDays ranks every local day of the history; on ten years that is tens of
// thousands of range sums. Days that ended long ago do not change, so the
// totals of those "settled" days are kept in memory, per zone and interface
// set, and only recent days are summed again.
//
// A day is settled once it ended settleAfter ago. Writes from the daemon
// only touch recent buckets; a write that touches a bucket older than
// oldWrite (an import, or a flush retried after a long outage) bumps the
// history generation in the state table, which every store — in any process —
// checks before trusting its cache. (A wall clock that jumps back by more
// than a day could defeat this; the next import or restart repairs it.)
const (
	settleAfter = 48 * time.Hour
	oldWrite    = 24 * time.Hour
)

const keyHistoryGen = "history_gen"

type dayCacheKey struct {
	zone, ids, gen string
}

type dayCache struct {
	mu    sync.Mutex
	key   dayCacheKey
	first usage.Date
	days  []usage.Totals // days[i] is first+i; never modified, only replaced
}

// get returns the cached settled days from first for key.
func (c *dayCache) get(key dayCacheKey, first usage.Date) []usage.Totals {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.key != key || c.first != first {
		return nil
	}
	return c.days
}

func (c *dayCache) put(key dayCacheKey, first usage.Date, days []usage.Totals) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.key, c.first, c.days = key, first, days
}

// bumpHistory records, in the writing transaction, that buckets older than
// oldWrite changed.
func bumpHistory(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO state (key, value) VALUES (?, '1')
		ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1`, keyHistoryGen)
	return err
}

// allDays returns the totals of every local day from first to last in loc
// for ids, from the cache where it can.
func (s *Store) allDays(ctx context.Context, tx *sql.Tx, sel ifaces, first, last usage.Date, loc *time.Location) ([]usage.Totals, error) {
	gen, _, err := getState(ctx, tx, keyHistoryGen)
	if err != nil {
		return nil, err
	}
	key := dayCacheKey{zone: loc.String(), ids: idList(sel.ids), gen: gen}
	cached := s.dayCache.get(key, first)
	n := first.DaysUntil(last) + 1
	if len(cached) >= n {
		return cached[:n], nil
	}
	from := first.AddDays(len(cached))
	spans := dayRanges(from, last, loc)
	var p plan
	for i := 0; i < len(spans); i += 3 {
		p.add(spans[i], spans[i+1], spans[i+2])
	}
	sums, err := p.run(ctx, tx, sel, false)
	if err != nil {
		return nil, err
	}
	days := make([]usage.Totals, n)
	copy(days, cached)
	for k, t := range sums {
		days[len(cached)+int(k[0])] = t
	}
	settled := first.DaysUntil(usage.DateOf(s.now().Add(-settleAfter).In(loc)))
	if settled = min(settled, n); settled > len(cached) {
		s.dayCache.put(key, first, slices.Clip(days[:settled]))
	}
	return days, nil
}
