package store_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/packetbuddy/pb/internal/golden"
	"github.com/packetbuddy/pb/internal/store"
	"github.com/packetbuddy/pb/internal/usage"
)

func date(y int, m time.Month, d int) usage.Date { return usage.Date{Year: y, Month: m, Day: d} }

// dayStore has traffic on 2024-05-02 (300), 05-04 (500), 05-05 (300) and
// 05-07 (100) in UTC, and a 1 B/s peak on 05-04.
func dayStore(t *testing.T) *store.Store {
	t.Helper()
	s, _ := mustOpen(t, newClock(utc(2024, 5, 10, 0, 0)))
	mustFlush(t, s, usage.Batch{
		Interfaces: []usage.Interface{eth0, {Name: "lo", Kind: "loopback"}},
		Deltas: []usage.Delta{
			delta(utc(2024, 5, 2, 23, 59), 200, 100),
			delta(utc(2024, 5, 4, 0, 0), 500, 0),
			delta(utc(2024, 5, 5, 10, 0), 0, 300),
			delta(utc(2024, 5, 7, 12, 0), 50, 50),
			{Iface: "lo", Bucket: utc(2024, 5, 1, 0, 0), Totals: tot(9999, 9999)}, // not counted
		},
		Peaks: []usage.Peak{
			{Bucket: utc(2024, 5, 4, 0, 0), BytesPerSec: 1},
			{Bucket: utc(2024, 5, 4, 0, 14), BytesPerSec: 3}, // same quarter: MAX-merged
			{Bucket: utc(2024, 5, 4, 0, 7), BytesPerSec: 2},
		},
	})
	return s
}

