package apps

import (
	"cmp"
	"log/slog"
	"math/bits"
	"slices"

	"github.com/packetbuddy/pb/internal/usage"
)

// Traffic is one interface's traffic in one poll, as the monitor counted it.
type Traffic struct {
	Name  string
	Index uint32 // the OS's interface index; 0 unknown
	// LinkHeader is the bytes the interface's counters add to each packet
	// before its network header (14 for Ethernet-like links, 0 for
	// tunnels).
	LinkHeader uint64
	usage.Totals
}

// Share is an application's part of one interface's traffic in one poll.
type Share struct {
	App   usage.App
	Iface string
	usage.Totals
}

type sampleKey struct{ pid, ifindex uint32 }

// Splitter splits each poll's interface traffic among applications from a
// Source's counters: each interface's apps, "unattributed" included, add
// up to its traffic exactly, in both directions.
//
// The counters are read a moment after the interface's, so an app can show
// more bytes in a poll than its interface: then the interface's bytes are
// shared among its apps in proportion, nothing is unattributed, and what
// did not fit is carried to the next poll. What still does not fit then
// (bytes the interface never showed: a link header larger than assumed, a
// vanished interface) is dropped from the app rather than booked beyond
// the interface's total.
type Splitter struct {
	src   Source
	res   *Resolver
	log   *slog.Logger
	last  map[sampleKey]Sample
	carry map[sampleKey]usage.Totals // to book in this poll
	next  map[sampleKey]usage.Totals // to book in the next one
	buf   []Sample
	polls int
	// Reused from poll to poll, so a warm poll allocates nothing.
	parts   [][]part // per polled interface
	rx, tx  []uint64 // fit's results
	order   []int    // fit's largest-first order
	gone    []uint32 // forgetExited's
	checked map[uint32]bool
	// CheckEvery is how many polls pass between two looks for exited
	// processes (default 60: a minute at the default poll).
	CheckEvery int
}

// NewSplitter splits with the counters of src, naming processes with res.
func NewSplitter(src Source, res *Resolver, log *slog.Logger) *Splitter {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Splitter{src: src, res: res, log: log, last: map[sampleKey]Sample{}, carry: map[sampleKey]usage.Totals{}, next: map[sampleKey]usage.Totals{}, CheckEvery: 60}
}

type part struct {
	key     sampleKey
	carried usage.Totals // of Totals, what the previous poll could not fit
	usage.Totals
}

// Split reads the counters and returns every application's share of the
// traffic of polled, with each interface's unattributed rest. A failed
// read leaves everything unattributed (and is logged once per failure run).
func (s *Splitter) Split(polled []Traffic, dst []Share) []Share {
	var err error
	s.buf, err = s.src.Read(s.buf[:0])
	if err != nil {
		s.log.Debug("read per-app counters", "err", err)
		s.buf = s.buf[:0]
	}
	for len(s.parts) < len(polled) {
		s.parts = append(s.parts, nil)
	}
	parts := s.parts[:len(polled)]
	for i := range parts {
		parts[i] = parts[i][:0]
	}
	for _, cur := range s.buf {
		k := sampleKey{cur.PID, cur.Ifindex}
		prev, seen := s.last[k]
		s.last[k] = cur
		d := diff(prev, cur, seen)
		i := indexOf(polled, cur.Ifindex)
		if i < 0 {
			continue // an interface the monitor does not follow
		}
		h := polled[i].LinkHeader
		t := usage.Totals{Rx: d.RxBytes + h*d.RxPackets, Tx: d.TxBytes + h*d.TxPackets}
		c := s.carry[k]
		if t = t.Add(c); t != (usage.Totals{}) {
			parts[i] = append(parts[i], part{k, c, t})
		}
	}
	for i, p := range polled {
		dst = s.share(p, parts[i], dst)
	}
	// Bytes are carried once only (see Splitter).
	s.carry, s.next = s.next, s.carry
	clear(s.next)
	s.polls++
	if s.polls%max(s.CheckEvery, 1) == 0 {
		s.forgetExited()
	}
	return dst
}

// indexOf is the position of the interface with index ifindex in polled,
// or -1. An interface list is short, so a scan beats building a map each
// poll.
func indexOf(polled []Traffic, ifindex uint32) int {
	if ifindex == 0 {
		return -1
	}
	for i := range polled {
		if polled[i].Index == ifindex {
			return i
		}
	}
	return -1
}

// diff is the traffic between two readings of one counter. A counter lower
// than before was deleted and created again (Forget raced a late packet):
// its whole value is new.
func diff(prev, cur Sample, seen bool) Sample {
	if !seen || cur.RxBytes < prev.RxBytes || cur.TxBytes < prev.TxBytes || cur.RxPackets < prev.RxPackets || cur.TxPackets < prev.TxPackets {
		return cur
	}
	return Sample{RxBytes: cur.RxBytes - prev.RxBytes, TxBytes: cur.TxBytes - prev.TxBytes, RxPackets: cur.RxPackets - prev.RxPackets, TxPackets: cur.TxPackets - prev.TxPackets}
}

