package api

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/packetbuddy/pb/internal/usage"
)

// Caching. The stored part of a number only changes when the monitor
// flushes, and the pending part only when it polls or flushes, so:
//
//   - the stored parts of today, the current month and lifetime are cached
//     under a storedKey (local day + the monitor's last flush): at most one
//     set of queries per flush, i.e. every 30 s by default;
//   - the parameterless hot responses (/api/today, /api/month, /api/summary,
//     /api/cost, /api/live) are rendered once per poll under a liveKey and
//     served as bytes in between.
//
// Flush writes the store and only then drops the written deltas from the
// pending set and moves LastFlush, so a stored part cached under the old
// LastFlush plus the pending set is exact until LastFlush moves. Without a
// monitor (a read-only server) the key ticks every second instead.

// storedKey identifies a version of the stored data as seen from "today".
type storedKey struct {
	day     usage.Date
	started time.Time
	flush   time.Time
	tick    int64 // unix second, only without a monitor
}

// liveKey identifies a version of stored + pending data.
type liveKey struct {
	storedKey
	polls uint64
}

// keys returns the current cache keys for the local day of now.
func (s *Server) keys(now time.Time, day usage.Date) (storedKey, liveKey) {
	st := s.mon.Status()
	k := storedKey{day: day, started: st.Started, flush: st.LastFlush}
	if _, none := s.mon.(noMonitor); none {
		k.tick = now.Unix()
	}
	return k, liveKey{storedKey: k, polls: st.Polls}
}

// cached holds one value computed for one key. Readers take the fast path
// (an atomic load) while the key matches; on a new key one caller computes
// while the others wait for it rather than stampeding the database.
type cached[K comparable, V any] struct {
	mu sync.Mutex
	p  atomic.Pointer[cacheEntry[K, V]]
}

type cacheEntry[K comparable, V any] struct {
	key K
	val V
}

// writeCached answers a JSON body from c while key holds, building it with
// fill when it does not: the handlers the dashboard polls every second.
func writeCached[K comparable](w http.ResponseWriter, c *cached[K, []byte], key K, fill func() ([]byte, error)) error {
	b, err := c.get(key, fill)
	if err != nil {
		return err
	}
	writeBody(w, ctJSON, b)
	return nil
}

