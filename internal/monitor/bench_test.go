package monitor

import (
	"context"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/counter"
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
