package monitor

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/counter"
	"github.com/packetbuddy/pb/internal/usage"
)

// The model-based test drives a real Monitor against a simulated kernel and
// machine, one random step at a time, and after every step compares what
// the monitor stored and holds pending with what truly passed.
var (
	modelSteps   = flag.Int("model.steps", 1_000_000, "steps of TestModel (each seed runs steps/seeds)")
	modelSeed    = flag.Uint64("model.seed", 0, "replay TestModel with this seed (0: fresh seeds)")
	modelNoIndex = flag.Bool("model.noindex", false, "replay TestModel's seed with a reader without indexes")
)

// incarnation is one life of an interface: from its creation to its
// deletion (or a reboot). Its counters start at zero (or, for those alive
// at the very first start, anywhere: they were up long before).
type incarnation struct {
	name, mac string
	index     uint32
	bits      int    // counter width: 32 or 64
	speed     uint64 // link speed, bits/s
	kind      counter.Kind
	offRx     uint64 // raw counter = offset + true bytes, modulo 2^bits
	offTx     uint64
	rx, tx    uint64 // true bytes since creation
	alive     bool
	// What the daemon has accounted for: the true bytes at its last
	// reading, in memory (read*) and in the last written snapshot (flushed*).
	readRx, readTx       uint64
	flushedRx, flushedTx uint64
}

func (in *incarnation) key() [2]string { return [2]string{in.name, in.mac} }

func wrapTo(v uint64, bits int) uint64 {
	if bits == 32 {
		return v & math.MaxUint32
	}
	return v
}

// sim is the simulated machine: kernel interfaces, clocks, boots, and a
// daemon that runs, stops and is killed.
type sim struct {
	t   *testing.T
	rng *rand.Rand

	// kernel
	live      map[string]*incarnation
	all       []*incarnation
	nextIndex uint32
	boot      int
	macs      int

	// clocks
	clock fakeClock

	// storage and daemon
	store   *modelStore
	m       *Monitor
	running bool

	// expected per (name, MAC): the bytes the monitor must have counted,
	// in memory and as of the last successful flush; truth: what passed.
	expected, flushedExpected, truth map[[2]string]usage.Totals
	// Bookkeeping so that a step costs the same after a million: what
	// changed since the last flush, and what this step touched.
	dirty    map[[2]string]bool
	dirtyInc map[*incarnation]bool
	touched  map[[2]string]bool

	stepNo int
	log    []string // the last steps, printed on failure
	stats  map[string]int

	// noIndex makes the reader the Linux fallback (/proc/net/dev): rows
	// without an index, and Info failing now and then (the interface went
	// between the dump and the look-up). Without indexes a re-creation that
	// no MAC or counter going down betrays cannot be told, so the invariant
	// is weaker: per name, never more than the truth.
	// Info fails only for a name this daemon has described before: a first
	// description that fails leaves the counter width unknown, and a
	// counter below 2^32 that went down may then be a 32-bit wrap, which
	// without an index nothing tells from a re-creation.
	noIndex     bool
	described   map[string]bool
	truthByName map[string]usage.Totals
	// expected and flushedExpected summed per name: what an indexed
	// monitor counts, the most one without indexes may count.
	expectedByName, flushedByName map[string]usage.Totals
}

var simNames = []string{"eth0", "wlan0", "usb0", "veth1", "wwan0", "tun0"}

func newSim(t *testing.T, seed uint64, noIndex bool) *sim {
	s := &sim{
		noIndex:         noIndex,
		described:       map[string]bool{},
		truthByName:     map[string]usage.Totals{},
		expectedByName:  map[string]usage.Totals{},
		flushedByName:   map[string]usage.Totals{},
		t:               t,
		rng:             rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		live:            map[string]*incarnation{},
		nextIndex:       2,
		boot:            1,
		clock:           fakeClock{now: Instant{Wall: t0, Mono: time.Hour, Boot: 3 * time.Hour}},
		store:           newModelStore(),
		expected:        map[[2]string]usage.Totals{},
		flushedExpected: map[[2]string]usage.Totals{},
		truth:           map[[2]string]usage.Totals{},
		dirty:           map[[2]string]bool{},
		dirtyInc:        map[*incarnation]bool{},
		touched:         map[[2]string]bool{},
		stats:           map[string]int{},
	}
	for _, n := range simNames[:3] {
		in := s.create(n, s.newMAC())
		// Up long before the first start: counters anywhere, close to a
		// wrap for some.
		in.offRx = wrapTo(math.MaxUint64-uint64(s.rng.IntN(1<<30)), in.bits)
		in.offTx = wrapTo(s.rng.Uint64(), in.bits)
		if noIndex {
			// Without an index, a counter near its wrap that starts again
			// from zero looks like a wrap; keep them far from it.
			in.offRx, in.offTx = s.rng.Uint64N(1<<62), s.rng.Uint64N(1<<62)
		}
	}
	return s
}