func (c *cached[K, V]) get(key K, fill func() (V, error)) (V, error) {
	if e := c.p.Load(); e != nil && e.key == key {
		return e.val, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.p.Load(); e != nil && e.key == key {
		return e.val, nil
	}
	v, err := fill()
	if err != nil {
		var zero V
		return zero, err
	}
	c.p.Store(&cacheEntry[K, V]{key: key, val: v})
	return v, nil
}

func (c *cached[K, V]) reset() { c.p.Store(nil) }

// caches are the server's caches.
type caches struct {
	today    cached[storedKey, storedSpan]
	month    cached[storedKey, []usage.DayTotals]
	lifetime cached[storedKey, storedLifetime]

	todayResp   cached[liveKey, []byte]
	monthResp   cached[liveKey, []byte]
	summaryResp cached[liveKey, []byte]
	costResp    cached[liveKey, []byte]
	liveResp    cached[liveKey, []byte]
	healthResp  cached[int64, []byte]
}

// reset drops everything, after the database was changed by the API itself
// (storage cleanup).
func (c *caches) reset() {
	c.today.reset()
	c.month.reset()
	c.lifetime.reset()
	c.todayResp.reset()
	c.monthResp.reset()
	c.summaryResp.reset()
	c.costResp.reset()
	c.liveResp.reset()
	c.healthResp.reset()
}

// storedSpan is the stored traffic and peak of a span.
type storedSpan struct {
	totals usage.Totals
	peak   uint64
}

// storedLifetime is everything stored, with the tracked span.
type storedLifetime struct {
	totals      usage.Totals
	peak        uint64
	peakAt      time.Time
	first, last usage.Date
	tracked     bool
}

// Far ends of time for "everything pending" and lifetime peaks.
var (
	epoch   = time.Unix(0, 0).UTC()
	farAway = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
)

// dayView is a local day's traffic: stored + pending.
type dayView struct {
	date       usage.Date
	start, end time.Time
	totals     usage.Totals
	peak       uint64
}

// today returns today's counted traffic and peak, up to the last poll.
func (s *Server) today(ctx context.Context, now time.Time) (dayView, error) {
	day := usage.DateOf(now.In(s.loc))
	k, _ := s.keys(now, day)
	v := dayView{date: day, start: day.Start(s.loc), end: day.AddDays(1).Start(s.loc)}
	st, err := s.cache.today.get(k, func() (storedSpan, error) {
		return s.storedSpan(ctx, v.start, v.end)
	})
	if err != nil {
		return v, err
	}
	v.totals = st.totals.Add(s.mon.Pending(v.start, v.end, usage.Filter{}))
	v.peak = max(st.peak, s.mon.PendingPeak(v.start, v.end))
	if l := s.mon.Live(); !l.Time.IsZero() && usage.DateOf(l.Time.In(s.loc)) == day {
		v.peak = max(v.peak, l.PeakToday)
	}
	return v, nil
}

func (s *Server) storedSpan(ctx context.Context, from, to time.Time) (storedSpan, error) {
	t, err := s.store.Totals(ctx, from, to, usage.Filter{})
	if err != nil {
		return storedSpan{}, err
	}
	p, _, err := s.store.Peak(ctx, from, to)
	if err != nil {
		return storedSpan{}, err
	}
	return storedSpan{totals: t, peak: p}, nil
}

// days returns the days from..to (inclusive) with pending traffic added.
// The current month up to today comes from the cache.
func (s *Server) days(ctx context.Context, now time.Time, from, to usage.Date) ([]usage.DayTotals, error) {
	today := usage.DateOf(now.In(s.loc))
	var days []usage.DayTotals
	monthStart := usage.Date{Year: today.Year, Month: today.Month, Day: 1}
	if from == monthStart && to == today {
		k, _ := s.keys(now, today)
		cachedDays, err := s.cache.month.get(k, func() ([]usage.DayTotals, error) {
			return s.store.Days(ctx, from, to, s.loc, usage.Filter{})
		})
		if err != nil {
			return nil, err
		}
		days = append([]usage.DayTotals(nil), cachedDays...) // the cache is shared: copy before adding
	} else {
		var err error
		if days, err = s.store.Days(ctx, from, to, s.loc, usage.Filter{}); err != nil {
			return nil, err
		}
	}
	s.addPendingDays(days)
	return days, nil
}

// addPendingDays adds unflushed traffic and peaks to day rows. Pending data
// is only the last seconds (or, while writes fail, minutes), so one check
// over the whole range usually skips the per-day work.
func (s *Server) addPendingDays(days []usage.DayTotals) {
	if len(days) == 0 {
		return
	}
	from, to := days[0].Date.Start(s.loc), days[len(days)-1].Date.AddDays(1).Start(s.loc)
	if s.mon.Pending(from, to, usage.Filter{}) == (usage.Totals{}) && s.mon.PendingPeak(from, to) == 0 {
		return
	}
	for i := range days {
		a, b := days[i].Date.Start(s.loc), days[i].Date.AddDays(1).Start(s.loc)
		days[i].Totals = days[i].Totals.Add(s.mon.Pending(a, b, usage.Filter{}))
		days[i].PeakBytesPerSec = max(days[i].PeakBytesPerSec, s.mon.PendingPeak(a, b))
	}
}

// lifetime returns everything counted, stored + pending, with the span of
// tracked days (the span includes today when traffic is pending).
func (s *Server) lifetime(ctx context.Context, now time.Time) (storedLifetime, error) {
	today := usage.DateOf(now.In(s.loc))
	k, _ := s.keys(now, today)
	st, err := s.cache.lifetime.get(k, func() (storedLifetime, error) {
		var l storedLifetime
		var err error
		if l.totals, err = s.store.Lifetime(ctx, usage.Filter{}); err != nil {
			return l, err
		}
		if l.peak, l.peakAt, err = s.lifetimePeak(ctx, now); err != nil {
			return l, err
		}
		l.first, l.last, l.tracked, err = s.store.Span(ctx, s.loc)
		return l, err
	})
	if err != nil {
		return st, err
	}
	if p := s.mon.Pending(epoch, farAway, usage.Filter{}); p != (usage.Totals{}) {
		st.totals = st.totals.Add(p)
		if !st.tracked {
			st.first, st.tracked = today, true
		}
		if st.last.Before(today) {
			st.last = today
		}
	}
	if p := s.mon.PendingPeak(epoch, farAway); p > st.peak {
		st.peak, st.peakAt = p, now
	}
	return st, nil
}

// peakState remembers the lifetime peak between flushes. The peaks table
// has no index on the speed, so the maximum over ten years is a 50 ms scan;
// flushes only add peaks for recent quarters, so after the first scan only
// the last two days are read (a key-range scan of ~200 rows). A full scan
// is redone daily, which also catches peaks written late by a flush that
// had been failing for longer.
type peakState struct {
	mu      sync.Mutex
	bps     uint64
	at      time.Time
	through time.Time // when the last scan ran; zero: never
}

func (s *Server) lifetimePeak(ctx context.Context, now time.Time) (uint64, time.Time, error) {
	p := &s.peak
	p.mu.Lock()
	defer p.mu.Unlock()
	from := epoch
	if !p.through.IsZero() && now.Sub(p.through) < 24*time.Hour && !now.Before(p.through) {
		from = p.through.Add(-48 * time.Hour)
	} else {
		p.bps, p.at = 0, time.Time{}
	}
	bps, at, err := s.store.Peak(ctx, from, farAway)
	if err != nil {
		return 0, time.Time{}, err
	}
	if bps > p.bps || (bps == p.bps && !at.IsZero() && at.Before(p.at)) {
		p.bps, p.at = bps, at
	}
	if from == epoch {
		p.through = now
	} else if p.through.IsZero() {
		p.through = now
	}
	return p.bps, p.at, nil
}

// resetPeak forgets the lifetime peak (after the API changed the database).
func (s *Server) resetPeak() {
	s.peak.mu.Lock()
	s.peak.through = time.Time{}
	s.peak.mu.Unlock()
}
