package query

import (
	"context"
	"fmt"
	"slices"

	"github.com/packetbuddy/pb/internal/usage"
)

// Networks is per-network traffic over local days.
type Networks struct {
	From, To usage.Date // inclusive local days
	// Networks are largest first, then by name; every known network is
	// listed (with no traffic when it carried none in the range), and
	// the unknown network when it carried some, so without a network
	// filter they add up to Total, the interfaces' traffic.
	Networks []usage.NetworkTotals
	Total    usage.Totals
}

// UnknownNetworkError is a network filter naming no known network.
type UnknownNetworkError struct{ Name string }

func (e *UnknownNetworkError) Error() string {
	return fmt.Sprintf("no network is named %q (pb networks lists them)", e.Name)
}

// Networks returns each network's traffic on the local days from..to
// (inclusive) on the interfaces f selects (the zero Filter: the engine's
// scope), limited to the networks named in names when there are any (the
// unknown network is named usage.UnknownNetwork). Like per-app traffic it
// is written with each flush; what the daemon counted since its last
// write is not in it yet.
func (e *Engine) Networks(ctx context.Context, from, to usage.Date, f usage.Filter, names []string) (Networks, error) {
	if !f.All && len(f.Ifaces) == 0 {
		f = e.scope
	}
	start, end := from.Start(e.loc), to.AddDays(1).Start(e.loc)
	known, err := e.st.Networks(ctx)
	if err != nil {
		return Networks{}, err
	}
	for _, n := range names {
		if n != usage.UnknownNetwork && !slices.ContainsFunc(known, func(k usage.Network) bool { return k.Name == n }) {
			return Networks{}, &UnknownNetworkError{Name: n}
		}
	}
	totals, err := e.st.NetworkTotals(ctx, start, end, f)
	if err != nil {
		return Networks{}, err
	}
	out := Networks{From: from, To: to}
	want := func(name string) bool { return len(names) == 0 || slices.Contains(names, name) }
	seen := map[int64]bool{}
	for _, n := range totals {
		seen[n.ID] = n.ID != 0
		if want(n.Name) {
			out.Networks = append(out.Networks, n)
			out.Total = out.Total.Add(n.Totals)
		}
	}
	for _, k := range known {
		if !seen[k.ID] && want(k.Name) {
			out.Networks = append(out.Networks, usage.NetworkTotals{Network: k})
		}
	}
	return out, nil
}

// NetworkTotal is the traffic of the named networks in [from, to) on the
// interfaces f selects: what a plan limited to networks counts.
func (e *Engine) NetworkTotal(ctx context.Context, from, to usage.Date, f usage.Filter, names []string) (usage.Totals, error) {
	n, err := e.Networks(ctx, from, to, f, names)
	return n.Total, err
}