func (s *sim) newMAC() string {
	s.macs++
	return fmt.Sprintf("02:00:00:00:%02x:%02x", s.macs>>8&0xff, s.macs&0xff)
}

func (s *sim) create(name, mac string) *incarnation {
	in := &incarnation{name: name, mac: mac, index: s.nextIndex, bits: 64, alive: true}
	s.nextIndex++
	switch name {
	case "eth0":
		in.kind, in.speed = counter.KindEthernet, 1e9
	case "wlan0":
		in.kind, in.speed = counter.KindWiFi, 300e6
	case "usb0":
		in.kind, in.speed, in.bits = counter.KindEthernet, 100e6, 32 // an old driver's 32-bit counters
	case "wwan0":
		in.kind, in.speed, in.bits = counter.KindCellular, 50e6, 32
	case "veth1":
		in.kind, in.speed = counter.KindVirtual, 10e9
	default:
		in.kind, in.speed, in.mac = counter.KindTunnel, 50e6, "" // no hardware address
	}
	if s.noIndex {
		// A 32-bit counter re-created under the same name is, without an
		// index, a wrap whenever the time since the last reading allows
		// one; the indexed mode covers 32-bit counters.
		in.bits = 64
	}
	s.live[name] = in
	s.all = append(s.all, in)
	return in
}

// Read and Info make the sim a Reader.
func (s *sim) Read(dst []counter.Counter) ([]counter.Counter, error) {
	for _, n := range simNames {
		if in, ok := s.live[n]; ok {
			idx := in.index
			if s.noIndex {
				idx = 0
			}
			dst = append(dst, counter.Counter{Name: n, Index: idx,
				RxBytes: wrapTo(in.offRx+in.rx, in.bits), TxBytes: wrapTo(in.offTx+in.tx, in.bits)})
		}
	}
	return dst, nil
}

func (s *sim) Info(name string) (counter.Info, error) {
	in, ok := s.live[name]
	if !ok || (s.noIndex && s.described[name] && s.rng.IntN(10) == 0) {
		return counter.Info{}, counter.ErrNoInterface
	}
	s.described[name] = true
	return counter.Info{Name: name, MAC: in.mac, Kind: in.kind, SpeedBits: in.speed, Bits: in.bits}, nil
}

// modelStore is a store that holds exactly what the real one would: sums
// per (name, MAC), refused (like SQLite's INTEGER) beyond int64, and the
// snapshot.
type modelStore struct {
	totals  map[[2]string]usage.Totals
	byName  map[string]usage.Totals
	snap    usage.Snapshot
	hasSnap bool
	fail    bool // the next flush fails, as with a full disk
}

func newModelStore() *modelStore {
	return &modelStore{totals: map[[2]string]usage.Totals{}, byName: map[string]usage.Totals{}}
}

func (s *modelStore) Flush(_ context.Context, b usage.Batch) error {
	if s.fail {
		s.fail = false
		return errors.New("disk full")
	}
	next := map[[2]string]usage.Totals{}
	for _, d := range b.Deltas {
		k := [2]string{d.Iface, d.MAC}
		if _, ok := next[k]; !ok {
			next[k] = s.totals[k]
		}
		v := next[k].Add(d.Totals)
		if v.Rx > math.MaxInt64 || v.Tx > math.MaxInt64 || v.Rx < d.Rx || v.Tx < d.Tx {
			return fmt.Errorf("%s: byte count %d/%d out of range", d.Iface, d.Rx, d.Tx)
		}
		next[k] = v
	}
	for k, v := range next {
		n, old := s.byName[k[0]], s.totals[k]
		s.byName[k[0]] = usage.Totals{Rx: n.Rx + v.Rx - old.Rx, Tx: n.Tx + v.Tx - old.Tx}
		s.totals[k] = v
	}
	s.snap, s.hasSnap = b.Snapshot, true
	return nil
}

func (s *modelStore) Snapshot(context.Context) (usage.Snapshot, bool, error) {
	return s.snap, s.hasSnap, nil
}

