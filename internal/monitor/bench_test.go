package monitor

import (
	"context"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/counter"
	"github.com/packetbuddy/pb/internal/usage"
)

// BenchmarkPoll measures one poll of the real counter reader: read every
// interface (with its index), read the boot clock, account the deltas,
// update live rates. It runs once a second
// in the daemon, so its CPU time is the daemon's idle cost.
func BenchmarkPoll(b *testing.B) {
	r, err := counter.NewReader()
	if err != nil {
		b.Skip(err)
	}
	clock := &fakeClock{now: Instant{Wall: time.Now(), Mono: time.Hour, Boot: time.Hour}}
	m := New(r, newFakeStore(), clock, Config{BootID: "b"}, nil)
	if err := m.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		clock.now.Wall = clock.now.Wall.Add(time.Second)
		clock.now.Mono += time.Second
		_ = sinceBoot() // the cost of the real clock's system call
		clock.now.Boot += time.Second
		if err := m.Poll(); err != nil {
			b.Fatal(err)
		}
	}
}

// steadyReader serves fixed interfaces whose counters grow by step at
// every Read, without allocating (unlike fakeReader, which sorts names).
type steadyReader struct {
	cs   []counter.Counter
	step uint64
}

func (r *steadyReader) Read(dst []counter.Counter) ([]counter.Counter, error) {
	for i := range r.cs {
		r.cs[i].RxBytes += r.step
		r.cs[i].TxBytes += r.step / 2
	}
	return append(dst, r.cs...), nil
}

func (r *steadyReader) Info(name string) (counter.Info, error) {
	return counter.Info{Name: name, Kind: counter.KindEthernet}, nil
}

// TestPollAllocatesNothing: a poll at rest, and one with traffic into a
// bucket already pending, allocates nothing once the monitor is warm (the
// once-a-minute details refresh aside), so the daemon makes no garbage
// between flushes.
func TestPollAllocatesNothing(t *testing.T) {
	for _, c := range []struct {
		step uint64
		nets NetworkSource
	}{{0, nil}, {1500, nil}, {0, fixedNetworks{}}, {1500, fixedNetworks{}}} {
		step := c.step
		r := &steadyReader{step: step, cs: []counter.Counter{
			{Name: "eth0", Index: 2}, {Name: "wlan0", Index: 3}, {Name: "lo", Index: 1},
		}}
		start := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
		clock := &fakeClock{now: Instant{Wall: start, Mono: time.Hour, Boot: time.Hour}}
		m := New(r, newFakeStore(), clock, Config{BootID: "b", Networks: c.nets}, nil)
		if err := m.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		poll := func() {
			clock.now.Wall = clock.now.Wall.Add(time.Second)
			clock.now.Mono += time.Second
			clock.now.Boot += time.Second
			if err := m.Poll(); err != nil {
				t.Fatal(err)
			}
		}
		poll() // the first poll creates the pending bucket and the live list
		// 41 polls (one to warm up) stay inside the minute: no new bucket,
		// no details refresh.
		if n := testing.AllocsPerRun(40, poll); n != 0 {
			t.Errorf("step %d, networks %v: a poll allocates %.1f times, want 0", step, c.nets != nil, n)
		}
		if got := m.Live().Interfaces; len(got) != 3 || got[0].Name != "eth0" || got[1].Name != "lo" || got[2].Name != "wlan0" {
			t.Errorf("step %d: live interfaces %+v, want eth0, lo, wlan0", step, got)
		}
		if step > 0 {
			if got := m.Live().Total.RxPerSec; got != 3*step {
				t.Errorf("live rx %d B/s, want %d", got, 3*step)
			}
		}
	}
}

// fixedNetworks attaches eth0 to one network, as a source does between
// changes.
type fixedNetworks struct{}

var fixedAttachments = map[string]usage.Attachment{"eth0": {Gateway: "192.168.1.1", GatewayMAC: "02:00:00:00:00:01", SSIDStatus: usage.SSIDNotAvailable}}

func (fixedNetworks) Attached() map[string]usage.Attachment { return fixedAttachments }
