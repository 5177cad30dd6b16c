package importer

import (
	"context"
	"fmt"
	"sort"
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
}

// chunk is how many minute buckets one AddHistory call (one transaction)
// writes; between chunks progress is reported.
const chunk = 20_000

// Apply adds h to st: every piece whose span the store has no traffic in
// yet. policy decides whether a new interface counts in the total. progress
// (may be nil) is called with the pieces done and the total.
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
	pts, err := st.Series(ctx, lo, hi, usage.CoarseBucket, usage.Filter{All: true})
	if err != nil {
		return res, err
	}
	// busy[i] counts the quarter hours with traffic before point i.
	busy := make([]int, len(pts)+1)
	for i, p := range pts {
		busy[i+1] = busy[i]
		if p.Total() > 0 {
			busy[i+1]++
		}
	}
	idx := func(t time.Time) int {
		i := int(t.UTC().Sub(lo) / usage.CoarseBucket)
		return min(max(i, 0), len(pts))
	}
	covered := func(p piece) bool {
		a := idx(p.from)
		b := idx(p.to.Add(usage.CoarseBucket - 1)) // round the end up
		return busy[b]-busy[a] > 0
	}
	var take, skip []piece
	for _, p := range h.pieces {
		if covered(p) {
			skip = append(skip, p)
		} else {
			take = append(take, p)
		}
	}
	res.Taken, res.Skipped = summarize(take, loc), summarize(skip, loc)
	by := map[string][]usage.Delta{}
	for _, p := range take {
		by[p.iface] = append(by[p.iface], usage.Delta{Iface: p.iface, Bucket: p.bucket, Totals: p.t})
	}
	names := make([]string, 0, len(by))
	for n := range by {
		names = append(names, n)
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
		res.Ifaces = append(res.Ifaces, name)
	}
	return res, nil
}