func (s *sim) logf(format string, args ...any) {
	if len(s.log) == 40 {
		s.log = s.log[1:]
	}
	s.log = append(s.log, fmt.Sprintf("%d: ", s.stepNo)+fmt.Sprintf(format, args...))
}

func (s *sim) fail(seed uint64, format string, args ...any) {
	s.t.Helper()
	replay := fmt.Sprintf("-model.seed %d -model.steps %d", seed, s.stepNo+1)
	if s.noIndex {
		replay += " -model.noindex"
	}
	s.t.Fatalf("seed %d, step %d: %s\nlast steps:\n  %s\nreplay: go test ./internal/monitor -run 'TestModel$' %s",
		seed, s.stepNo, fmt.Sprintf(format, args...), strings.Join(s.log, "\n  "), replay)
}

// advance moves the clocks by d with traffic on every live interface: each
// direction carries up to what the link can in d (a burst at full speed
// now and then), and a 32-bit counter never moves by 2^31 or more between
// two readings (more would be several wraps, which nothing can tell apart).
func (s *sim) advance(d time.Duration, traffic bool) {
	s.clock.now.Wall = s.clock.now.Wall.Add(d)
	s.clock.now.Mono += d
	s.clock.now.Boot += d
	if !traffic {
		return
	}
	for _, n := range simNames {
		in, ok := s.live[n]
		if !ok {
			continue
		}
		most := uint64(float64(in.speed) / 8 * d.Seconds())
		for _, dir := range []*uint64{&in.rx, &in.tx} {
			var b uint64
			switch r := s.rng.IntN(10); {
			case r < 3: // idle
			case r < 5: // a burst at link speed
				b = most
			default:
				b = s.rng.Uint64N(most + 1)
			}
			// The last written reading is never after the one in memory,
			// and a kill takes the daemon back to it.
			read := in.flushedRx
			if dir == &in.tx {
				read = in.flushedTx
			}
			if in.bits == 32 && *dir+b-read >= 1<<31 {
				b = 0
			}
			*dir += b
			t, tn := s.truth[in.key()], s.truthByName[in.name]
			if dir == &in.rx {
				t.Rx += b
				tn.Rx += b
			} else {
				t.Tx += b
				tn.Tx += b
			}
			s.truth[in.key()] = t
			s.truthByName[in.name] = tn
		}
	}
}

// read accounts, in the model, for a reading of every live interface.
func (s *sim) read(count bool) {
	for _, in := range s.live {
		k := in.key()
		if count && (in.rx != in.readRx || in.tx != in.readTx) {
			e := s.expected[k]
			e.Rx += in.rx - in.readRx
			e.Tx += in.tx - in.readTx
			s.expected[k] = e
			n := s.expectedByName[in.name]
			s.expectedByName[in.name] = usage.Totals{Rx: n.Rx + in.rx - in.readRx, Tx: n.Tx + in.tx - in.readTx}
			s.dirty[k] = true
		}
		in.readRx, in.readTx = in.rx, in.tx
		s.dirtyInc[in] = true
		s.touched[k] = true
	}
}

// flushed records a successful write of everything read so far.
func (s *sim) flushed() {
	for in := range s.dirtyInc {
		in.flushedRx, in.flushedTx = in.readRx, in.readTx
	}
	for k := range s.dirty {
		s.flushedExpected[k] = s.expected[k]
		s.touched[k] = true
	}
	clear(s.dirtyInc)
	clear(s.dirty)
	s.flushedByName = maps.Clone(s.expectedByName) // every key is as flushed now
}

func (s *sim) start(seed uint64) {
	s.m = New(s, s.store, &s.clock, Config{PollInterval: time.Second, FlushInterval: 30 * time.Second,
		BootID: fmt.Sprintf("boot-%d", s.boot), Location: time.UTC}, nil)
	first := !s.store.hasSnap
	clear(s.described) // a new daemon knows no interface yet
	if err := s.m.Start(context.Background()); err != nil {
		s.fail(seed, "start: %v", err)
	}
	s.read(!first)
	s.running = true
	s.flush(seed) // as Run does at once
}

func (s *sim) flush(seed uint64) {
	s.touchPending()
	inject := s.rng.IntN(50) == 0
	s.store.fail = inject
	err := s.m.Flush(context.Background())
	switch {
	case inject && err == nil:
		s.fail(seed, "a flush that the disk refused succeeded")
	case inject:
		s.stats["failed flush"]++
	case err != nil:
		s.fail(seed, "flush: %v", err)
	default:
		s.flushed()
	}
}

