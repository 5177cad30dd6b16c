//go:build linux

package monitor_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/counter"
	"github.com/packetbuddy/pb/internal/monitor"
	"github.com/packetbuddy/pb/internal/netlab"
	"github.com/packetbuddy/pb/internal/store"
	"github.com/packetbuddy/pb/internal/usage"
)

// runMonitor runs the real monitor (real counter reader, real store) until
// stop is called, which waits for the final flush.
func runMonitor(t *testing.T, st *store.Store) (m *monitor.Monitor, stop func()) {
	t.Helper()
	reader, err := counter.NewReader()
	if err != nil {
		t.Fatal(err)
	}
	boot, err := monitor.BootID()
	if err != nil {
		t.Fatal(err)
	}
	m = monitor.New(reader, st, monitor.SystemClock(), monitor.Config{
		PollInterval:  50 * time.Millisecond,
		FlushInterval: 300 * time.Millisecond,
		BootID:        boot,
	}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- m.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for m.Status().Polls == 0 {
		if time.Now().After(deadline) {
			t.Fatal("monitor took no reading in 5 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return m, func() {
		cancel()
		if err := <-errc; err != nil {
			t.Fatalf("monitor run: %v", err)
		}
	}
}

func storedTotals(t *testing.T, st *store.Store, iface string) usage.Totals {
	t.Helper()
	all, err := st.InterfaceLifetimes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var sum usage.Totals
	for _, it := range all {
		if it.Name == iface {
			sum = sum.Add(it.Totals)
		}
	}
	return sum
}

// TestVethAccountingIsExact pushes known traffic over a veth pair into a
// namespace and checks that the bytes the store holds for the host end are
// exactly the kernel counters' deltas over the monitor's lifetime.
func TestVethAccountingIsExact(t *testing.T) {
	lab := netlab.New(t)
	lab.WaitQuiet(t)
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "pb.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	rx0, tx0 := lab.Counters(t)
	_, stop := runMonitor(t, st)
	for i := range 5 {
		lab.Transfer(t, 2<<20+i*100_003, 1<<20+i*7_919)
		time.Sleep(120 * time.Millisecond) // let several polls and a flush happen mid-stream
	}
	lab.WaitQuiet(t)
	stop()
	rx1, tx1 := lab.Counters(t)

	want := usage.Totals{Rx: rx1 - rx0, Tx: tx1 - tx0}
	if got := storedTotals(t, st, lab.HostIf); got != want {
		t.Fatalf("stored %+v for %s, kernel counters moved %+v", got, lab.HostIf, want)
	}
	if want.Tx < 10<<20 {
		t.Fatalf("only %d bytes sent: the traffic did not flow", want.Tx)
	}
	// The veth is plumbing: recorded, but not in the user's total.
	day := time.Now().Add(-24 * time.Hour)
	total, err := st.Totals(context.Background(), day, day.Add(48*time.Hour), usage.Filter{Ifaces: []string{lab.HostIf}})
	if err != nil {
		t.Fatal(err)
	}
	if total != want {
		t.Fatalf("Totals over today for %s = %+v, want %+v", lab.HostIf, total, want)
	}
}

// TestHotPluggedVethIsCountedFromCreation creates the pair while the monitor
// runs: everything the interface ever carried must be recorded.
func TestHotPluggedVethIsCountedFromCreation(t *testing.T) {
	netlab.Require(t)
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "pb.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, stop := runMonitor(t, st)
	lab := netlab.New(t)
	lab.Transfer(t, 3<<20, 512<<10)
	lab.WaitQuiet(t)
	stop()
	rx, tx := lab.Counters(t)
	if got, want := storedTotals(t, st, lab.HostIf), (usage.Totals{Rx: rx, Tx: tx}); got != want {
		t.Fatalf("stored %+v for hot-plugged %s, kernel counters say %+v", got, lab.HostIf, want)
	}
}
