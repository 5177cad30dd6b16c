// Package monitor turns counter readings into exact per-interface traffic.
//
// Every poll it reads each interface's cumulative byte counters, works out
// how many bytes passed since the previous reading (handling wraps, resets,
// spikes, hot-plug and pauses), adds them to in-memory pending buckets and
// computes live rates over the measured (monotonic) elapsed time. Once per
// flush interval, and on shutdown, it hands the pending buckets to the store
// in one transaction together with the counter readings they account for, so
// a restart knows exactly which bytes were already counted.
package monitor

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/packetbuddy/pb/internal/counter"
	"github.com/packetbuddy/pb/internal/usage"
)

// Reader reads interface counters; counter.Reader satisfies it.
type Reader interface {
	Read(dst []counter.Counter) ([]counter.Counter, error)
	Info(name string) (counter.Info, error)
}

// Store is where the monitor keeps what it counted; *store.Store satisfies it.
type Store interface {
	Flush(ctx context.Context, b usage.Batch) error
	Snapshot(ctx context.Context) (usage.Snapshot, bool, error)
}

// Instant is a reading of the clocks: Wall places traffic in time buckets,
// Mono (which never jumps) measures elapsed time for rates, and Boot, the
// time since boot on a clock that never jumps and runs through suspend
// (CLOCK_BOOTTIME on Linux), bounds what a link can have carried between two
// readings, also across daemon restarts. Boot is 0 when the OS has no such
// clock.
type Instant struct {
	Wall time.Time
	Mono time.Duration
	Boot time.Duration
}

// Clock tells the time. Tests replace it to jump the wall clock.
type Clock interface{ Now() Instant }

type systemClock struct{ start time.Time }

func (c systemClock) Now() Instant {
	now := time.Now()
	return Instant{Wall: now.Round(0), Mono: now.Sub(c.start), Boot: sinceBoot()}
}

// SystemClock is the real clock: time.Now, whose Sub uses the monotonic reading.
func SystemClock() Clock { return systemClock{start: time.Now()} }

// Config tunes the monitor.
type Config struct {
	PollInterval  time.Duration // default 1s
	FlushInterval time.Duration // default 1m
	Policy        usage.Policy  // which interfaces count in the total
	BootID        string        // identity of the running boot (see BootID)
	// SpeedCap overrides the speed cap (bytes/s) for every interface; 0 uses
	// each link's reported speed or a generous default.
	SpeedCap uint64
	// InfoRefresh is how often interface descriptions (kind, speed, MAC) are
	// re-read; default 1 minute. With a reader that hears of link changes
	// (counter.Watcher), they are re-read at most that often after a
	// change, and every quietRefreshes × InfoRefresh without one.
	InfoRefresh time.Duration
	// MaxPending bounds the pending buckets kept while flushes fail; past it,
	// new deltas are kept at 15-minute resolution. Default 200,000.
	MaxPending int
	// Location decides "today" for the peak speed; default time.Local.
	Location *time.Location
	// AfterFlush, if set, is called by Run after each successful periodic
	// flush, in the polling goroutine (pb serve returns freed memory to
	// the OS there).
	AfterFlush func()
	// Apps splits each poll's traffic per application; nil: off.
	Apps AppSplitter
	// Networks tells each interface's network; nil: per-network counting
	// off.
	Networks NetworkSource
	// OnHeavyJoin, if set, is called (in the polling goroutine; it must
	// not block) when an interface moved to a known network within the
	// last few polls and carries at least HeavyRate bytes/s: something
	// heavy runs as it joins (the daemon alerts when that network is
	// metered).
	OnHeavyJoin func(iface string, a usage.Attachment, r Rate)
	// HeavyRate is the speed (rx+tx bytes/s) OnHeavyJoin waits for;
	// default DefaultHeavyRate.
	HeavyRate uint64
}

func (c *Config) setDefaults() {
	if c.PollInterval <= 0 {
		c.PollInterval = time.Second
	}
	if c.FlushInterval <= 0 {
		c.FlushInterval = time.Minute
	}
	if c.InfoRefresh <= 0 {
		c.InfoRefresh = time.Minute
	}
	if c.MaxPending <= 0 {
		c.MaxPending = 200_000
	}
	if c.Location == nil {
		c.Location = time.Local
	}
	if c.HeavyRate == 0 {
		c.HeavyRate = DefaultHeavyRate
	}
}

// Rate is a live speed in bytes per second.
type Rate struct {
	RxPerSec uint64 `json:"rx_per_sec"`
	TxPerSec uint64 `json:"tx_per_sec"`
}

// IfaceRate is one interface's live speed.
type IfaceRate struct {
	Name    string `json:"name"`
	Kind    string `json:"kind"`
	Counted bool   `json:"counted"`
	Rate
}

// Live is the state after the latest poll.
type Live struct {
	Time       time.Time   `json:"time"`
	Total      Rate        `json:"total"` // counted interfaces only
	Interfaces []IfaceRate `json:"interfaces"`
	// PeakToday is the highest total speed (rx+tx bytes/s) seen today since
	// the daemon started; the store knows the earlier part of the day.
	PeakToday uint64 `json:"peak_today"`
}

