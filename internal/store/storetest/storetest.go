// Package storetest builds PacketBuddy databases full of synthetic history,
// for benchmarks and tools that need a realistic store without waiting years.
// It writes through the store package's API (AddHistory, one transaction per
// interface-year, and Flush for the peaks), so it holds no SQL and never
// depends on the schema.
package storetest

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/packetbuddy/pb/internal/store"
	"github.com/packetbuddy/pb/internal/usage"
)

// Names of the generated interfaces, in order; more than these get ethN names.
var names = []struct{ name, kind string }{
	{"eth0", "ethernet"}, {"wlan0", "wifi"}, {"wwan0", "cellular"},
}

// Iface returns the i-th generated interface (all counted).
func Iface(i int) usage.Interface {
	if i < len(names) {
		return usage.Interface{Name: names[i].name, MAC: fmt.Sprintf("02:00:00:00:00:%02x", i+1), Kind: names[i].kind, Counted: true}
	}
	return usage.Interface{Name: fmt.Sprintf("eth%d", i-len(names)+1), MAC: fmt.Sprintf("02:00:00:00:%02x:%02x", i>>8, i&0xff), Kind: "ethernet", Counted: true}
}

// Generate creates (or adds to) the database at path with years of traffic on
// ifaces interfaces, ending at end: every 15-minute bucket of every interface
// carries traffic (the worst case for size), with a daily rhythm and random
// noise from seed. The last DefaultFineRetentionDays are written minute by
// minute, so the fine tier is populated too. Peaks are written for every
// quarter. About 35,000 rows per interface-year; ten years of three
// interfaces (1.05 M coarse rows) take 4-10 s.
func Generate(ctx context.Context, path string, ifaces, years int, end time.Time, seed int64) error {
	if ifaces <= 0 || years <= 0 {
		return fmt.Errorf("storetest: generate: want at least one interface and one year, got %d and %d", ifaces, years)
	}
	end = end.UTC().Truncate(usage.CoarseBucket)
	s, err := store.Open(ctx, path, store.Options{Now: func() time.Time { return end }})
	if err != nil {
		return fmt.Errorf("storetest: generate: %w", err)
	}
	defer s.Close()
	start := end.AddDate(-years, 0, 0)
	fineFrom := end.Add(-store.DefaultFineRetentionDays * 24 * time.Hour)
	peaks := map[time.Time]uint64{}
	for i := range ifaces {
		iface := Iface(i)
		rng := rand.New(rand.NewPCG(uint64(seed), uint64(i)))
		scale := 1 + float64(i%3) // interfaces differ in volume
		for chunk := start; chunk.Before(end); chunk = chunk.AddDate(1, 0, 0) {
			chunkEnd := chunk.AddDate(1, 0, 0)
			if chunkEnd.After(end) {
				chunkEnd = end
			}
			var deltas []usage.Delta
			for b := chunk; b.Before(chunkEnd); b = b.Add(usage.CoarseBucket) {
				t := traffic(rng, b, scale)
				peaks[b] = max(peaks[b], t.Total()/900*3)
				if b.Before(fineFrom) {
					deltas = append(deltas, usage.Delta{Bucket: b, Totals: t})
					continue
				}
				per := usage.Totals{Rx: t.Rx / 15, Tx: t.Tx / 15}
				for m := range 15 {
					d := per
					if m == 14 { // keep the quarter's sum exact
						d = usage.Totals{Rx: t.Rx - 14*per.Rx, Tx: t.Tx - 14*per.Tx}
					}
					deltas = append(deltas, usage.Delta{Bucket: b.Add(time.Duration(m) * time.Minute), Totals: d})
				}
			}
			if err := s.AddHistory(ctx, iface, deltas); err != nil {
				return fmt.Errorf("storetest: generate: %w", err)
			}
		}
	}
	var batch []usage.Peak
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := s.Flush(ctx, usage.Batch{Peaks: batch})
		batch = batch[:0]
		return err
	}
	for b := start; b.Before(end); b = b.Add(usage.CoarseBucket) {
		batch = append(batch, usage.Peak{Bucket: b, BytesPerSec: peaks[b]})
		if len(batch) == 50_000 {
			if err := flush(); err != nil {
				return fmt.Errorf("storetest: generate: %w", err)
			}
		}
	}
	if err := flush(); err != nil {
		return fmt.Errorf("storetest: generate: %w", err)
	}
	return s.Close()
}

// traffic is a plausible quarter-hour: quiet at night (UTC), busy in the
// evening, from a few hundred KB to a few hundred MB.
func traffic(rng *rand.Rand, b time.Time, scale float64) usage.Totals {
	h := float64(b.Hour()) + float64(b.Minute())/60
	daily := 0.55 + 0.45*math.Sin((h-9)/24*2*math.Pi) // peaks around 15:00, lowest around 03:00
	rx := scale * daily * daily * 40e6 * rng.ExpFloat64()
	rx = max(rx, 20e3+rng.Float64()*200e3)
	tx := rx * (0.05 + rng.Float64()*0.15)
	return usage.Totals{Rx: uint64(rx), Tx: uint64(tx)}
}
