package query

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/usage"
)

// TestFirstScreen: on 120 days of history (more than one write batch) plus
// pending traffic, each part of the first screen equals what its own
// method answers, and the month is the current one.
func TestFirstScreen(t *testing.T) {
	h := newHistory(t)
	ctx := context.Background()
	e := New(Deps{Store: h.st, Pending: pending(), Location: nyc})
	live := []LiveRate{{Name: "eth0", Kind: "ethernet", Counted: true, RxPerSec: 1000, TxPerSec: 10}}
	fs, err := e.FirstScreen(ctx, now, live)
	if err != nil {
		t.Fatal(err)
	}
	today, _ := e.Today(ctx, now)
	month, _ := e.Month(ctx, now, usage.Date{Year: 2026, Month: time.March, Day: 1})
	life, _ := e.Lifetime(ctx, now)
	ifs, _ := e.Interfaces(ctx, now, live)
	for _, c := range []struct {
		name      string
		got, want any
	}{{"today", fs.Today, today}, {"month", fs.Month, month}, {"lifetime", fs.Lifetime, life}, {"interfaces", fs.Interfaces, ifs}} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: %+v, want %+v", c.name, c.got, c.want)
		}
	}
	dayStart, dayEnd := usage.DateOf(now).Start(nyc), usage.DateOf(now).AddDays(1).Start(nyc)
	if want := h.sum(dayStart, dayEnd, usage.Filter{}).Add(usage.Totals{Rx: 1_000_003, Tx: 7}); fs.Today.Totals != want || want.Total() == 0 {
		t.Errorf("today %+v, want %+v", fs.Today.Totals, want)
	}
	if len(fs.Month.Days) != 8 || fs.Month.First != (usage.Date{Year: 2026, Month: time.March, Day: 1}) {
		t.Errorf("month from %v with %d days, want March 1-8", fs.Month.First, len(fs.Month.Days))
	}
	if len(fs.Interfaces.List) != 3 {
		t.Errorf("%d interfaces", len(fs.Interfaces.List))
	}
}