func TestDaysIncludesZeroDays(t *testing.T) {
	s := dayStore(t)
	got, err := s.Days(ctx, date(2024, 5, 1), date(2024, 5, 8), time.UTC, usage.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	want := []usage.DayTotals{
		{Date: date(2024, 5, 1)},
		{Date: date(2024, 5, 2), Totals: tot(200, 100)},
		{Date: date(2024, 5, 3)},
		{Date: date(2024, 5, 4), Totals: tot(500, 0), PeakBytesPerSec: 3},
		{Date: date(2024, 5, 5), Totals: tot(0, 300)},
		{Date: date(2024, 5, 6)},
		{Date: date(2024, 5, 7), Totals: tot(50, 50)},
		{Date: date(2024, 5, 8)},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("days (-want +got):\n%s", d)
	}
	one, err := s.Days(ctx, date(2024, 5, 4), date(2024, 5, 4), time.UTC, usage.Filter{})
	if err != nil || len(one) != 1 || one[0].Total() != 500 {
		t.Errorf("single day = %+v, %v", one, err)
	}
	if _, err := s.Days(ctx, date(2024, 5, 4), date(2024, 5, 3), time.UTC, usage.Filter{}); err == nil {
		t.Error("from after to accepted")
	}
	if _, err := s.Days(ctx, date(2024, 5, 4), date(2024, 5, 4), nil, usage.Filter{}); err == nil {
		t.Error("nil location accepted")
	}
	months, err := s.Months(ctx, date(2024, 3, 31), date(2024, 6, 1), time.UTC, usage.Filter{})
	wantMonths := []usage.MonthTotals{
		{Year: 2024, Month: time.March},
		{Year: 2024, Month: time.April},
		{Year: 2024, Month: time.May, Totals: tot(750, 450)},
		{Year: 2024, Month: time.June},
	}
	if d := cmp.Diff(wantMonths, months); err != nil || d != "" {
		t.Errorf("months (-want +got), %v:\n%s", err, d)
	}
}

func TestTopDays(t *testing.T) {
	s := dayStore(t)
	got, err := s.TopDays(ctx, 3, time.UTC, usage.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	want := []usage.DayTotals{
		{Date: date(2024, 5, 4), Totals: tot(500, 0), PeakBytesPerSec: 3},
		{Date: date(2024, 5, 2), Totals: tot(200, 100)}, // tie with 05-05: earlier first
		{Date: date(2024, 5, 5), Totals: tot(0, 300)},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("top days (-want +got):\n%s", d)
	}
	all, _ := s.TopDays(ctx, 100, time.UTC, usage.Filter{})
	if len(all) != 4 {
		t.Errorf("top 100 has %d days, want the 4 with traffic", len(all))
	}
	// In UTC+1 the 23:59 minute of 05-02 moves to 05-03.
	paris := golden.Location("Europe/Paris")
	got, _ = s.TopDays(ctx, 2, paris, usage.Filter{})
	if len(got) != 2 || got[1].Date != date(2024, 5, 3) {
		t.Errorf("top days in Paris = %+v", got)
	}
	if got, err := s.TopDays(ctx, 0, time.UTC, usage.Filter{}); err != nil || len(got) != 0 {
		t.Errorf("TopDays(0) = %+v, %v", got, err)
	}
	empty, _ := mustOpen(t, newClock(utc(2024, 5, 1, 0, 0)))
	if got, err := empty.TopDays(ctx, 3, time.UTC, usage.Filter{}); err != nil || len(got) != 0 {
		t.Errorf("TopDays on an empty store = %+v, %v", got, err)
	}
}

func TestSpan(t *testing.T) {
	s := dayStore(t)
	first, last, ok, err := s.Span(ctx, time.UTC)
	if err != nil || !ok || first != date(2024, 5, 2) || last != date(2024, 5, 7) {
		t.Errorf("span = %v %v %v %v; want 2024-05-02 2024-05-07 (the loopback day does not count)", first, last, ok, err)
	}
	tokyo := golden.Location("Asia/Tokyo")
	if first, last, _, _ := s.Span(ctx, tokyo); first != date(2024, 5, 3) || last != date(2024, 5, 7) {
		t.Errorf("span in Tokyo = %v %v", first, last)
	}
	empty, _ := mustOpen(t, newClock(utc(2024, 5, 1, 0, 0)))
	if _, _, ok, err := empty.Span(ctx, time.UTC); ok || err != nil {
		t.Errorf("empty span ok=%v err=%v", ok, err)
	}
}

func TestPeak(t *testing.T) {
	s := dayStore(t)
	bps, at, err := s.Peak(ctx, utc(2024, 5, 1, 0, 0), utc(2024, 5, 10, 0, 0))
	if err != nil || bps != 3 || !at.Equal(utc(2024, 5, 4, 0, 0)) {
		t.Errorf("peak = %d at %v, %v", bps, at, err)
	}
	bps, at, err = s.Peak(ctx, utc(2024, 5, 4, 0, 1), utc(2024, 5, 10, 0, 0)) // the quarter starts before from
	if err != nil || bps != 0 || !at.IsZero() {
		t.Errorf("peak = %d at %v, %v; want none", bps, at, err)
	}
}

func TestEvents(t *testing.T) {
	t0 := utc(2024, 5, 1, 0, 0)
	s, _ := mustOpen(t, newClock(t0.Add(time.Hour)))
	mustFlush(t, s, usage.Batch{Events: []usage.Event{
		{Time: t0.Add(2 * time.Minute), Kind: usage.EventSpike, Iface: "eth0", Totals: tot(1e12, 0), Message: "discarded"},
		{Time: t0, Kind: usage.EventFirstRun},
		{Time: t0.Add(time.Minute), Kind: usage.EventAppear, Iface: "usb0"},
		{Kind: usage.EventRestart}, // no time: the flush's clock
	}})
	mustFlush(t, s, usage.Batch{Events: []usage.Event{{Time: t0.Add(2 * time.Minute), Kind: usage.EventReset, Iface: "eth0"}}})
	got, err := s.Events(ctx, t0, t0.Add(24*time.Hour), 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []usage.Event{
		{Time: t0.Add(time.Hour), Kind: usage.EventRestart},
		{Time: t0.Add(2 * time.Minute), Kind: usage.EventReset, Iface: "eth0"}, // same second: later insert first
		{Time: t0.Add(2 * time.Minute), Kind: usage.EventSpike, Iface: "eth0", Totals: tot(1e12, 0), Message: "discarded"},
		{Time: t0.Add(time.Minute), Kind: usage.EventAppear, Iface: "usb0"},
		{Time: t0, Kind: usage.EventFirstRun},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("events (-want +got):\n%s", d)
	}
	got, _ = s.Events(ctx, t0, t0.Add(24*time.Hour), 2)
	if d := cmp.Diff(want[:2], got); d != "" {
		t.Errorf("limit 2 (-want +got):\n%s", d)
	}
	got, _ = s.Events(ctx, t0.Add(time.Minute), t0.Add(2*time.Minute), 0)
	if d := cmp.Diff(want[3:4], got); d != "" {
		t.Errorf("range [1m, 2m) (-want +got):\n%s", d)
	}
}

func TestStats(t *testing.T) {
	t0 := utc(2024, 5, 1, 0, 0)
	s, path := mustOpen(t, newClock(t0.Add(time.Hour)))
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.SchemaVersion != 9 || st.FineRows != 0 || !st.OldestCoarse.IsZero() || st.Path != path || st.SizeBytes <= 0 {
		t.Errorf("empty stats = %+v", st)
	}
	mustFlush(t, s, usage.Batch{
		Deltas: []usage.Delta{delta(t0, 1, 1), delta(t0.Add(20*time.Minute), 1, 1), delta(t0.Add(21*time.Minute), 1, 1)},
		Peaks:  []usage.Peak{{Bucket: t0, BytesPerSec: 1}},
		Events: []usage.Event{{Kind: usage.EventFirstRun}},
	})
	got, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := usage.StoreStats{
		Path: path, SizeBytes: got.SizeBytes, SchemaVersion: 9, Interfaces: 1,
		FineRows: 3, CoarseRows: 2, PeakRows: 1, EventRows: 1,
		OldestFine: t0, NewestFine: t0.Add(21 * time.Minute),
		OldestCoarse: t0, NewestCoarse: t0.Add(15 * time.Minute),
		CreatedAt: t0.Add(time.Hour),
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("stats (-want +got):\n%s", d)
	}
}

func TestSeriesErrors(t *testing.T) {
	s, _ := mustOpen(t, newClock(utc(2024, 5, 1, 0, 0)))
	t0 := utc(2024, 5, 1, 0, 0)
	for _, step := range []time.Duration{0, -time.Minute, 90 * time.Second} {
		if _, err := s.Series(ctx, t0, t0.Add(time.Hour), step, usage.Filter{}); err == nil {
			t.Errorf("step %v accepted", step)
		}
	}
	if _, err := s.Series(ctx, t0, t0.AddDate(1, 0, 0), time.Minute, usage.Filter{}); err == nil {
		t.Error("525,600 points accepted")
	}
	if got, err := s.Series(ctx, t0, t0, time.Minute, usage.Filter{}); err != nil || len(got) != 0 {
		t.Errorf("empty range = %v, %v", got, err)
	}
	got, err := s.Series(ctx, t0, t0.Add(20*time.Minute), 15*time.Minute, usage.Filter{})
	if err != nil || len(got) != 2 || !got[1].Start.Equal(t0.Add(15*time.Minute)) {
		t.Errorf("series with a short last point = %+v, %v", got, err)
	}
}

// TestTopDaysCache: the settled-day cache of a reader follows writes of
// another store on the same file (another process): recent flushes, flushes
// of old buckets, imports and policy changes.
func TestTopDaysCache(t *testing.T) {
	now := utc(2024, 5, 20, 12, 0)
	c := newClock(now)
	w, path := mustOpen(t, c)
	r := mustOpenPath(t, path, store.Options{ReadOnly: true, Now: c.Now})
	wlan := usage.Interface{Name: "wlan0", Kind: "wifi", Counted: true}
	mustFlush(t, w, usage.Batch{Interfaces: []usage.Interface{eth0, wlan}, Deltas: []usage.Delta{
		delta(utc(2024, 5, 1, 10, 0), 100, 0),
		delta(utc(2024, 5, 2, 10, 0), 90, 0),
		{Iface: "wlan0", Bucket: utc(2024, 5, 3, 10, 0), Totals: tot(95, 0)},
	}})
	top := func(want ...usage.Date) {
		t.Helper()
		got, err := r.TopDays(ctx, 2, time.UTC, usage.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		var dates []usage.Date
		for _, d := range got {
			dates = append(dates, d.Date)
		}
		if d := cmp.Diff(want, dates); d != "" {
			t.Errorf("top days (-want +got):\n%s", d)
		}
	}
	top(date(2024, 5, 1), date(2024, 5, 3))
	top(date(2024, 5, 1), date(2024, 5, 3)) // from the cache
	// Today is never cached.
	mustFlush(t, w, usage.Batch{Deltas: []usage.Delta{delta(now.Add(-time.Hour), 200, 0)}})
	top(date(2024, 5, 20), date(2024, 5, 1))
	// A flush of an old bucket (a retry after an outage).
	mustFlush(t, w, usage.Batch{Deltas: []usage.Delta{delta(utc(2024, 5, 2, 11, 0), 150, 0)}})
	top(date(2024, 5, 2), date(2024, 5, 20))
	// An import.
	if err := w.AddHistory(ctx, eth0, []usage.Delta{delta(utc(2024, 5, 4, 0, 0), 1000, 0)}); err != nil {
		t.Fatal(err)
	}
	top(date(2024, 5, 4), date(2024, 5, 2))
	// A policy change: wlan0 alone.
	if err := w.ApplyPolicy(ctx, func(name, kind string) bool { return name == "wlan0" }); err != nil {
		t.Fatal(err)
	}
	top(date(2024, 5, 3))
	// Another zone is another cache entry.
	got, _ := r.TopDays(ctx, 1, golden.Location("Pacific/Kiritimati"), usage.Filter{All: true}) // +14
	if len(got) != 1 || got[0].Date != date(2024, 5, 4) || got[0].Rx != 1095 {                  // wlan0 10:00 UTC on 05-03 is midnight of 05-04 there
		t.Errorf("top day in Kiritimati = %+v", got)
	}
}

// TestManyInterfaces: selections beyond the bit-mask fast path (ids >= 63)
// and the "every interface" case select the same rows.
func TestManyInterfaces(t *testing.T) {
	t0 := utc(2024, 5, 1, 0, 0)
	s, _ := mustOpen(t, newClock(t0.Add(time.Hour)))
	var b usage.Batch
	var counted, all usage.Totals
	for i := range 80 {
		in := usage.Interface{Name: fmt.Sprintf("veth%d", i), Kind: "virtual", Counted: i%7 == 0}
		b.Interfaces = append(b.Interfaces, in)
		v := tot(uint64(i+1), 1)
		b.Deltas = append(b.Deltas, usage.Delta{Iface: in.Name, Bucket: t0.Add(time.Duration(i) * time.Minute), Totals: v})
		all = all.Add(v)
		if in.Counted {
			counted = counted.Add(v)
		}
	}
	mustFlush(t, s, b)
	for _, tc := range []struct {
		f    usage.Filter
		want usage.Totals
	}{
		{usage.Filter{}, counted},
		{usage.Filter{All: true}, all},
		{usage.Filter{Ifaces: []string{"veth70", "veth3"}}, tot(71+4, 2)},
		{usage.Filter{Ifaces: []string{"veth3"}}, tot(4, 1)},
	} {
		for _, r := range [][2]time.Time{{t0, t0.Add(2 * time.Hour)}, {t0.Add(time.Minute), t0.Add(71 * time.Minute)}} {
			got, err := s.Totals(ctx, r[0], r[1], tc.f)
			want := tc.want
			if r[0] != t0 { // veth0 (minute 0) and veth71+ are outside
				want = usage.Totals{}
				for i := 1; i < 71; i++ {
					if in := b.Interfaces[i]; tc.f.All || (len(tc.f.Ifaces) == 0 && in.Counted) || slices.Contains(tc.f.Ifaces, in.Name) {
						want = want.Add(tot(uint64(i+1), 1))
					}
				}
			}
			if err != nil || got != want {
				t.Errorf("Totals(%v..%v, %+v) = %+v, %v; want %+v", r[0], r[1], tc.f, got, err, want)
			}
		}
		days, err := s.Days(ctx, date(2024, 5, 1), date(2024, 5, 1), time.UTC, tc.f)
		if err != nil || days[0].Totals != tc.want {
			t.Errorf("Days(%+v) = %+v, %v; want %+v", tc.f, days, err, tc.want)
		}
		life, err := s.Lifetime(ctx, tc.f)
		if err != nil || life != tc.want {
			t.Errorf("Lifetime(%+v) = %+v, %v; want %+v", tc.f, life, err, tc.want)
		}
	}
	its, err := s.Interfaces(ctx, t0, t0.Add(2*time.Hour))
	if err != nil || len(its) != 80 {
		t.Fatalf("Interfaces: %d, %v", len(its), err)
	}
	for _, it := range its {
		var i int
		fmt.Sscanf(it.Name, "veth%d", &i)
		if it.Totals != tot(uint64(i+1), 1) {
			t.Errorf("%s = %+v", it.Name, it.Totals)
		}
	}
}