// kill ends the daemon without a last write: what it held in memory is
// gone, and the next start goes on from the last written snapshot.
func (s *sim) kill() {
	s.touchPending()
	s.m, s.running = nil, false
	for in := range s.dirtyInc {
		in.readRx, in.readTx = in.flushedRx, in.flushedTx
	}
	for k := range s.dirty {
		if v, ok := s.flushedExpected[k]; ok {
			s.expected[k] = v
		} else {
			delete(s.expected, k)
		}
		s.touched[k] = true
	}
	clear(s.dirtyInc)
	clear(s.dirty)
	s.expectedByName = maps.Clone(s.flushedByName)
}

func (s *sim) touchPending() {
	if s.m != nil {
		for k := range s.m.pending {
			s.touched[[2]string{k.name, k.mac}] = true
		}
	}
}

// check is the invariant: stored + pending == expected for every
// (name, MAC), and never more than the truth. It looks at the interfaces
// this step touched, or (full) at all of them.
func (s *sim) check(seed uint64, full bool) {
	pending := map[[2]string]usage.Totals{}
	if s.running {
		for k, v := range s.m.pending {
			key := [2]string{k.name, k.mac}
			pending[key] = pending[key].Add(v)
			s.touched[key] = true
		}
	}
	if full {
		for k := range s.store.totals {
			s.touched[k] = true
		}
		for k := range s.expected {
			s.touched[k] = true
		}
	}
	if s.noIndex {
		byName := map[string]usage.Totals{}
		for k, v := range pending {
			byName[k[0]] = byName[k[0]].Add(v)
		}
		want := s.expectedByName
		if !s.running {
			want = s.flushedByName
		}
		for _, n := range simNames {
			got := s.store.byName[n].Add(byName[n])
			if w := want[n]; got.Rx > w.Rx || got.Tx > w.Tx {
				s.fail(seed, "no index: %s: %+v stored and pending, more than the %+v that passed between readings (truth %+v)", n, got, w, s.truthByName[n])
			}
		}
		clear(s.touched)
		return
	}
	want := s.expected
	if !s.running {
		want = s.flushedExpected
	}
	for k := range s.touched {
		got := s.store.totals[k].Add(pending[k])
		if w := want[k]; got != w {
			s.fail(seed, "%s %s: stored+pending %+v, want %+v (truth %+v)", k[0], k[1], got, w, s.truth[k])
		}
		if got.Rx > s.truth[k].Rx || got.Tx > s.truth[k].Tx {
			s.fail(seed, "%s %s: %+v counted, more than the truth %+v", k[0], k[1], got, s.truth[k])
		}
	}
	clear(s.touched)
}

