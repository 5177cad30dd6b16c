package importer

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/packetbuddy/pb/internal/counter"
	"github.com/packetbuddy/pb/internal/store"
	"github.com/packetbuddy/pb/internal/usage"
)

// Result is what an import took and what it left out.
type Result struct {
	Taken   Summary // added to the store
	Skipped Summary // already covered by the store (own data or an earlier import)
	Ifaces  []string
	Peaks   int // peak speeds recorded
}

// chunk is how many minute buckets one AddHistory call (one transaction)
// writes; between chunks progress is reported.
const chunk = 20_000

// coverage tells whether the store already has traffic in a span.
type coverage struct {
	lo     time.Time
	busy   []int      // busy[i]: quarter hours with traffic before point i
	period [][2]int64 // period totals already stored: [start, end)
}

func (c *coverage) idx(t time.Time) int {
	i := int(t.UTC().Sub(c.lo) / usage.CoarseBucket)
	return min(max(i, 0), len(c.busy)-1)
}

func (c *coverage) covered(p piece) bool {
	a, b := c.idx(p.from), c.idx(p.to.Add(usage.CoarseBucket-1)) // round the end up
	if c.busy[b]-c.busy[a] > 0 {
		return true
	}
	for _, s := range c.period {
		if p.from.Unix() < s[1] && s[0] < p.to.Unix() {
			return true
		}
	}
	return false
}