// Status is the monitor's health, for /metrics and `pb status`.
type Status struct {
	Started        time.Time
	LastPoll       time.Time
	LastFlush      time.Time
	LastFlushError string
	FlushErrors    uint64
	Discarded      uint64 // samples discarded as spikes
	Pending        int    // pending buckets not yet written
	Polls          uint64
}

type ifaceKey struct{ name, mac string }

type pendingKey struct {
	ifaceKey
	bucket int64 // unix seconds of the fine bucket start
}

// ifaceState is what the monitor tracks per interface name.
type ifaceState struct {
	info     counter.Info
	counted  bool
	index    uint32 // the OS's interface index of the last reading; 0 unknown
	rx, tx   uint64 // last raw counters
	seen     bool   // present in the latest reading
	lastSeen time.Time
	lastBoot time.Duration // Instant.Boot of the last reading
	rate     Rate
}

// reborn reports whether a reading with index idx is another incarnation of
// the interface st tracks: deleted and created again under the same name,
// perhaps between two polls. Without indexes it cannot tell.
func (st *ifaceState) reborn(idx uint32) bool {
	return idx != 0 && st.index != 0 && idx != st.index
}

// wentDown reports whether a reading's counters are below the last ones.
func (st *ifaceState) wentDown(c counter.Counter) bool {
	return c.RxBytes < st.rx || c.TxBytes < st.tx
}

// span is the time from a to b for the speed check: on the boot clock when
// both readings have it; else the longer of the monotonic and wall clocks,
// since after a suspend the monotonic clock (which stops while asleep)
// understates the time, and a backwards wall-clock jump must not make honest
// traffic look impossibly fast.
func span(a, b Instant) time.Duration {
	if a.Boot > 0 && b.Boot >= a.Boot {
		return b.Boot - a.Boot
	}
	return max(b.Mono-a.Mono, b.Wall.Sub(a.Wall))
}

// Monitor counts traffic. Create it with New, then call Run (or Start, Poll
// and Flush yourself in tests).
type Monitor struct {
	r     Reader
	store Store
	clock Clock
	cfg   Config
	log   *slog.Logger

	mu       sync.Mutex
	noIndex  bool // a reading without interface indexes was logged
	ifaces   map[string]*ifaceState
	pending  map[pendingKey]usage.Totals
	peaks    map[int64]uint64 // coarse bucket start -> bytes/s
	events   []usage.Event
	eventSeq uint64 // sequence number of the newest event in events
	last     Instant
	started  bool
	lastInfo time.Duration
	// infoChanges is the reader's change count at the last details
	// refresh (counter.Watcher).
	infoChanges uint64
	live        Live
	liveStale   bool // live.Interfaces is older than the last poll
	peakDay     usage.Date
	status      Status
	buf         []counter.Counter
	subs        map[chan Live]struct{}
	coarsened   bool
	apps        appState
	nets        netState
}

