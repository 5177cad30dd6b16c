package store_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/store/storetest"
	"github.com/packetbuddy/pb/internal/usage"
)

// TestSizePerInterfaceYear: a year of one interface with traffic in every
// quarter (35,040 coarse rows, the worst case), its rollups, peaks and a
// week of minutes stays within the budget of 2 MB.
func TestSizePerInterfaceYear(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a year")
	}
	path := filepath.Join(t.TempDir(), "pb.db")
	if err := storetest.Generate(ctx, path, 1, 1, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), 1); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("one interface-year: %d bytes", fi.Size())
	if fi.Size() > 2<<20 {
		t.Errorf("one interface-year takes %d bytes, over the 2 MiB budget", fi.Size())
	}
}

// TestSizeOfFlushedYear replays a year the way the daemon writes it (a flush
// per hour of three interfaces' minute deltas, a prune per day) and reports
// the file size. It takes a while: set PB_SLOW=1 to run it.
func TestSizeOfFlushedYear(t *testing.T) {
	if os.Getenv("PB_SLOW") == "" {
		t.Skip("set PB_SLOW=1 to replay a year of flushes")
	}
	at := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	c := newClock(at)
	s, path := mustOpen(t, c)
	var ifaces []usage.Interface
	for i := range 3 {
		ifaces = append(ifaces, storetest.Iface(i))
	}
	start := time.Now()
	for h := 0; h < 365*24; h++ {
		hour := at.Add(time.Duration(h) * time.Hour)
		b := usage.Batch{Interfaces: ifaces, Snapshot: usage.Snapshot{BootID: "b", Time: hour}}
		for _, in := range ifaces {
			for m := range 60 {
				b.Deltas = append(b.Deltas, usage.Delta{Iface: in.Name, MAC: in.MAC, Bucket: hour.Add(time.Duration(m) * time.Minute),
					Totals: usage.Totals{Rx: uint64(1000 + (h*60+m)%50000), Tx: uint64(100 + m)}})
			}
		}
		b.Peaks = []usage.Peak{{Bucket: hour, BytesPerSec: uint64(h)}, {Bucket: hour.Add(15 * time.Minute), BytesPerSec: 1},
			{Bucket: hour.Add(30 * time.Minute), BytesPerSec: 2}, {Bucket: hour.Add(45 * time.Minute), BytesPerSec: 3}}
		c.Set(hour.Add(time.Hour))
		mustFlush(t, s, b)
		if h%24 == 23 {
			if _, err := s.Prune(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.Close() // checkpoints the WAL into the file
	fi, _ := os.Stat(path)
	t.Logf("a year of hourly flushes of 3 interfaces in %v: %d bytes (%.2f MB per interface-year); %d coarse, %d fine rows",
		time.Since(start).Round(time.Second), fi.Size(), float64(fi.Size())/3/1e6, st.CoarseRows, st.FineRows)
}