// share appends the shares of one interface's traffic t among parts.
func (s *Splitter) share(t Traffic, parts []part, dst []Share) []Share {
	if t.Totals == (usage.Totals{}) && len(parts) == 0 {
		return dst
	}
	s.rx, s.order = fit(t.Rx, parts, func(p *part) *uint64 { return &p.Rx }, s.rx, s.order)
	s.tx, s.order = fit(t.Tx, parts, func(p *part) *uint64 { return &p.Tx }, s.tx, s.order)
	rx, tx := s.rx, s.tx
	start := len(dst)
	for i, p := range parts {
		got := usage.Totals{Rx: rx[i], Tx: tx[i]}
		// Carried bytes are booked first, so what is left is fresh, up
		// to the fresh part: that is carried; the rest is dropped.
		left := sub(p.Totals, got)
		fresh := sub(p.Totals, p.carried)
		if next := (usage.Totals{Rx: min(left.Rx, fresh.Rx), Tx: min(left.Tx, fresh.Tx)}); next != (usage.Totals{}) {
			s.next[p.key] = s.next[p.key].Add(next)
		}
		if got == (usage.Totals{}) {
			continue
		}
		// The kernel's command name is only needed for a process
		// not named yet: asking for it is a system call.
		app, ok := s.res.Cached(p.key.pid)
		if !ok {
			app = s.res.Resolve(p.key.pid, s.src.Comm(p.key.pid))
		}
		dst = mergeShare(dst, start, Share{App: app, Iface: t.Name, Totals: got})
	}
	var booked usage.Totals
	for _, sh := range dst[start:] {
		booked = booked.Add(sh.Totals)
	}
	if rest := sub(t.Totals, booked); rest != (usage.Totals{}) {
		dst = append(dst, Share{App: usage.Unattributed, Iface: t.Name, Totals: rest})
	}
	return dst
}

// mergeShare adds sh to the share of the same app in dst[start:], or
// appends it: several processes of one program are one application.
func mergeShare(dst []Share, start int, sh Share) []Share {
	for i := start; i < len(dst); i++ {
		if dst[i].App == sh.App {
			dst[i].Totals = dst[i].Totals.Add(sh.Totals)
			return dst
		}
	}
	return append(dst, sh)
}

// fit books up to total bytes among parts (the direction field picks):
// all of each when they fit, else shares in proportion to each part,
// rounded down, with the bytes left by rounding given to the largest parts
// first, so the sum is exactly total. It returns out and order (scratch)
// grown as needed, to be passed again next time.
func fit(total uint64, parts []part, field func(*part) *uint64, out []uint64, order []int) ([]uint64, []int) {
	out = slices.Grow(out[:0], len(parts))[:len(parts)]
	var sum uint64
	for i := range parts {
		sum += *field(&parts[i])
	}
	if sum <= total {
		for i := range parts {
			out[i] = *field(&parts[i])
		}
		return out, order
	}
	var booked uint64
	for i := range parts {
		// total < sum, so the product fits in 128 bits; in practice both
		// are far below 2^32 per poll, but stay exact regardless.
		out[i] = mulDiv(*field(&parts[i]), total, sum)
		booked += out[i]
	}
	order = slices.Grow(order[:0], len(parts))[:len(parts)]
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(*field(&parts[b]), *field(&parts[a])) })
	for j := 0; booked < total; j = (j + 1) % len(order) {
		out[order[j]]++
		booked++
	}
	return out, order
}

// forgetExited drops the counters of processes that have exited, after
// their last traffic was booked (Split booked it before calling this).
func (s *Splitter) forgetExited() {
	if s.checked == nil {
		s.checked = map[uint32]bool{}
	}
	clear(s.checked) // pid → still running
	gone := s.gone[:0]
	for k := range s.last {
		if _, ok := s.checked[k.pid]; ok {
			continue
		}
		alive := s.res.Alive(k.pid)
		s.checked[k.pid] = alive
		if !alive {
			gone = append(gone, k.pid)
		}
	}
	s.gone = gone
	if len(gone) == 0 {
		return
	}
	if err := s.src.Forget(gone); err != nil {
		s.log.Debug("forget exited processes", "err", err)
		return
	}
	for _, p := range gone {
		s.res.Forget(p)
	}
	for k := range s.last {
		if !s.checked[k.pid] {
			delete(s.last, k)
		}
	}
}

// Close detaches the source.
func (s *Splitter) Close() error { return s.src.Close() }

// sub is a − b for totals where each of b's fields is at most a's.
func sub(a, b usage.Totals) usage.Totals { return usage.Totals{Rx: a.Rx - b.Rx, Tx: a.Tx - b.Tx} }

// mulDiv is x·y/z rounded down, for y < z (so the result fits).
func mulDiv(x, y, z uint64) uint64 {
	hi, lo := bits.Mul64(x, y)
	q, _ := bits.Div64(hi, lo, z)
	return q
}
