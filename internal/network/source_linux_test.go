//go:build linux

package network

import (
	"testing"

	"github.com/packetbuddy/pb/internal/netlab"
)

// TestSourceAtRestCostsOneEmptyRead: between changes, Attached identifies
// nothing again and allocates nothing (it runs once per poll).
func TestSourceAtRestCostsOneEmptyRead(t *testing.T) {
	lab := netlab.NewGateways(t)
	lab.Use(t, 0)
	src := NewSource(nil)
	defer src.Close()
	if err := netlab.InNS(lab.Client, func() error { src.Attached(); return nil }); err != nil {
		t.Fatal(err)
	}
	if got := src.Attached()[lab.ClientIf]; got.GatewayMAC != lab.GW[0].MAC {
		t.Fatalf("attached to %+v, want gateway 1 (%s)", got, lab.GW[0].MAC)
	}
	if src.events < 0 {
		t.Fatal("no notification socket")
	}
	if n := testing.AllocsPerRun(100, func() { src.Attached() }); n != 0 {
		t.Errorf("Attached at rest allocates %.1f times, want 0", n)
	}
	if src.Identifications != 1 {
		t.Errorf("identified %d times without a change, want once", src.Identifications)
	}
	lab.Use(t, 1) // a route change: identified again at the next call
	if src.Attached(); src.Identifications != 2 {
		t.Errorf("after a route change: %d identifications, want 2", src.Identifications)
	}
}

// BenchmarkAttachedAtRest is the per-poll cost of per-network counting
// between changes: draining an empty notification queue.
func BenchmarkAttachedAtRest(b *testing.B) {
	lab := netlab.NewGateways(b)
	lab.Use(b, 0)
	src := NewSource(nil)
	defer src.Close()
	if err := netlab.InNS(lab.Client, func() error { src.Attached(); return nil }); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		src.Attached()
	}
}