// New returns a monitor; nothing is read until Start.
func New(r Reader, s Store, clock Clock, cfg Config, log *slog.Logger) *Monitor {
	cfg.setDefaults()
	if clock == nil {
		clock = SystemClock()
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Monitor{
		r: r, store: s, clock: clock, cfg: cfg, log: log,
		ifaces:  map[string]*ifaceState{},
		pending: map[pendingKey]usage.Totals{},
		peaks:   map[int64]uint64{},
		subs:    map[chan Live]struct{}{},
	}
}

// maxEvents bounds the events kept in memory between flushes.
const maxEvents = 1000

// vanishedTTL is how long the last counters of an interface that disappeared
// are remembered. If it returns within that time with higher counters, the
// difference is counted; with lower counters it was re-created (a reset).
const vanishedTTL = 24 * time.Hour

// Start takes the first reading and settles what happened while the daemon
// was not running, from the snapshot saved by the last flush:
//   - no snapshot (first run ever): nothing is back-filled; this reading is
//     the baseline;
//   - same boot: each interface's counters minus the saved ones is the
//     traffic while the daemon was stopped, counted once;
//   - another boot: the counters since boot are that traffic.
//
// Interfaces not in the snapshot, or in it under another index (deleted and
// created again), were created while the daemon was stopped, so their whole
// counters are counted (except on the first run). Every delta is bounded by
// what the link can carry in the time stopped (see stoppedFor).
func (m *Monitor) Start(ctx context.Context) error {
	snap, ok, err := m.store.Snapshot(ctx)
	if err != nil {
		return fmt.Errorf("monitor: load last counters: %w", err)
	}
	cs, err := m.r.Read(m.buf[:0])
	if err != nil {
		return fmt.Errorf("monitor: first counter reading: %w", err)
	}
	m.buf = cs
	now := m.clock.Now()

	m.mu.Lock()
	defer m.mu.Unlock()
	m.status.Started = now.Wall
	m.last = now
	m.lastInfo = now.Mono
	m.peakDay = usage.DateOf(now.Wall.In(m.cfg.Location))

	sameBoot := ok && SameBoot(snap.BootID, m.cfg.BootID)
	saved := map[string]usage.CounterState{}
	if sameBoot {
		for _, c := range snap.Counters {
			saved[c.Iface] = c
		}
	}
	downtime, exact := stoppedFor(snap, sameBoot, now)
	var total usage.Totals
	for _, c := range cs {
		st := m.newIface(c, now)
		switch {
		case !ok: // first run: baseline only
		case sameBoot:
			prev, known := saved[c.Name]
			same := known && (prev.MAC == "" || st.info.MAC == "" || prev.MAC == st.info.MAC)
			if known && prev.Index != 0 && c.Index != 0 {
				same = prev.Index == c.Index // the index knows better than the MAC
			} else if known && c.Index == 0 {
				// Without indexes another MAC does not say when the adapter
				// changed: perhaps before the snapshot, with its traffic
				// counted already (as a reset). Go on from the saved
				// counters, so nothing is counted twice; counters that went
				// down are a reset.
				same = true
			}
			if same {
				total = total.Add(m.account(st, prev.Rx, prev.Tx, c, downtime, now))
			} else {
				total = total.Add(m.account(st, 0, 0, c, downtime, now))
			}
		default: // rebooted: counters since boot are traffic since boot
			total = total.Add(m.account(st, 0, 0, c, downtime, now))
		}
		st.rx, st.tx = c.RxBytes, c.TxBytes
		st.seen = true
		m.ifaces[c.Name] = st
	}
	// The split's first reading is its baseline: the traffic caught up
	// here is unattributed.
	m.splitApps(now.Wall)
	// Traffic caught up above passed while nothing watched the networks:
	// it stays on the unknown network. From here on, polls attribute.
	m.nets.current = m.attachments()
	m.nets.seen, m.nets.prev = reflect.ValueOf(m.nets.current).UnsafePointer(), maps.Clone(m.nets.current)
	// Interfaces in the snapshot but gone now are remembered for a while.
	if sameBoot {
		for _, c := range snap.Counters {
			if _, present := m.ifaces[c.Iface]; present {
				continue
			}
			m.ifaces[c.Iface] = &ifaceState{
				info:     counter.Info{Name: c.Iface, MAC: c.MAC},
				index:    c.Index,
				lastBoot: snap.SinceBoot,
				rx:       c.Rx,
				tx:       c.Tx,
				lastSeen: snap.Time,
			}
		}
	}
	switch {
	case !ok:
		m.event(now.Wall, usage.EventFirstRun, "", usage.Totals{}, "first run: counting starts now; nothing before it is back-filled")
	case sameBoot && exact:
		m.event(now.Wall, usage.EventRestart, "", total, fmt.Sprintf("daemon restarted after %s; traffic while it was stopped counted", roundDur(downtime)))
	case sameBoot:
		m.event(now.Wall, usage.EventRestart, "", total, "daemon restarted; traffic while it was stopped counted")
	default:
		m.event(now.Wall, usage.EventReboot, "", total, "system rebooted since the last run; traffic since boot counted")
	}
	m.started = true
	m.log.Info("monitor started", "interfaces", len(cs), "first_run", !ok, "same_boot", sameBoot, "caught_up_bytes", total.Total())
	return nil
}

// unknownElapsed tells account that the time since the previous reading is
// not known: only maxDelta bounds the delta.
const unknownElapsed = time.Duration(-1)

// stoppedFor is how long the daemon was stopped, for the speed check of the
// first deltas after a start. The boot clock gives it exactly within one
// boot; otherwise everything since the snapshot (or, after a reboot, since
// boot) happened within the time since boot. The wall clock is the last
// resort, and when it went backwards the time is unknown. exact says the
// answer is the real downtime rather than a bound.
func stoppedFor(snap usage.Snapshot, sameBoot bool, now Instant) (d time.Duration, exact bool) {
	switch {
	case sameBoot && snap.SinceBoot > 0 && now.Boot >= snap.SinceBoot:
		return now.Boot - snap.SinceBoot, true
	case now.Boot > 0:
		return now.Boot, false
	case now.Wall.After(snap.Time):
		return now.Wall.Sub(snap.Time), sameBoot
	}
	return unknownElapsed, false
}

func roundDur(d time.Duration) time.Duration {
	if d < 0 {
		return d
	}
	return d.Round(time.Second)
}

// spikeMessage is the event text for bytes discarded as a spike.
func spikeMessage(bytes uint64, elapsed time.Duration, limit uint64) string {
	in := roundDur(elapsed).String()
	if elapsed == unknownElapsed {
		in = "an unknown time"
	}
	return fmt.Sprintf("discarded %d bytes in %s: faster than the link can carry (limit %d bytes)", bytes, in, limit)
}

// newIface describes a newly seen interface.
func (m *Monitor) newIface(c counter.Counter, now Instant) *ifaceState {
	info, err := m.r.Info(c.Name)
	if err != nil {
		m.log.Debug("describe interface", "iface", c.Name, "err", err)
		info = counter.Info{Name: c.Name, Kind: counter.KindOther}
		if k, ok := counter.ClassifyName(c.Name); ok {
			info.Kind = k
		}
	}
	return &ifaceState{
		info:     info,
		counted:  m.cfg.Policy.Counted(c.Name, string(info.Kind)),
		index:    c.Index,
		lastSeen: now.Wall,
		lastBoot: now.Boot,
	}
}

// account works out the traffic of one interface from (prevRx, prevTx) to c
// over elapsed (unknownElapsed when it is not known), adds it to the pending
// buckets and returns it.
func (m *Monitor) account(st *ifaceState, prevRx, prevTx uint64, c counter.Counter, elapsed time.Duration, now Instant) usage.Totals {
	limit := uint64(maxDelta)
	if elapsed != unknownElapsed {
		limit = capBytes(st.info.SpeedBits, string(st.info.Kind), elapsed, m.cfg.SpeedCap)
	}
	rx, rxMove := counterDelta(prevRx, c.RxBytes, st.info.Bits, limit)
	tx, txMove := counterDelta(prevTx, c.TxBytes, st.info.Bits, limit)
	if (rxMove == moveSpike || txMove == moveSpike) && elapsed != unknownElapsed && m.cfg.SpeedCap == 0 {
		// The link may have got faster since its speed was read (details
		// are re-read on link changes, and a renegotiation may come
		// unannounced): read it again before discarding anything. Under
		// m.mu, unlike describe's reads, but only on this rare path.
		if info, err := m.r.Info(c.Name); err == nil && info.MAC == st.info.MAC && info.SpeedBits > st.info.SpeedBits {
			st.info.SpeedBits = info.SpeedBits
			limit = capBytes(st.info.SpeedBits, string(st.info.Kind), elapsed, m.cfg.SpeedCap)
			rx, rxMove = counterDelta(prevRx, c.RxBytes, st.info.Bits, limit)
			tx, txMove = counterDelta(prevTx, c.TxBytes, st.info.Bits, limit)
		}
	}
	if rxMove == moveSpike || txMove == moveSpike {
		m.status.Discarded++
		m.event(now.Wall, usage.EventSpike, c.Name, usage.Totals{Rx: rx, Tx: tx}, spikeMessage(rx+tx, elapsed, limit))
		m.log.Warn("discarded impossible counter jump", "iface", c.Name, "rx", rx, "tx", tx, "elapsed", elapsed, "limit", limit)
		return usage.Totals{}
	}
	for _, mv := range []movement{rxMove, txMove} {
		if mv == moveWrap || mv == moveReset {
			kind := usage.EventWrap
			if mv == moveReset {
				kind = usage.EventReset
			}
			m.event(now.Wall, kind, c.Name, usage.Totals{Rx: rx, Tx: tx}, fmt.Sprintf("counters went down (%s); counted %d bytes", mv, rx+tx))
			break
		}
	}
	t := usage.Totals{Rx: rx, Tx: tx}
	if t != (usage.Totals{}) {
		m.addPending(st, now.Wall, t)
	}
	m.noteTraffic(st, c.Index, t)
	return t
}

func (m *Monitor) addPending(st *ifaceState, wall time.Time, t usage.Totals) {
	bucket := wall.UTC().Truncate(usage.FineBucket)
	if m.coarsened || len(m.pending) >= m.cfg.MaxPending {
		// Flushes keep failing: keep counting exactly, but at 15-minute
		// resolution so memory stays bounded.
		if !m.coarsened {
			m.log.Warn("pending data is large because writes keep failing; keeping 15-minute detail until the next successful write", "pending", len(m.pending))
		}
		m.coarsened = true
		bucket = wall.UTC().Truncate(usage.CoarseBucket)
	}
	k := pendingKey{ifaceKey{st.info.Name, st.info.MAC}, bucket.Unix()}
	m.pending[k] = m.pending[k].Add(t)
	m.noteNetwork(st, wall, t)
}

func (m *Monitor) event(at time.Time, kind usage.EventKind, iface string, t usage.Totals, msg string) {
	if len(m.events) >= maxEvents {
		m.events = m.events[1:]
	}
	m.events = append(m.events, usage.Event{Time: at.UTC(), Kind: kind, Iface: iface, Totals: t, Message: msg})
	m.eventSeq++
}

// Poll takes one reading and accounts for it.
func (m *Monitor) Poll() error {
	cs, err := m.r.Read(m.buf[:0])
	if err != nil {
		return fmt.Errorf("monitor: read counters: %w", err)
	}
	m.buf = cs
	now := m.clock.Now()
	p, err := m.beginPoll(now)
	if err != nil {
		return err
	}
	fresh := m.describe(cs, p.refreshInfo)
	attached := m.attachments()

	m.mu.Lock()
	defer m.mu.Unlock()
	m.nets.current = attached
	for _, st := range m.ifaces {
		st.seen = false
	}
	var total Rate
	var totalBytes uint64
	for _, c := range cs {
		st, t := m.follow(c, fresh, p.checkElapsed, now)
		if p.rateOK {
			st.rate = Rate{RxPerSec: perSec(t.Rx, p.monoElapsed), TxPerSec: perSec(t.Tx, p.monoElapsed)}
		} else {
			st.rate = Rate{}
		}
		if st.counted {
			total.RxPerSec += st.rate.RxPerSec
			total.TxPerSec += st.rate.TxPerSec
			totalBytes += t.Total()
		}
	}
	m.splitApps(now.Wall)
	if p.rateOK {
		m.watchJoins()
	}
	m.forgetVanished(now)
	if p.rateOK {
		m.notePeak(perSec(totalBytes, p.monoElapsed), now)
	}
	m.last = now
	m.status.LastPoll = now.Wall
	m.status.Polls++
	m.live.Time = now.Wall
	m.live.Total = total
	m.liveStale = true // the per-interface list is built when asked for
	m.publish()
	return nil
}

// pollTimes is what a poll knows about the time since the previous one.
type pollTimes struct {
	monoElapsed  time.Duration // for rates
	checkElapsed time.Duration // for the speed check (see span)
	rateOK       bool          // long enough for a meaningful rate
	refreshInfo  bool          // time to re-read every interface's details
}

// beginPoll works out the times of the poll at now, notes a gap (a suspend
// or a paused process) as an event and decides whether interface details
// are due for a refresh.
func (m *Monitor) beginPoll(now Instant) (pollTimes, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.started {
		return pollTimes{}, errors.New("monitor: Poll before Start")
	}
	p := pollTimes{monoElapsed: now.Mono - m.last.Mono, checkElapsed: span(m.last, now)}
	wallElapsed := now.Wall.Sub(m.last.Wall)
	if gap := max(10*m.cfg.PollInterval, time.Minute); wallElapsed > gap || p.monoElapsed > gap {
		m.event(now.Wall, usage.EventGap, "", usage.Totals{}, fmt.Sprintf("no reading for %s (suspend or a paused process); traffic in between counted at wake-up", roundDur(max(wallElapsed, p.monoElapsed))))
	}
	p.rateOK = p.monoElapsed >= m.cfg.PollInterval/4 && p.monoElapsed > 0
	p.refreshInfo = m.infoDue(now.Mono - m.lastInfo)
	if p.refreshInfo {
		m.lastInfo = now.Mono
	}
	return p, nil
}

// quietRefreshes is how many InfoRefresh periods pass between re-reads of
// every interface's details when the reader heard of no link change: the
// kernel announces what those details are (a new address, a rename, a
// carrier change after a speed renegotiation), so this is a safety net,
// not the way changes are found. (A speed that grew unannounced is also
// read again before a delta is discarded as faster than the link: see
// account.)
const quietRefreshes = 30

// infoDue reports whether the details of every interface are due to be
// re-read, since having been re-read last (m.mu held). Re-reading them is
// an open, read and close of several /sys files per interface, which was
// a third of a poll's cost at rest when it ran every minute.
func (m *Monitor) infoDue(since time.Duration) bool {
	if w, ok := m.r.(counter.Watcher); ok {
		if n, ok := w.Changes(); ok {
			if n != m.infoChanges && since >= m.cfg.InfoRefresh {
				m.infoChanges = n
				return true
			}
			if since >= quietRefreshes*m.cfg.InfoRefresh {
				m.infoChanges = n
				return true
			}
			return false
		}
	}
	return since >= m.cfg.InfoRefresh
}

// describe reads the details of the interfaces in cs that need them: all
// of them when refresh is set, else the new ones and those that may be
// another adapter under the same name (back after an absence, another
// index; without indexes, counters that went down), so that their traffic
// is filed under their own MAC at once and not only at the next refresh.
// It picks them under the lock and reads the OS outside it; nil when there
// was nothing to describe.
func (m *Monitor) describe(cs []counter.Counter, refresh bool) map[string]counter.Info {
	var names []string
	m.mu.Lock()
	for _, c := range cs {
		st, known := m.ifaces[c.Name]
		if !known || refresh || st.lastSeen.Before(m.last.Wall) || st.reborn(c.Index) || (c.Index == 0 && st.wentDown(c)) {
			names = append(names, c.Name)
		}
	}
	m.mu.Unlock()
	var fresh map[string]counter.Info
	for _, name := range names {
		if fresh == nil {
			fresh = map[string]counter.Info{}
		}
		if info, err := m.r.Info(name); err == nil {
			fresh[name] = info
		}
	}
	return fresh
}

// follow accounts for one interface's reading c (m.mu held): it finds the
// state of the device c belongs to (see identify), counts its traffic since
// the last reading, bounded by what the link carries in that time (or since
// it was last seen, when it is back after an absence), and makes c the last
// reading.
func (m *Monitor) follow(c counter.Counter, fresh map[string]counter.Info, checkElapsed time.Duration, now Instant) (*ifaceState, usage.Totals) {
	if c.Index == 0 && !m.noIndex {
		m.noIndex = true
		m.log.Warn("counters come without interface indexes (Linux without netlink: /proc/net/dev); an interface deleted and created again between two polls is told only by its counters going down or, at the next details refresh, by another MAC")
	}
	st, back := m.identify(c, fresh, now)
	var absent time.Duration
	if back {
		absent = now.Wall.Sub(st.lastSeen) // back after an absence
		if st.lastBoot > 0 && now.Boot >= st.lastBoot {
			absent = now.Boot - st.lastBoot
		}
	}
	t := m.account(st, st.rx, st.tx, c, max(checkElapsed, absent), now)
	st.rx, st.tx = c.RxBytes, c.TxBytes
	st.index = c.Index
	st.seen = true
	st.lastSeen = now.Wall
	st.lastBoot = now.Boot
	return st, t
}

// identify returns the state to account c against (m.mu held): the known
// one (with fresh details, if read), or a new one when the name is new or
// belongs to another device now, with the event that says so. back reports
// a known device seen again after an absence.
func (m *Monitor) identify(c counter.Counter, fresh map[string]counter.Info, now Instant) (st *ifaceState, back bool) {
	st, known := m.ifaces[c.Name]
	info, haveInfo := fresh[c.Name]
	reborn := known && st.reborn(c.Index)
	sameIndex := known && c.Index != 0 && c.Index == st.index
	var carry *ifaceState
	if reborn || (known && !sameIndex && haveInfo && st.info.MAC != "" && info.MAC != "" && st.info.MAC != info.MAC) {
		// Same name, another interface: a new incarnation whose
		// counters started from zero when it appeared. (On Linux the
		// same index means the same device, with a MAC set by hand: its
		// counters go on. macOS and Windows reuse the index of a removed
		// interface, so there a re-created adapter with the old index
		// and another MAC is taken for the same device: its counters are
		// followed on, as a reset if they went down, and only its MAC
		// changes.)
		if !reborn && c.Index == 0 && !st.lastSeen.Before(m.last.Wall) && !st.wentDown(c) {
			// No index, seen at the last poll, counters not down: the
			// change happened at some poll since the last description,
			// and what those polls counted (a reset included) belongs to
			// the new adapter already. Go on from the last reading, so
			// nothing is counted twice.
			carry = st
		}
		known = false
		reborn = true
	}
	if known {
		if haveInfo {
			st.info = info
			st.counted = m.cfg.Policy.Counted(c.Name, string(info.Kind))
		}
		return st, st.lastSeen.Before(m.last.Wall)
	}
	st = &ifaceState{}
	if haveInfo {
		st.info = info
	} else {
		st.info = counter.Info{Name: c.Name, Kind: counter.KindOther}
		if k, ok := counter.ClassifyName(c.Name); ok {
			st.info.Kind = k
		}
	}
	st.counted = m.cfg.Policy.Counted(c.Name, string(st.info.Kind))
	if carry != nil {
		st.rx, st.tx = carry.rx, carry.tx
	}
	m.ifaces[c.Name] = st
	switch {
	case carry != nil:
		m.event(now.Wall, usage.EventReset, c.Name, usage.Totals{}, "another adapter under this name (its MAC changed); its traffic is filed under its own MAC from now on")
	case reborn:
		m.event(now.Wall, usage.EventReset, c.Name, usage.Totals{Rx: c.RxBytes, Tx: c.TxBytes}, "interface re-created; its counters since then are counted")
	default:
		m.event(now.Wall, usage.EventAppear, c.Name, usage.Totals{Rx: c.RxBytes, Tx: c.TxBytes}, "new interface; its counters since it appeared are counted")
	}
	return st, false
}

// forgetVanished zeroes the rates of interfaces missing from the latest
// reading and forgets those gone longer than vanishedTTL (m.mu held).
func (m *Monitor) forgetVanished(now Instant) {
	for name, st := range m.ifaces {
		if !st.seen {
			st.rate = Rate{}
			if now.Wall.Sub(st.lastSeen) > vanishedTTL {
				delete(m.ifaces, name)
			}
		}
	}
}

// notePeak records a total speed of bps at now in its coarse bucket and in
// today's peak (m.mu held).
func (m *Monitor) notePeak(bps uint64, now Instant) {
	cb := now.Wall.UTC().Truncate(usage.CoarseBucket).Unix()
	if bps > m.peaks[cb] {
		m.peaks[cb] = bps
	}
	day := usage.DateOf(now.Wall.In(m.cfg.Location))
	if day != m.peakDay {
		m.peakDay = day
		m.live.PeakToday = 0
	}
	if bps > m.live.PeakToday {
		m.live.PeakToday = bps
	}
}

func perSec(b uint64, d time.Duration) uint64 {
	if d <= 0 {
		return 0
	}
	return uint64(float64(b) / d.Seconds())
}

// ifaceRates appends the rates of the interfaces in the latest reading to
// dst, by name. The poll passes the previous list's array: Live and publish
// hand out copies, so it is never shared, and a poll allocates nothing here.
// liveNow is the live speeds of the last poll (m.mu held). Their
// per-interface list is built, in name order, only when someone asks: at
// rest nobody does, and sorting it on every poll cost more than the poll's
// accounting with a hundred interfaces.
func (m *Monitor) liveNow() Live {
	if m.liveStale {
		m.live.Interfaces = m.ifaceRates(m.live.Interfaces[:0])
		m.liveStale = false
	}
	return m.live
}

func (m *Monitor) ifaceRates(dst []IfaceRate) []IfaceRate {
	for name, st := range m.ifaces {
		if !st.seen {
			continue
		}
		dst = append(dst, IfaceRate{Name: name, Kind: string(st.info.Kind), Counted: st.counted, Rate: st.rate})
	}
	slices.SortFunc(dst, func(a, b IfaceRate) int { return strings.Compare(a.Name, b.Name) })
	return dst
}

// batch builds what a flush writes, without clearing anything.
func (m *Monitor) batch() usage.Batch {
	var b usage.Batch
	b.Snapshot = usage.Snapshot{BootID: m.cfg.BootID, Time: m.last.Wall.UTC(), SinceBoot: m.last.Boot}
	names := make([]string, 0, len(m.ifaces))
	for name := range m.ifaces {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		st := m.ifaces[name]
		if st.info.Kind != "" {
			b.Interfaces = append(b.Interfaces, usage.Interface{Name: name, MAC: st.info.MAC, Kind: string(st.info.Kind), Counted: st.counted})
		}
		b.Snapshot.Counters = append(b.Snapshot.Counters, usage.CounterState{Iface: name, MAC: st.info.MAC, Index: st.index, Rx: st.rx, Tx: st.tx})
	}
	for k, t := range m.pending {
		b.Deltas = append(b.Deltas, usage.Delta{Iface: k.name, MAC: k.mac, Bucket: time.Unix(k.bucket, 0).UTC(), Totals: t})
	}
	sort.Slice(b.Deltas, func(i, j int) bool {
		a, c := b.Deltas[i], b.Deltas[j]
		if !a.Bucket.Equal(c.Bucket) {
			return a.Bucket.Before(c.Bucket)
		}
		return a.Iface < c.Iface
	})
	for ts, bps := range m.peaks {
		b.Peaks = append(b.Peaks, usage.Peak{Bucket: time.Unix(ts, 0).UTC(), BytesPerSec: bps})
	}
	sort.Slice(b.Peaks, func(i, j int) bool { return b.Peaks[i].Bucket.Before(b.Peaks[j].Bucket) })
	b.Events = append(b.Events, m.events...)
	b.Apps = m.appBatch()
	b.Networks = m.networkBatch()
	return b
}

// Flush writes the pending buckets, peaks, events and the counter snapshot
// in one transaction. On failure everything stays pending for the next try,
// so nothing is lost and nothing is written twice.
func (m *Monitor) Flush(ctx context.Context) error {
	m.mu.Lock()
	if !m.started {
		m.mu.Unlock()
		return errors.New("monitor: Flush before Start")
	}
	b := m.batch()
	seq := m.eventSeq
	m.mu.Unlock()

	err := m.store.Flush(ctx, b)

	m.mu.Lock()
	defer m.mu.Unlock()
	if err != nil {
		m.status.FlushErrors++
		m.status.LastFlushError = err.Error()
		return fmt.Errorf("monitor: flush: %w", err)
	}
	// Remove exactly what was written; polls may have added more meanwhile
	// (they only add, so subtracting the written amounts is exact).
	for _, d := range b.Deltas {
		k := pendingKey{ifaceKey{d.Iface, d.MAC}, d.Bucket.Unix()}
		left := m.pending[k]
		left.Rx -= d.Rx
		left.Tx -= d.Tx
		if left == (usage.Totals{}) {
			delete(m.pending, k)
		} else {
			m.pending[k] = left
		}
	}
	m.appsWritten(b.Apps)
	m.networksWritten(b.Networks)
	for _, p := range b.Peaks {
		if m.peaks[p.Bucket.Unix()] <= p.BytesPerSec {
			delete(m.peaks, p.Bucket.Unix())
		}
	}
	// Drop the events written: the oldest len(events)-(newer ones) of them.
	newer := int(m.eventSeq - seq)
	if keep := min(newer, len(m.events)); keep < len(m.events) {
		m.events = append(m.events[:0], m.events[len(m.events)-keep:]...)
	}
	if len(m.pending) == 0 {
		m.coarsened = false
	}
	m.status.LastFlush = m.clock.Now().Wall
	m.status.LastFlushError = ""
	return nil
}

// Run polls until ctx is done, flushing every FlushInterval, then takes a
// last reading and flushes it. It returns the final flush's error, if any.
func (m *Monitor) Run(ctx context.Context) error {
	if !m.started {
		if err := m.Start(ctx); err != nil {
			return err
		}
	}
	// Write the start-up accounting (and the baseline snapshot) at once, so
	// a crash in the first interval does not lose it; a failure (a full
	// disk at start) is retried on the same schedule as any other.
	var failed writeFailures
	now := m.clock.Now()
	wait := failed.after(m.Flush(ctx), now, m.cfg.FlushInterval, m.log, m.Status)
	tick := time.NewTicker(m.cfg.PollInterval)
	defer tick.Stop()
	lastFlush := now.Mono
	for {
		select {
		case <-ctx.Done():
			if err := m.Poll(); err != nil {
				m.log.Error("final poll", "err", err)
			}
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			if err := m.Flush(fctx); err != nil {
				return err
			}
			m.log.Info("monitor stopped; all counted traffic written")
			return nil
		case <-tick.C:
			if err := m.Poll(); err != nil {
				m.log.Error("poll", "err", err)
				continue
			}
			if now := m.clock.Now(); now.Mono-lastFlush >= wait {
				lastFlush = now.Mono
				err := m.Flush(ctx)
				if err == nil && m.cfg.AfterFlush != nil {
					m.cfg.AfterFlush()
				}
				wait = failed.after(err, now, m.cfg.FlushInterval, m.log, m.Status)
			}
		}
	}
}

// maxRetryWait is the longest wait between two tries of a failing write. A
// failed try is one rolled-back transaction, cheap enough to repeat often so
// that counting is saved soon after the cause (a full disk, a locked file)
// is gone.
const maxRetryWait = 15 * time.Second

// writeFailures follows a run of failed flushes, for the retry schedule and
// for the logs: the first failure and then the 2nd, 4th, 8th... are logged,
// and one line says when writes recovered.
type writeFailures struct {
	n     int
	since Instant
}

// after records the outcome of a flush and returns how long to wait before
// the next one: the flush interval after a success; after a failure 1 s,
// doubling up to maxRetryWait (never longer than the flush interval).
func (w *writeFailures) after(err error, now Instant, interval time.Duration, log *slog.Logger, status func() Status) time.Duration {
	if err == nil {
		if w.n > 0 {
			log.Info("writes recovered", "failed_attempts", w.n, "after", roundDur(now.Wall.Sub(w.since.Wall)))
		}
		*w = writeFailures{}
		return interval
	}
	w.n++
	if w.n == 1 {
		w.since = now
	}
	if w.n&(w.n-1) == 0 { // a power of two
		log.Error("flush failed; keeping the data in memory and retrying", "err", err, "attempts", w.n, "pending", status().Pending)
	}
	return min(time.Second<<min(w.n-1, 4), maxRetryWait, interval)
}

// Live returns the rates after the latest poll.
func (m *Monitor) Live() Live {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.liveNow()
	l.Interfaces = append([]IfaceRate(nil), l.Interfaces...)
	return l
}

// Subscribe delivers Live after every poll until cancel is called. A slow
// reader misses updates rather than slowing the monitor.
func (m *Monitor) Subscribe() (<-chan Live, func()) {
	ch := make(chan Live, 1)
	m.mu.Lock()
	m.subs[ch] = struct{}{}
	m.mu.Unlock()
	return ch, func() {
		m.mu.Lock()
		delete(m.subs, ch)
		m.mu.Unlock()
	}
}

func (m *Monitor) publish() {
	if len(m.subs) == 0 {
		return
	}
	l := m.liveNow()
	l.Interfaces = append([]IfaceRate(nil), l.Interfaces...)
	for ch := range m.subs {
		select {
		case ch <- l:
		default:
		}
	}
}

// Status returns the monitor's health.
func (m *Monitor) Status() Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.status
	s.Pending = len(m.pending)
	return s
}

