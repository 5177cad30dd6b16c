package plan_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/plan"
	"github.com/packetbuddy/pb/internal/store"
	"github.com/packetbuddy/pb/internal/store/storetest"
)

// BenchmarkTrackerStatuses is the daemon's per-minute plan check on a
// ten-year, three-interface database: three plans (the counted total, one
// interface glob, an N-day cycle), each reading its cycle and eight weeks of
// days, as a new tracker does and as the daemon's does once settled days
// are cached. Run: go test -run '^$' -bench TrackerStatuses -benchmem ./internal/plan
func BenchmarkTrackerStatuses(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "pb.db")
	end := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	if err := storetest.Generate(ctx, path, 3, 10, end, 1); err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(ctx, path, store.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	day := 15
	specs, err := plan.Parse([]plan.RawSpec{
		{Name: "Home", Cap: "1TB", ResetDay: &day},
		{Name: "One interface", Cap: "100GB", Interfaces: []string{storetest.Iface(0).Name}},
		{Name: "Four weeks", Cap: "50GB", Cycle: "days", EveryDays: 28, Start: "2026-01-05"},
	})
	if err != nil {
		b.Fatal(err)
	}
	loc, _ := time.LoadLocation("Europe/Berlin")
	// first: a new tracker reads every day (a daemon's first check, pb plan);
	// steady: the daemon's tracker a minute later, settled days cached.
	steady := &plan.Tracker{Specs: specs, Loc: loc, Days: st}
	for _, bc := range []struct {
		name string
		tr   func() *plan.Tracker
	}{
		{"first", func() *plan.Tracker { return &plan.Tracker{Specs: specs, Loc: loc, Days: st} }},
		{"steady", func() *plan.Tracker { return steady }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.tr().Statuses(ctx, end); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
