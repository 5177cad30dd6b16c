// Package usage holds PacketBuddy's domain types: what the monitor hands to the
// store (deltas, peaks, events, counter snapshots) and what queries return
// (totals per day, month, hour, interface). It imports nothing of the project,
// so every other package can speak in these terms without knowing each other.
package usage

import (
	"time"
)

// Bucket widths. Every delta lands in a FineBucket (kept for a few days, for
// live-ish charts) and in a CoarseBucket (kept for ever). 15 minutes is the
// coarsest width on which every real zone's local midnight falls on a bucket
// edge (UTC+5:45 and +12:45 exist), so local days can be summed exactly.
const (
	FineBucket   = time.Minute
	CoarseBucket = 15 * time.Minute
)

// Totals is a number of bytes received (downloaded) and transmitted (uploaded).
type Totals struct {
	Rx uint64 `json:"rx"`
	Tx uint64 `json:"tx"`
}

// Total is Rx + Tx.
func (t Totals) Total() uint64 { return t.Rx + t.Tx }

// Add returns t + o.
func (t Totals) Add(o Totals) Totals { return Totals{Rx: t.Rx + o.Rx, Tx: t.Tx + o.Tx} }

// Interface is what the store remembers of a network interface. History is
// kept per (Name, MAC): a different adapter that takes an old name (another
// phone on usb0) is another interface.
type Interface struct {
	Name string
	MAC  string // lower-case, "" when the interface has none
	Kind string // counter.Kind as a string: ethernet, wifi, loopback, virtual, tunnel, ...
	// Counted says whether the user-facing total includes this interface
	// (the interface policy; see Policy). Excluded interfaces are still
	// recorded, so a policy change re-totals history.
	Counted bool
}

// Delta is traffic observed on one interface, assigned to the FineBucket that
// starts at Bucket (UTC, truncated to FineBucket).
type Delta struct {
	Iface  string
	MAC    string
	Bucket time.Time
	Totals
}

// Peak is the highest total counted speed (bytes per second, rx+tx) seen in
// the CoarseBucket that starts at Bucket (UTC).
type Peak struct {
	Bucket      time.Time
	BytesPerSec uint64
}

// EventKind names something a user may want explained.
type EventKind string

// Event kinds.
const (
	EventSpike    EventKind = "spike"     // a delta faster than the link could carry, discarded
	EventReset    EventKind = "reset"     // counters went down: interface re-created, counted from zero
	EventWrap     EventKind = "wrap"      // counters wrapped at 2^32 or 2^64
	EventRestart  EventKind = "restart"   // daemon started in the same boot; traffic while stopped counted
	EventReboot   EventKind = "reboot"    // daemon started after a reboot; counters since boot counted
	EventFirstRun EventKind = "first_run" // no history: nothing back-filled
	EventGap      EventKind = "gap"       // a long pause between polls (suspend, stopped process)
	EventAppear   EventKind = "appear"    // a new interface was seen
	EventUnusual  EventKind = "unusual"   // an hour or a day far above its own history
)

// Event is one entry of the event log. Rx/Tx are the bytes it concerns (counted
// or, for a spike, discarded).
type Event struct {
	Time    time.Time
	Kind    EventKind
	Iface   string
	Totals  Totals
	Message string
}

// CounterState is the last raw counter reading of one interface.
type CounterState struct {
	Iface string
	MAC   string
	// Index is the OS's interface index of the reading (0 unknown): after a
	// restart, another index under the same name is another incarnation.
	Index uint32
	Rx    uint64
	Tx    uint64
}

// Snapshot is the monitor's last counter readings with the boot they belong
// to. It is written in the same transaction as the deltas it accounts for, so
// after a restart the monitor knows exactly which bytes were already counted.
type Snapshot struct {
	BootID string
	Time   time.Time // wall-clock time of the reading
	// SinceBoot is the reading's time on the boot clock (CLOCK_BOOTTIME on
	// Linux), 0 if unknown. Within one boot, now minus it is the real time
	// the daemon was stopped, whatever the wall clock did.
	SinceBoot time.Duration
	Counters  []CounterState
}

// Batch is everything one flush writes, in one transaction.
type Batch struct {
	Interfaces []Interface // interfaces seen (upserted; Kind and Counted refreshed)
	Deltas     []Delta
	Peaks      []Peak
	Events     []Event
	Snapshot   Snapshot
	// Apps splits Deltas among applications (empty when per-app counting
	// is off); for each interface and bucket its apps add up to the delta.
	Apps []AppDelta
	// Networks is the part of Deltas that was on a known network, per
	// network, interface and CoarseBucket; the rest of each interface's
	// bucket was on the unknown network.
	Networks []NetworkDelta
}

// Filter selects interfaces for a query. The zero Filter selects the
// interfaces counted in the total; Ifaces selects those names (counted or
// not); All selects every interface.
type Filter struct {
	Ifaces []string
	All    bool
}

// DayTotals is the traffic of one local calendar day.
type DayTotals struct {
	Date Date
	Totals
	PeakBytesPerSec uint64
}

// MonthTotals is the traffic of one local calendar month.
type MonthTotals struct {
	Year  int
	Month time.Month
	Totals
}

// Period is traffic known only as the whole of a local calendar month or
// year (imported month and year totals): it belongs to no day, so day views,
// top days, averages and forecasts never see it.
type Period struct {
	Kind       string    // PeriodMonth or PeriodYear
	Start, End time.Time // [Start, End): the local calendar bounds
	Totals
}

// Period kinds.
const (
	PeriodMonth = "month"
	PeriodYear  = "year"
)

// HourTotals is the traffic of one local clock hour. On DST change days a day
// has 23 or 25 of them; Start carries the zone offset, so the repeated hour is
// distinguishable.
type HourTotals struct {
	Start time.Time
	Totals
}

// Point is one step of a series: the traffic of the buckets that start in
// [Start, Start+step).
type Point struct {
	Start time.Time
	Totals
}

// InterfaceTotals is one interface with its traffic over some span.
type InterfaceTotals struct {
	Interface
	Totals
	FirstSeen time.Time
	LastSeen  time.Time
}
