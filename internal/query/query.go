package query

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/packetbuddy/pb/internal/plan"
	"github.com/packetbuddy/pb/internal/usage"
)

// Store is what the engine reads from the database; *store.Store
// satisfies it.
type Store interface {
	Totals(ctx context.Context, from, to time.Time, f usage.Filter) (usage.Totals, error)
	Days(ctx context.Context, from, to usage.Date, loc *time.Location, f usage.Filter) ([]usage.DayTotals, error)
	DayTotals(ctx context.Context, from, to usage.Date, loc *time.Location, f usage.Filter) ([]usage.DayTotals, error)
	Months(ctx context.Context, from, to usage.Date, loc *time.Location, f usage.Filter) ([]usage.MonthTotals, error)
	Hours(ctx context.Context, day usage.Date, loc *time.Location, f usage.Filter) ([]usage.HourTotals, error)
	TopDays(ctx context.Context, n int, loc *time.Location, f usage.Filter) ([]usage.DayTotals, error)
	Lifetime(ctx context.Context, f usage.Filter) (usage.Totals, error)
	// Periods are the month and year totals known only as a whole
	// (imported), lying entirely in [from, to).
	Periods(ctx context.Context, from, to time.Time, f usage.Filter) ([]usage.Period, error)
	Interfaces(ctx context.Context, from, to time.Time) ([]usage.InterfaceTotals, error)
	InterfaceLifetimes(ctx context.Context) ([]usage.InterfaceTotals, error)
	Peak(ctx context.Context, from, to time.Time) (bps uint64, at time.Time, err error)
	Span(ctx context.Context, loc *time.Location) (first, last usage.Date, ok bool, err error)
	Events(ctx context.Context, from, to time.Time, limit int) ([]usage.Event, error)
	// Series is the traffic in steps of step from from until to (see
	// store.Store.Series): the fine tier for minute steps, the coarse tier
	// for multiples of 15 minutes.
	Series(ctx context.Context, from, to time.Time, step time.Duration, f usage.Filter) ([]usage.Point, error)
	// FineHorizon is where the fine tier is complete from (zero: it
	// never lost a row).
	FineHorizon(ctx context.Context) (time.Time, error)
	// Coverage is the time traffic was counted (forecasts divide by it).
	Coverage(ctx context.Context, from, to time.Time) (usage.Coverage, error)
	PlanAlerts(ctx context.Context, limit int) ([]plan.AlertRecord, error)
	// AppTotals is each application's traffic in [from, to) on the
	// interfaces f selects, largest first (15-minute resolution).
	AppTotals(ctx context.Context, from, to time.Time, f usage.Filter) ([]usage.AppTotals, error)
	// AppDayTotals is one application's traffic on each local day
	// from..to on the interfaces f selects, zero days included; known is
	// false when no traffic of it was ever written.
	AppDayTotals(ctx context.Context, a usage.App, from, to usage.Date, loc *time.Location, f usage.Filter) (days []usage.DayTotals, known bool, err error)
	// Networks lists every known network; NetworkTotals is each
	// network's traffic in [from, to) on the interfaces f selects, the
	// unknown network included, so they add up to the interfaces' total
	// (15-minute resolution).
	Networks(ctx context.Context) ([]usage.Network, error)
	NetworkTotals(ctx context.Context, from, to time.Time, f usage.Filter) ([]usage.NetworkTotals, error)
}

// Pending is traffic counted but not yet written: *monitor.Monitor in the
// daemon, *usage.Unwritten fetched from a daemon in the CLI.
type Pending interface {
	Pending(from, to time.Time, f usage.Filter) usage.Totals
	PendingPeak(from, to time.Time) uint64
}

// Generation identifies the version of the stored data the pending set
// complements: the monitor's start and its last flush.
type Generation struct {
	Started, LastFlush time.Time
}

// Deps is what New needs. Store is required.
type Deps struct {
	Store Store
	// Pending is the unwritten traffic; nil means none.
	Pending Pending
	// Generation reports the pending source's version for the caches; nil
	// means the stored parts are re-read once a second.
	Generation func() Generation
	// LivePeak is the highest speed the running daemon saw today (it may be
	// above every written and pending peak); nil means unknown.
	LivePeak func() (at time.Time, bps uint64)
	// Location is the zone local days are counted in; nil means time.Local.
	Location *time.Location
	// Scope selects the interfaces of every answer (the zero Filter: the
	// counted ones).
	Scope usage.Filter
	// Plans are the configured data plans.
	Plans []plan.Spec
	// Price prices reports; the zero Price means the defaults.
	Price Price
	// Files reads the database file's figures for Storage; nil: Storage
	// fails.
	Files StorageSource
	// MaxStorageMB is the storage limit Storage measures against (0:
	// DefaultMaxStorageMB); FineRetentionDays is reported with it.
	MaxStorageMB, FineRetentionDays int
}

