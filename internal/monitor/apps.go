package monitor

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/packetbuddy/pb/internal/apps"
	"github.com/packetbuddy/pb/internal/usage"
)

// AppSplitter splits each poll's interface traffic among applications, each
// interface's apps (unattributed included) adding up to its traffic;
// *apps.Splitter satisfies it. Config.Apps nil switches per-app counting
// off, at no cost per poll.
type AppSplitter interface {
	Split(polled []apps.Traffic, dst []apps.Share) []apps.Share
}

type appKey struct {
	app usage.App
	ifaceKey
	bucket int64 // unix seconds of the coarse bucket start
}

// appState is the per-app part of the monitor: what a poll counted per
// interface, and the per-app buckets not yet written.
type appState struct {
	polled  []apps.Traffic
	shares  []apps.Share
	pending map[appKey]usage.Totals
}

// noteTraffic records an interface's traffic of this poll for the split
// (m.mu held).
func (m *Monitor) noteTraffic(st *ifaceState, index uint32, t usage.Totals) {
	if m.cfg.Apps == nil {
		return
	}
	m.apps.polled = append(m.apps.polled, apps.Traffic{Name: st.info.Name, Index: index, LinkHeader: apps.LinkHeader(string(st.info.Kind)), Totals: t})
}

// splitApps books the poll's traffic per app in 15-minute buckets (m.mu
// held): apps are many, so they are kept at the coarse resolution only, in
// the same bucket as the interface traffic they split.
func (m *Monitor) splitApps(wall time.Time) {
	if m.cfg.Apps == nil {
		return
	}
	m.apps.shares = m.cfg.Apps.Split(m.apps.polled, m.apps.shares[:0])
	m.apps.polled = m.apps.polled[:0]
	if m.apps.pending == nil {
		m.apps.pending = map[appKey]usage.Totals{}
	}
	b := wall.UTC().Truncate(usage.CoarseBucket).Unix()
	for _, sh := range m.apps.shares {
		mac := ""
		if st, ok := m.ifaces[sh.Iface]; ok {
			mac = st.info.MAC
		}
		k := appKey{sh.App, ifaceKey{sh.Iface, mac}, b}
		m.apps.pending[k] = m.apps.pending[k].Add(sh.Totals)
	}
}

// appBatch is the per-app part of a flush, in a stable order.
func (m *Monitor) appBatch() []usage.AppDelta {
	var out []usage.AppDelta
	for k, t := range m.apps.pending {
		out = append(out, usage.AppDelta{App: k.app, Iface: k.name, MAC: k.mac, Bucket: time.Unix(k.bucket, 0).UTC(), Totals: t})
	}
	slices.SortFunc(out, func(a, b usage.AppDelta) int {
		return cmp.Or(a.Bucket.Compare(b.Bucket), strings.Compare(a.Iface, b.Iface), strings.Compare(a.App.Path, b.App.Path),
			strings.Compare(a.App.Name, b.App.Name), strings.Compare(a.App.Unit, b.App.Unit), strings.Compare(a.App.Package, b.App.Package))
	})
	return out
}

// appsWritten removes what a flush wrote; polls may have added more
// meanwhile, and only add, so subtracting is exact (m.mu held).
func (m *Monitor) appsWritten(written []usage.AppDelta) {
	for _, d := range written {
		k := appKey{d.App, ifaceKey{d.Iface, d.MAC}, d.Bucket.Unix()}
		left := m.apps.pending[k]
		left.Rx -= d.Rx
		left.Tx -= d.Tx
		if left == (usage.Totals{}) {
			delete(m.apps.pending, k)
		} else {
			m.apps.pending[k] = left
		}
	}
}
