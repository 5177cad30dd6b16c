package monitor

import (
	"cmp"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/packetbuddy/pb/internal/usage"
)

// NetworkSource tells which network each interface is attached to;
// *network.Source satisfies it. It is asked once per poll, before the
// poll's traffic is booked, so a change it has heard of is in effect for
// that poll's bytes. An interface not in the map is on the unknown network.
// Config.Networks nil switches per-network counting off.
type NetworkSource interface {
	Attached() map[string]usage.Attachment
}

type netKey struct {
	network usage.Attachment
	ifaceKey
	bucket int64 // unix seconds of the coarse bucket start
}

// netState is the per-network part of the monitor: the attachments in
// effect for the current poll and the per-network buckets not yet written.
type netState struct {
	current map[string]usage.Attachment
	pending map[netKey]usage.Totals
	// prev is each interface's attachment before the source last changed
	// its map (seen: that map), and watch the interfaces that joined a
	// network within the last joinWatchPolls polls, with the polls left.
	prev  map[string]usage.Attachment
	seen  unsafe.Pointer
	watch map[string]int
}

// joinWatchPolls is how many polls after joining a network a heavy
// transfer still counts as running "while joining".
const joinWatchPolls = 10

// DefaultHeavyRate is Config.HeavyRate's default: 1 MB/s, a download or a
// backup rather than a page or a chat.
const DefaultHeavyRate = 1_000_000

// watchJoins notes the interfaces whose network changed to a known one
// since the last poll, and calls OnHeavyJoin for a watched interface whose
// speed reaches HeavyRate (m.mu held). Between changes it costs a pointer
// comparison.
func (m *Monitor) watchJoins() {
	if m.cfg.OnHeavyJoin == nil {
		return
	}
	if p := reflect.ValueOf(m.nets.current).UnsafePointer(); p != m.nets.seen {
		m.nets.seen = p
		for name, a := range m.nets.current {
			if old, ok := m.nets.prev[name]; a.Known() && (!ok || old.Fingerprint() != a.Fingerprint()) {
				if m.nets.watch == nil {
					m.nets.watch = map[string]int{}
				}
				m.nets.watch[name] = joinWatchPolls
			}
		}
		m.nets.prev = maps.Clone(m.nets.current)
	}
	for name, left := range m.nets.watch {
		st, ok := m.ifaces[name]
		switch {
		case ok && st.rate.RxPerSec+st.rate.TxPerSec >= m.cfg.HeavyRate:
			m.cfg.OnHeavyJoin(name, m.nets.current[name], st.rate)
			delete(m.nets.watch, name)
		case left <= 1:
			delete(m.nets.watch, name)
		default:
			m.nets.watch[name] = left - 1
		}
	}
}

// attachments asks the source for this poll's attachments (outside m.mu:
// it may read the kernel's tables).
func (m *Monitor) attachments() map[string]usage.Attachment {
	if m.cfg.Networks == nil {
		return nil
	}
	return m.cfg.Networks.Attached()
}

// noteNetwork books traffic that addPending booked for st on the network
// st is attached to (m.mu held). Only known networks are kept: the rest of
// the interface's bucket is the unknown network, so the networks of an
// interface add up to its traffic by construction.
func (m *Monitor) noteNetwork(st *ifaceState, wall time.Time, t usage.Totals) {
	a, ok := m.nets.current[st.info.Name]
	if !ok || !a.Known() {
		return
	}
	if m.nets.pending == nil {
		m.nets.pending = map[netKey]usage.Totals{}
	}
	k := netKey{a, ifaceKey{st.info.Name, st.info.MAC}, wall.UTC().Truncate(usage.CoarseBucket).Unix()}
	m.nets.pending[k] = m.nets.pending[k].Add(t)
}

// networkBatch is the per-network part of a flush, in a stable order.
func (m *Monitor) networkBatch() []usage.NetworkDelta {
	var out []usage.NetworkDelta
	for k, t := range m.nets.pending {
		out = append(out, usage.NetworkDelta{Network: k.network, Iface: k.name, MAC: k.mac, Bucket: time.Unix(k.bucket, 0).UTC(), Totals: t})
	}
	slices.SortFunc(out, func(a, b usage.NetworkDelta) int {
		return cmp.Or(a.Bucket.Compare(b.Bucket), strings.Compare(a.Iface, b.Iface), strings.Compare(a.Network.Fingerprint(), b.Network.Fingerprint()))
	})
	return out
}

// networksWritten removes what a flush wrote (m.mu held); see appsWritten.
func (m *Monitor) networksWritten(written []usage.NetworkDelta) {
	for _, d := range written {
		k := netKey{d.Network, ifaceKey{d.Iface, d.MAC}, d.Bucket.Unix()}
		left := m.nets.pending[k]
		left.Rx -= d.Rx
		left.Tx -= d.Tx
		if left == (usage.Totals{}) {
			delete(m.nets.pending, k)
		} else {
			m.nets.pending[k] = left
		}
	}
}

// Attachments returns the network each interface was attached to at the
// latest poll (nil when per-network counting is off). The map must not be
// modified.
func (m *Monitor) Attachments() map[string]usage.Attachment {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.nets.current
}