// Pending returns the traffic counted but not yet written in [from, to),
// for the interfaces f selects (Ifaces by name, All, or else the counted
// ones), so readers of the store can add it and see up-to-the-second totals.
func (m *Monitor) Pending(from, to time.Time, f usage.Filter) usage.Totals {
	m.mu.Lock()
	defer m.mu.Unlock()
	var t usage.Totals
	lo, hi := from.Unix(), to.Unix()
	for k, v := range m.pending {
		if k.bucket < lo || k.bucket >= hi || !m.selected(k.name, f) {
			continue
		}
		t = t.Add(v)
	}
	return t
}

// PendingPeak returns the highest total speed among unwritten peaks in [from, to).
func (m *Monitor) PendingPeak(from, to time.Time) uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	var p uint64
	for ts, bps := range m.peaks {
		if ts >= from.Unix() && ts < to.Unix() && bps > p {
			p = bps
		}
	}
	return p
}

// Unwritten returns the pending deltas and peaks in [from, to), each delta
// with whether its interface counts in the total, for readers in another
// process (the CLI) that add them to what they read from the store.
func (m *Monitor) Unwritten(from, to time.Time) usage.Unwritten {
	m.mu.Lock()
	defer m.mu.Unlock()
	lo, hi := from.Unix(), to.Unix()
	var u usage.Unwritten
	for k, v := range m.pending {
		if k.bucket < lo || k.bucket >= hi {
			continue
		}
		st, ok := m.ifaces[k.name]
		u.Deltas = append(u.Deltas, usage.UnwrittenDelta{
			Delta:   usage.Delta{Iface: k.name, MAC: k.mac, Bucket: time.Unix(k.bucket, 0).UTC(), Totals: v},
			Counted: ok && st.counted,
		})
	}
	for ts, bps := range m.peaks {
		if ts >= lo && ts < hi {
			u.Peaks = append(u.Peaks, usage.Peak{Bucket: time.Unix(ts, 0).UTC(), BytesPerSec: bps})
		}
	}
	// Map order is random; a stable order keeps the API's answer stable.
	slices.SortFunc(u.Deltas, func(a, b usage.UnwrittenDelta) int {
		return cmp.Or(a.Bucket.Compare(b.Bucket), cmp.Compare(a.Iface, b.Iface), cmp.Compare(a.MAC, b.MAC))
	})
	slices.SortFunc(u.Peaks, func(a, b usage.Peak) int { return a.Bucket.Compare(b.Bucket) })
	return u
}

func (m *Monitor) selected(name string, f usage.Filter) bool {
	if f.All {
		return true
	}
	if len(f.Ifaces) > 0 {
		for _, n := range f.Ifaces {
			if n == name {
				return true
			}
		}
		return false
	}
	st, ok := m.ifaces[name]
	return ok && st.counted
}
