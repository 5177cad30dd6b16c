package api

import (
	"context"
	"net/http"
	"time"

	"github.com/packetbuddy/pb/internal/query"
	"github.com/packetbuddy/pb/internal/usage"
)

// Caching. The numbers come from the query layer, which caches their
// stored parts per flush (see package query). Here, the parameterless hot
// responses (/api/today, /api/month, /api/summary, /api/cost, /api/live)
// are rendered once per poll under a liveKey and served as bytes in
// between: the pending part only changes when the monitor polls or
// flushes. Without a monitor (a read-only server) the key ticks every
// second instead.

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

// cached holds one rendered response for one key.
type cached[K comparable, V any] = query.Cached[K, V]

// writeCached answers a JSON body from c while key holds, building it with
// fill when it does not: the handlers the dashboard polls every second.
func writeCached[K comparable](w http.ResponseWriter, c *cached[K, []byte], key K, fill func() ([]byte, error)) error {
	b, err := c.Get(key, fill)
	if err != nil {
		return err
	}
	writeBody(w, ctJSON, b)
	return nil
}

// caches are the server's response caches.
type caches struct {
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
	c.todayResp.Reset()
	c.monthResp.Reset()
	c.summaryResp.Reset()
	c.costResp.Reset()
	c.liveResp.Reset()
	c.healthResp.Reset()
}

// Far ends of time for "everything pending".
var (
	epoch   = query.Epoch
	farAway = query.FarAway
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
	d, err := s.q.Today(ctx, now)
	return dayView{date: d.Date, start: d.Start, end: d.End, totals: d.Totals, peak: d.Peak}, err
}

// days returns the days from..to (inclusive) with pending traffic added.
func (s *Server) days(ctx context.Context, now time.Time, from, to usage.Date) ([]usage.DayTotals, error) {
	return s.q.Days(ctx, now, from, to)
}

// resetPeak forgets the cached stored parts (after the API changed the
// database).
func (s *Server) resetPeak() { s.q.Reset() }
