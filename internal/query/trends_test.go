package query

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/store"
	"github.com/packetbuddy/pb/internal/trend"
	"github.com/packetbuddy/pb/internal/usage"
)

// Unusual reads real hours from the store: on the day clocks go back the
// repeated hour is two samples, not one of twice the size, so a steady
// history raises nothing even with sensitive settings, and one injected
// hour is found alone. Written in batches of 1,000 like the daemon's
// flushes, ten weeks of history.
func TestEngineUnusualAcrossDST(t *testing.T) {
	ctx := context.Background()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	end := time.Date(2026, 11, 2, 0, 0, 0, 0, berlin)
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "pb.db"), store.Options{Now: func() time.Time { return end }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	eth0 := usage.Interface{Name: "eth0", Kind: "ethernet", Counted: true}
	start := end.AddDate(0, 0, -70)
	spike := time.Date(2026, 10, 28, 20, 0, 0, 0, berlin)
	var deltas []usage.Delta
	for b := start; b.Before(end); b = b.Add(15 * time.Minute) {
		n := uint64(25e6) // 100 MB an hour
		if !b.Before(spike) && b.Before(spike.Add(time.Hour)) {
			n += 62_500_000 // 250 MB more in the hour
		}
		deltas = append(deltas, usage.Delta{Iface: eth0.Name, Bucket: b, Totals: usage.Totals{Rx: n / 4 * 3, Tx: n - n/4*3}})
	}
	events := []usage.Event{{Time: start, Kind: usage.EventFirstRun}}
	for i := 0; i < len(deltas); i += 1000 {
		b := usage.Batch{Interfaces: []usage.Interface{eth0}, Deltas: deltas[i:min(i+1000, len(deltas))], Events: events}
		events = nil
		if err := st.Flush(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	e := New(Deps{Store: st, Location: berlin})
	sensitive := trend.Options{Weeks: 8, MinSamples: 4, Ratio: 1.6, K: 4, MinHour: 1e6, MinDay: 10e6}
	got, err := e.Unusual(ctx, time.Date(2026, 10, 19, 0, 0, 0, 0, berlin), end, sensitive)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Kind != trend.KindHour || !got[0].Start.Equal(spike) || got[0].Bytes != 350e6 || got[0].Usual != 100e6 {
		for _, a := range got {
			t.Logf("%s %v %d (usual %d)", a.Kind, a.Start, a.Bytes, a.Usual)
		}
		t.Fatalf("%d anomalies, want the one hour at %v of 350 MB (usual 100 MB)", len(got), spike)
	}
}
