package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/packetbuddy/pb/internal/usage"
)

// Period totals count in their month, year and lifetime, and in no day,
// hour, top day or range of days.
func TestPeriods(t *testing.T) {
	ctx := context.Background()
	s := dayStore(t) // May 2024: 1,200 counted bytes over four days
	daysBefore, err := s.Days(ctx, date(2024, 1, 1), date(2024, 5, 31), time.UTC, usage.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	topBefore, err := s.TopDays(ctx, 10, time.UTC, usage.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	lifeBefore, _ := s.Lifetime(ctx, usage.Filter{})

	imp := usage.Interface{Name: "old", Kind: "imported", Counted: true}
	april := usage.Period{Kind: usage.PeriodMonth, Start: utc(2024, 4, 1, 0, 0), End: utc(2024, 5, 1, 0, 0), Totals: tot(7000, 3000)}
	may := usage.Period{Kind: usage.PeriodMonth, Start: utc(2024, 5, 1, 0, 0), End: utc(2024, 6, 1, 0, 0), Totals: tot(40, 60)}
	y2023 := usage.Period{Kind: usage.PeriodYear, Start: utc(2023, 1, 1, 0, 0), End: utc(2024, 1, 1, 0, 0), Totals: tot(1e6, 0)}
	if err := s.AddPeriods(ctx, imp, []usage.Period{april, may, y2023}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddPeriods(ctx, imp, []usage.Period{{Kind: "week", Start: utc(2024, 4, 1, 0, 0), End: utc(2024, 4, 8, 0, 0), Totals: tot(1, 1)}}); err == nil {
		t.Error("a week period was accepted")
	}

	months, err := s.Months(ctx, date(2024, 3, 1), date(2024, 5, 31), time.UTC, usage.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	// March: nothing; April: its total alone; May: its days (1,200) and
	// its total. The 2023 year is in no month.
	for i, want := range []uint64{0, 10_000, 1_200 + 100} {
		if months[i].Total() != want {
			t.Errorf("month %d-%02d: %d bytes, want %d", months[i].Year, months[i].Month, months[i].Total(), want)
		}
	}
	life, _ := s.Lifetime(ctx, usage.Filter{})
	if life.Total() != lifeBefore.Total()+10_000+100+1_000_000 {
		t.Errorf("lifetime %d, want %d + the periods' 1,010,100", life.Total(), lifeBefore.Total())
	}
	got, err := s.Periods(ctx, utc(2020, 1, 1, 0, 0), utc(2030, 1, 1, 0, 0), usage.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]usage.Period{y2023, april, may}, got); diff != "" {
		t.Errorf("periods (-want +got):\n%s", diff)
	}
	// Only periods lying entirely inside the range: May is not in April..May 15.
	if got, _ := s.Periods(ctx, utc(2024, 4, 1, 0, 0), utc(2024, 5, 15, 0, 0), usage.Filter{}); len(got) != 1 || got[0] != april {
		t.Errorf("periods in April..May 15: %v", got)
	}

	daysAfter, _ := s.Days(ctx, date(2024, 1, 1), date(2024, 5, 31), time.UTC, usage.Filter{})
	if diff := cmp.Diff(daysBefore, daysAfter); diff != "" {
		t.Errorf("days changed by period totals (-before +after):\n%s", diff)
	}
	topAfter, _ := s.TopDays(ctx, 10, time.UTC, usage.Filter{})
	if diff := cmp.Diff(topBefore, topAfter); diff != "" {
		t.Errorf("top days changed by period totals (-before +after):\n%s", diff)
	}
	if tt, _ := s.Totals(ctx, utc(2023, 1, 1, 0, 0), utc(2024, 5, 1, 0, 0), usage.Filter{}); tt.Total() != 0 {
		t.Errorf("a range of buckets holds %d bytes of period totals", tt.Total())
	}
	hours, _ := s.Hours(ctx, date(2024, 4, 1), time.UTC, usage.Filter{})
	for _, h := range hours {
		if h.Total() != 0 {
			t.Errorf("hour %s holds %d bytes", h.Start, h.Total())
		}
	}
	// The filter applies: another interface has none.
	if got, _ := s.Periods(ctx, utc(2020, 1, 1, 0, 0), utc(2030, 1, 1, 0, 0), usage.Filter{Ifaces: []string{"eth0"}}); len(got) != 0 {
		t.Errorf("eth0 has periods: %v", got)
	}
}