// Apply adds h to st: every piece whose span the store has no traffic in
// yet. The traffic of this machine (vnStat's, and the local device's of a
// PacketBuddy 1.x database) is checked against all the store holds except
// other 1.x devices' interfaces; another 1.x device's against the
// interfaces that hold that device (its own, and those an earlier import
// recorded for its id), since this machine's traffic says nothing about it.
// Each 1.x device's interface is recorded for the next import (Claim). policy decides whether a new interface counts in
// the total. progress (may be nil) is called with the pieces done and the
// total.
func Apply(ctx context.Context, st *store.Store, h *History, policy usage.Policy, loc *time.Location, progress func(done, total int)) (Result, error) {
	var res Result
	if len(h.pieces) == 0 {
		return res, nil
	}
	lo, hi := h.pieces[0].from, h.pieces[0].to
	for _, p := range h.pieces {
		if p.from.Before(lo) {
			lo = p.from
		}
		if p.to.After(hi) {
			hi = p.to
		}
	}
	lo = lo.UTC().Truncate(usage.CoarseBucket)
	groups, err := coverageGroups(ctx, st, h)
	if err != nil {
		return res, err
	}
	cov := map[string]*coverage{}
	for g, f := range groups {
		if !f.All && len(f.Ifaces) == 0 { // none (an empty list means the counted ones)
			cov[g] = &coverage{lo: lo, busy: []int{0}}
			continue
		}
		pts, err := st.Series(ctx, lo, hi, usage.CoarseBucket, f)
		if err != nil {
			return res, err
		}
		c := &coverage{lo: lo, busy: make([]int, len(pts)+1)}
		for i, p := range pts {
			c.busy[i+1] = c.busy[i]
			if p.Total() > 0 {
				c.busy[i+1]++
			}
		}
		// Stored periods may reach beyond [lo, hi): a year around a month.
		ps, err := st.Periods(ctx, lo.AddDate(-1, 0, 0), hi.AddDate(1, 0, 0), f)
		if err != nil {
			return res, err
		}
		for _, p := range ps {
			c.period = append(c.period, [2]int64{p.Start.Unix(), p.End.Unix()})
		}
		cov[g] = c
	}
	var take, skip []piece
	for _, p := range h.pieces {
		c := cov[p.iface]
		if c == nil {
			c = cov[""]
		}
		if c.covered(p) {
			skip = append(skip, p)
		} else {
			take = append(take, p)
		}
	}
	res.Taken, res.Skipped = summarize(take, loc), summarize(skip, loc)
	by := map[string][]usage.Delta{}
	periods := map[string][]usage.Period{}
	for _, p := range take {
		if p.period != "" {
			periods[p.iface] = append(periods[p.iface], usage.Period{Kind: p.period, Start: p.from, End: p.to, Totals: p.t})
			continue
		}
		by[p.iface] = append(by[p.iface], usage.Delta{Iface: p.iface, Bucket: p.bucket, Totals: p.t})
	}
	names := make([]string, 0, len(by))
	for n := range by {
		names = append(names, n)
	}
	for n := range periods {
		if _, ok := by[n]; !ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	done := 0
	for _, name := range names {
		deltas := by[name]
		sort.Slice(deltas, func(i, j int) bool { return deltas[i].Bucket.Before(deltas[j].Bucket) })
		kind := "other"
		if h.Source == PacketBuddy {
			kind = "imported"
		} else if k, ok := counter.ClassifyName(name); ok {
			kind = string(k)
		}
		iface := usage.Interface{Name: name, Kind: kind, Counted: policy.Counted(name, kind)}
		for len(deltas) > 0 {
			n := min(chunk, len(deltas))
			if err := st.AddHistory(ctx, iface, deltas[:n]); err != nil {
				return res, fmt.Errorf("import into the store: %w", err)
			}
			deltas = deltas[n:]
			done += n
			if progress != nil {
				progress(done, len(take))
			}
		}
		if ps := periods[name]; len(ps) > 0 {
			if err := st.AddPeriods(ctx, iface, ps); err != nil {
				return res, fmt.Errorf("import into the store: %w", err)
			}
			done += len(ps)
			if progress != nil {
				progress(done, len(take))
			}
		}
		res.Ifaces = append(res.Ifaces, name)
	}
	if h.Source == PacketBuddy {
		for _, d := range h.Devices {
			if err := st.SetImportedDevice(ctx, d.Iface, d.ID); err != nil {
				return res, err
			}
		}
	}
	// Peak speeds: the peaks table is this machine's (keyed by time only),
	// so only the local device's, and only in spans taken now. The stored
	// value is kept when higher.
	local := map[string]bool{}
	for _, d := range h.Devices {
		if d.Local {
			local[d.Iface] = true
		}
	}
	type at struct {
		iface string
		q     time.Time
	}
	taken := map[at]bool{}
	for _, p := range take {
		if p.period == "" && local[p.iface] {
			taken[at{p.iface, p.from.UTC().Truncate(usage.CoarseBucket)}] = true
		}
	}
	var peaks []usage.Peak
	for _, p := range h.peaks {
		if taken[at{p.iface, p.Bucket}] {
			peaks = append(peaks, p.Peak)
		}
	}
	if len(peaks) > 0 {
		if err := st.AddPeaks(ctx, peaks); err != nil {
			return res, fmt.Errorf("import into the store: %w", err)
		}
		res.Peaks = len(peaks)
	}
	return res, nil
}

// coverageGroups returns the interfaces each piece is checked against, per
// piece interface; "" is for this machine's traffic.
func coverageGroups(ctx context.Context, st *store.Store, h *History) (map[string]usage.Filter, error) {
	rec, err := st.ImportedDevices(ctx)
	if err != nil {
		return nil, err
	}
	ifs, err := st.InterfaceLifetimes(ctx)
	if err != nil {
		return nil, err
	}
	localID := rec[ImportedIface]
	if h.Source == PacketBuddy {
		localID = h.DeviceID
	}
	// Another device's interface: recorded for another id, or (not
	// recorded) any packetbuddy-v1@ name, which only other devices get.
	other := func(name string) bool {
		if name != ImportedIface && !strings.HasPrefix(name, ImportedIface+"@") {
			return false
		}
		if id, ok := rec[name]; ok {
			return id != localID
		}
		return name != ImportedIface
	}
	mine := usage.Filter{Ifaces: []string{}}
	for _, i := range ifs {
		if !other(i.Name) {
			mine.Ifaces = append(mine.Ifaces, i.Name)
		}
	}
	groups := map[string]usage.Filter{"": mine}
	for _, d := range h.Devices {
		if d.Local {
			continue
		}
		f := usage.Filter{Ifaces: []string{d.Iface}}
		for name, id := range rec {
			if id == d.ID && name != d.Iface {
				f.Ifaces = append(f.Ifaces, name)
			}
		}
		sort.Strings(f.Ifaces)
		groups[d.Iface] = f
	}
	return groups, nil
}
