package apps

import (
	"fmt"
	"testing"
	"testing/fstest"

	"github.com/packetbuddy/pb/internal/usage"
)

// BenchmarkSplit is one poll of the daemon's per-app work beyond the
// kernel read: 200 processes with traffic on two interfaces, all counters
// moving (a busy machine), names resolved once and then cached.
//
//	go test ./internal/apps/ -run '^$' -bench Split -benchmem
func BenchmarkSplit(b *testing.B) {
	const procs = 200
	proc := fstest.MapFS{}
	src := &fakeSource{comms: map[uint32]string{}}
	for p := uint32(1000); p < 1000+procs; p++ {
		proc[fmt.Sprintf("%d/comm", p)] = &fstest.MapFile{Data: fmt.Appendf(nil, "app%d\n", p%50)}
		for ifc := uint32(2); ifc <= 3; ifc++ {
			src.samples = append(src.samples, Sample{PID: p, Ifindex: ifc})
		}
	}
	s := NewSplitter(src, NewResolver(proc), nil)
	s.CheckEvery = 1 << 30 // the minute's /proc look is not per poll
	polled := []Traffic{
		{Name: "eth0", Index: 2, LinkHeader: 14},
		{Name: "wlan0", Index: 3, LinkHeader: 14},
	}
	var dst []Share
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		for j := range src.samples {
			src.samples[j].RxBytes += 1500
			src.samples[j].RxPackets++
			src.samples[j].TxBytes += 100
			src.samples[j].TxPackets++
		}
		polled[0].Totals = usage.Totals{Rx: procs * (1500 + 14), Tx: procs * (100 + 14)}
		polled[1].Totals = polled[0].Totals
		dst = s.Split(polled, dst[:0])
	}
	if len(dst) != 2*50 {
		b.Fatalf("%d shares, want 100 (50 apps on 2 interfaces)", len(dst))
	}
}