// Engine answers the questions. It is safe for concurrent use.
type Engine struct {
	st    Store
	pend  Pending
	gen   func() Generation
	live  func() (time.Time, uint64)
	loc   *time.Location
	scope usage.Filter
	price Price
	plans *plan.Tracker
	specs []plan.Spec
	cache caches
	peak  peakState
	noGen bool
	files StorageSource
	// maxStorageMB and fineDays are Deps.MaxStorageMB and
	// Deps.FineRetentionDays.
	maxStorageMB, fineDays int
}

// New builds an engine.
func New(d Deps) *Engine {
	e := &Engine{st: d.Store, pend: d.Pending, gen: d.Generation, live: d.LivePeak, loc: d.Location, scope: d.Scope, price: d.Price, specs: d.Plans,
		files: d.Files, maxStorageMB: d.MaxStorageMB, fineDays: d.FineRetentionDays}
	if e.loc == nil {
		e.loc = time.Local
	}
	if e.pend == nil {
		e.pend = nothingPending{}
	}
	if e.gen == nil {
		e.noGen = true
		e.gen = func() Generation { return Generation{} }
	}
	if e.price.Currency.Code == "" {
		e.price = DefaultPrice()
	}
	e.plans = &plan.Tracker{Specs: d.Plans, Loc: e.loc, Days: d.Store, Pending: e.pend.Pending}
	return e
}

// Location is the zone of local days.
func (e *Engine) Location() *time.Location { return e.loc }

// Price is the price of the traffic.
func (e *Engine) Price() Price { return e.price }

// Scope is the interface selection of every answer.
func (e *Engine) Scope() usage.Filter { return e.scope }

// Pending returns the unwritten traffic in [from, to) of the interfaces f
// selects.
func (e *Engine) Pending(from, to time.Time, f usage.Filter) usage.Totals {
	return e.pend.Pending(from, to, f)
}

// Reset drops every cached stored part, after the database was changed by
// someone else than the daemon's flush (a storage cleanup).
func (e *Engine) Reset() {
	e.cache.today.reset()
	e.cache.month.reset()
	e.cache.lifetime.reset()
	e.peak.mu.Lock()
	e.peak.through = time.Time{}
	e.peak.mu.Unlock()
}

type nothingPending struct{}

func (nothingPending) Pending(time.Time, time.Time, usage.Filter) usage.Totals { return usage.Totals{} }
func (nothingPending) PendingPeak(time.Time, time.Time) uint64                 { return 0 }

// storedKey identifies a version of the stored data as seen from "today".
type storedKey struct {
	day usage.Date
	Generation
	tick int64 // unix second, only without a Generation
}

func (e *Engine) key(now time.Time, day usage.Date) storedKey {
	k := storedKey{day: day, Generation: e.gen()}
	if e.noGen {
		k.tick = now.Unix()
	}
	return k
}

// Cached holds one value computed for one key. Readers take the fast path
// (an atomic load) while the key matches; on a new key one caller computes
// while the others wait for it rather than stampeding the database.
type Cached[K comparable, V any] struct {
	mu sync.Mutex
	p  atomic.Pointer[cacheEntry[K, V]]
}

type cacheEntry[K comparable, V any] struct {
	key K
	val V
}

// Get returns the value for key, computing it with fill when the cached
// one is for another key.
func (c *Cached[K, V]) Get(key K, fill func() (V, error)) (V, error) {
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

// Reset forgets the cached value.
func (c *Cached[K, V]) Reset() { c.p.Store(nil) }

func (c *Cached[K, V]) reset() { c.Reset() }

type caches struct {
	today    Cached[storedKey, storedSpan]
	month    Cached[storedKey, []usage.DayTotals]
	lifetime Cached[storedKey, storedLifetime]
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
	Epoch   = time.Unix(0, 0).UTC()
	FarAway = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
)

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

func (e *Engine) lifetimePeak(ctx context.Context, now time.Time) (uint64, time.Time, error) {
	p := &e.peak
	p.mu.Lock()
	defer p.mu.Unlock()
	from := Epoch
	if !p.through.IsZero() && now.Sub(p.through) < 24*time.Hour && !now.Before(p.through) {
		from = p.through.Add(-48 * time.Hour)
	} else {
		p.bps, p.at = 0, time.Time{}
	}
	bps, at, err := e.st.Peak(ctx, from, FarAway)
	if err != nil {
		return 0, time.Time{}, err
	}
	if bps > p.bps || (bps == p.bps && !at.IsZero() && at.Before(p.at)) {
		p.bps, p.at = bps, at
	}
	if from == Epoch || p.through.IsZero() {
		p.through = now
	}
	return p.bps, p.at, nil
}