func (s *sim) step(seed uint64) {
	s.stepNo++
	r := s.rng.IntN(1000)
	switch {
	case r < 550: // a second passes, then the daemon polls (if it runs)
		d := time.Second
		if s.rng.IntN(10) == 0 {
			d = time.Duration(s.rng.Int64N(int64(3 * time.Second)))
		}
		s.advance(d, true)
		if s.running {
			if err := s.m.Poll(); err != nil {
				s.fail(seed, "poll: %v", err)
			}
			s.read(true)
			s.logf("advance %s, poll", d)
		} else {
			s.logf("advance %s (daemon stopped)", d)
		}
	case r < 650: // part of a poll interval passes
		d := time.Duration(s.rng.Int64N(int64(time.Second)))
		s.advance(d, true)
		s.logf("advance %s", d)
	case r < 680:
		if s.running {
			s.flush(seed)
			s.logf("flush")
		}
	case r < 720: // re-created between two polls, same or another MAC
		n := simNames[s.rng.IntN(len(simNames))]
		old, ok := s.live[n]
		mac := s.newMAC()
		if ok && s.rng.IntN(2) == 0 {
			mac = old.mac
		}
		if ok {
			old.alive = false
			delete(s.live, n)
		}
		s.create(n, mac)
		s.stats["re-create"]++
		s.logf("re-create %s (mac %s, index %d)", n, mac, s.live[n].index)
	case r < 750:
		n := simNames[s.rng.IntN(len(simNames))]
		if in, ok := s.live[n]; ok {
			in.alive = false
			delete(s.live, n)
			s.logf("delete %s", n)
		} else {
			s.create(n, s.newMAC())
			s.logf("create %s (index %d)", n, s.live[n].index)
		}
	case r < 770: // the wall clock jumps back or forward, up to two days
		j := time.Duration(s.rng.Int64N(int64(96*time.Hour))) - 48*time.Hour
		s.clock.now.Wall = s.clock.now.Wall.Add(j)
		s.stats["clock jump"]++
		s.logf("wall clock jumps %s", j)
	case r < 780: // suspend: the boot and wall clocks run, nothing else
		d := time.Duration(s.rng.Int64N(int64(10 * time.Hour)))
		s.clock.now.Wall = s.clock.now.Wall.Add(d)
		s.clock.now.Boot += d
		s.stats["suspend"]++
		s.logf("suspend %s", d)
	case r < 795:
		if s.running {
			// SIGTERM: a last reading and a last write, as Run does.
			if err := s.m.Poll(); err != nil {
				s.fail(seed, "final poll: %v", err)
			}
			s.read(true)
			s.store.fail = false
			if err := s.m.Flush(context.Background()); err != nil {
				s.fail(seed, "final flush: %v", err)
			}
			s.flushed()
			s.m, s.running = nil, false
			s.stats["sigterm"]++
			s.logf("SIGTERM")
		}
	case r < 810:
		if s.running {
			s.kill()
			s.stats["sigkill"]++
			s.logf("SIGKILL")
		}
	case r < 814:
		// Reboot: the daemon dies with the machine (a power cut or a
		// clean shutdown), every interface is born again from zero.
		if s.running {
			if s.rng.IntN(2) == 0 {
				s.kill()
			} else {
				s.m.Poll()
				s.read(true)
				if s.m.Flush(context.Background()) == nil {
					s.flushed()
				}
				s.m, s.running = nil, false
			}
		}
		for _, in := range s.live {
			in.alive = false
		}
		s.live = map[string]*incarnation{}
		s.boot++
		s.nextIndex = 2
		s.clock.now.Boot = time.Duration(s.rng.Int64N(int64(time.Minute)))
		s.clock.now.Wall = s.clock.now.Wall.Add(time.Duration(s.rng.Int64N(int64(time.Hour))))
		for _, n := range simNames {
			if s.rng.IntN(2) == 0 {
				s.create(n, s.newMAC())
			}
		}
		s.advance(time.Duration(s.rng.Int64N(int64(30*time.Second))), true) // traffic before the daemon starts
		s.stats["reboot"]++
		s.logf("reboot")
	}
	if !s.running && s.rng.IntN(20) == 0 {
		s.start(seed)
		s.stats["start"]++
		s.logf("start")
	}
	s.check(seed, s.stepNo%1000 == 0)
}

// TestModel: after every step of a random life (interfaces with 32- and
// 64-bit counters appearing, vanishing and re-created with the same or
// another MAC within and across polls, wraps, bursts at link speed, the
// daemon terminated, killed and restarted, the wall clock jumping both
// ways, suspends, reboots, failed writes), the bytes stored and pending
// per interface equal the true bytes minus only the traffic that passed
// between the daemon's last reading and a deletion (or a kill), and every
// write that the disk does not refuse succeeds.
func TestModel(t *testing.T) {
	steps := *modelSteps
	if testing.Short() {
		steps = min(steps, 100_000)
	}
	seeds := []uint64{*modelSeed}
	if *modelSeed == 0 {
		base := uint64(time.Now().UnixNano())
		seeds = []uint64{base | 1, base<<1 | 1, base<<2 | 1, base<<3 | 1, base<<4 | 1}
	}
	total := map[string]int{}
	for i, seed := range seeds {
		// The last seed (or a replayed one with -model.noindex) runs the
		// reader without indexes, as Linux's /proc/net/dev fallback.
		noIndex := *modelNoIndex || (*modelSeed == 0 && i == len(seeds)-1)
		s := newSim(t, seed, noIndex)
		s.start(seed)
		for range steps / len(seeds) {
			s.step(seed)
		}
		s.check(seed, true)
		for k, v := range s.stats {
			total[k] += v
		}
		if t.Failed() {
			return
		}
	}
	t.Logf("%d steps over seeds %v: %v", steps, seeds, total)
	for _, k := range []string{"re-create", "sigkill", "sigterm", "reboot", "clock jump", "suspend", "failed flush"} {
		if total[k] == 0 && steps >= 100_000 {
			t.Errorf("no %q in %d steps: the model does not exercise it", k, steps)
		}
	}
}
