package store_test

import (
	"context"
	"errors"
	"math"
	"regexp"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/packetbuddy/pb/internal/golden"
	"github.com/packetbuddy/pb/internal/store"
	"github.com/packetbuddy/pb/internal/usage"
)

func TestFlushAddsOverlappingBuckets(t *testing.T) {
	c := newClock(utc(2024, 5, 1, 12, 0))
	s, _ := mustOpen(t, c)
	t0 := utc(2024, 5, 1, 11, 0)
	// Two flushes that both touch minutes 11:14 and 11:15 and the quarters
	// 11:00 and 11:15; the second also repeats a delta in the same minute.
	mustFlush(t, s, usage.Batch{
		Interfaces: []usage.Interface{eth0},
		Deltas: []usage.Delta{
			delta(t0.Add(14*time.Minute), 100, 10),
			delta(t0.Add(15*time.Minute), 200, 20),
		},
	})
	mustFlush(t, s, usage.Batch{
		Interfaces: []usage.Interface{eth0},
		Deltas: []usage.Delta{
			delta(t0.Add(14*time.Minute+30*time.Second), 1, 1), // same minute, not truncated by the caller
			delta(t0.Add(15*time.Minute), 2, 2),
			delta(t0.Add(15*time.Minute), 3, 3),
			delta(t0.Add(16*time.Minute), 0, 0), // nothing: not even a row
		},
	})

	fine, err := s.Series(ctx, t0.Add(14*time.Minute), t0.Add(17*time.Minute), time.Minute, usage.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Point{
		{Start: t0.Add(14 * time.Minute), Totals: tot(101, 11)},
		{Start: t0.Add(15 * time.Minute), Totals: tot(205, 25)},
		{Start: t0.Add(16 * time.Minute)},
	}
	if d := cmp.Diff(want, fine); d != "" {
		t.Errorf("fine series (-want +got):\n%s", d)
	}
	coarse, err := s.Series(ctx, t0, t0.Add(30*time.Minute), 15*time.Minute, usage.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	want = []store.Point{{Start: t0, Totals: tot(101, 11)}, {Start: t0.Add(15 * time.Minute), Totals: tot(205, 25)}}
	if d := cmp.Diff(want, coarse); d != "" {
		t.Errorf("coarse series (-want +got):\n%s", d)
	}
	life, err := s.Lifetime(ctx, usage.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if life != tot(306, 36) {
		t.Errorf("lifetime = %+v, want {306 36}", life)
	}
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.FineRows != 2 || st.CoarseRows != 2 || st.Interfaces != 1 {
		t.Errorf("stats rows = fine %d coarse %d ifaces %d, want 2 2 1", st.FineRows, st.CoarseRows, st.Interfaces)
	}
}

func TestFailedFlushWritesNothing(t *testing.T) {
	t0 := utc(2024, 5, 1, 11, 0)
	good := usage.Batch{
		Interfaces: []usage.Interface{eth0},
		Deltas:     []usage.Delta{delta(t0, 100, 10)},
		Peaks:      []usage.Peak{{Bucket: t0, BytesPerSec: 5}},
		Events:     []usage.Event{{Time: t0, Kind: usage.EventFirstRun}},
		Snapshot:   usage.Snapshot{BootID: "b1", Time: t0, Counters: []usage.CounterState{{Iface: "eth0", Rx: 1, Tx: 2}}},
	}

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name  string
		flush func(*store.Store) error
	}{
		{"cancelled context", func(s *store.Store) error { return s.Flush(cancelled, good) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := mustOpen(t, newClock(t0.Add(time.Hour)))
			if err := tc.flush(s); err == nil {
				t.Fatal("flush succeeded")
			}
			assertEmpty(t, s)
			// The caller retries the same batch; it lands exactly once.
			mustFlush(t, s, good)
			got, err := s.Totals(ctx, t0, t0.Add(time.Hour), usage.Filter{})
			if err != nil || got != tot(100, 10) {
				t.Fatalf("after retry: totals = %+v, %v; want {100 10}", got, err)
			}
		})
	}

	t.Run("closed store", func(t *testing.T) {
		s, path := mustOpen(t, newClock(t0.Add(time.Hour)))
		s.Close()
		if err := s.Flush(ctx, good); err == nil {
			t.Fatal("flush on a closed store succeeded")
		}
		assertEmpty(t, mustOpenPath(t, path, store.Options{}))
	})
}

func assertEmpty(t *testing.T, s *store.Store) {
	t.Helper()
	all := usage.Filter{All: true}
	if got, err := s.Totals(ctx, time.Unix(0, 0), utc(2100, 1, 1, 0, 0), all); err != nil || got != (usage.Totals{}) {
		t.Errorf("totals = %+v, %v; want zero", got, err)
	}
	if got, err := s.Lifetime(ctx, all); err != nil || got != (usage.Totals{}) {
		t.Errorf("lifetime = %+v, %v; want zero", got, err)
	}
	if got, err := s.InterfaceLifetimes(ctx); err != nil || len(got) != 0 {
		t.Errorf("interfaces = %+v, %v; want none", got, err)
	}
	if _, ok, err := s.Snapshot(ctx); err != nil || ok {
		t.Errorf("snapshot present = %v, %v; want none", ok, err)
	}
	if got, err := s.Events(ctx, time.Unix(0, 0), utc(2100, 1, 1, 0, 0), 0); err != nil || len(got) != 0 {
		t.Errorf("events = %+v, %v; want none", got, err)
	}
	if bps, _, err := s.Peak(ctx, time.Unix(0, 0), utc(2100, 1, 1, 0, 0)); err != nil || bps != 0 {
		t.Errorf("peak = %d, %v; want 0", bps, err)
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	s, path := mustOpen(t, newClock(utc(2024, 5, 1, 12, 0)))
	if _, ok, err := s.Snapshot(ctx); err != nil || ok {
		t.Fatalf("first run: ok=%v err=%v, want no snapshot", ok, err)
	}
	berlin := golden.Location("Europe/Berlin")
	want := usage.Snapshot{
		BootID: "2f1c7a1e-0000-4000-8000-000000000001",
		Time:   time.Date(2024, 5, 1, 13, 59, 58, 123456789, berlin),
		Counters: []usage.CounterState{
			{Iface: "eth0", MAC: "02:00:00:00:00:01", Rx: math.MaxUint64, Tx: 7},
			{Iface: "wg0", Rx: 1, Tx: 0},
		},
	}
	mustFlush(t, s, usage.Batch{Snapshot: want})
	// A batch without a snapshot keeps the saved one.
	mustFlush(t, s, usage.Batch{Events: []usage.Event{{Kind: usage.EventGap}}})
	s.Close()

	s = mustOpenPath(t, path, store.Options{ReadOnly: true})
	got, ok, err := s.Snapshot(ctx)
	if err != nil || !ok {
		t.Fatalf("snapshot: ok=%v err=%v", ok, err)
	}
	if d := cmp.Diff(want, got); d != "" { // time.Time compares with Equal
		t.Errorf("snapshot (-want +got):\n%s", d)
	}
}

func TestDeviceID(t *testing.T) {
	c := newClock(utc(2024, 5, 1, 12, 0))
	s, path := mustOpen(t, c)
	ro := mustOpenPath(t, path, store.Options{ReadOnly: true})
	if _, err := ro.DeviceID(ctx); !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("read-only DeviceID before creation: err = %v, want ErrReadOnly", err)
	}
	id, err := s.DeviceID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(id) {
		t.Errorf("device id %q is not a UUID v4", id)
	}
	if again, _ := s.DeviceID(ctx); again != id {
		t.Errorf("second DeviceID = %q, want %q", again, id)
	}
	if got, err := ro.DeviceID(ctx); err != nil || got != id {
		t.Errorf("read-only DeviceID = %q, %v; want %q", got, err, id)
	}
	s.Close()
	s = mustOpenPath(t, path, store.Options{})
	if got, _ := s.DeviceID(ctx); got != id {
		t.Errorf("after reopen DeviceID = %q, want %q", got, id)
	}
	if err := s.SetDeviceID(ctx, "old-device-42"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.DeviceID(ctx); got != "old-device-42" {
		t.Errorf("after SetDeviceID = %q", got)
	}
	for _, bad := range []string{"", "has space", "new\nline", string(make([]byte, 129))} {
		if err := s.SetDeviceID(ctx, bad); err == nil {
			t.Errorf("SetDeviceID(%q) accepted", bad)
		}
	}
	if err := ro.SetDeviceID(ctx, "x"); !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("read-only SetDeviceID: err = %v, want ErrReadOnly", err)
	}
}

func TestInterfaceIdentity(t *testing.T) {
	t0 := utc(2024, 5, 1, 11, 0)
	type flush struct {
		name, mac string
		rx        uint64
	}
	type row struct {
		Name, MAC string
		Rx        uint64
	}
	tests := []struct {
		name    string
		flushes []flush
		want    []row
	}{
		{"same name and mac is one row",
			[]flush{{"usb0", "aa", 1}, {"usb0", "aa", 2}},
			[]row{{"usb0", "aa", 3}}},
		{"same name new mac is a new row (another phone on usb0)",
			[]flush{{"usb0", "aa", 1}, {"usb0", "bb", 2}},
			[]row{{"usb0", "aa", 1}, {"usb0", "bb", 2}}},
		{"no mac matches by name",
			[]flush{{"wg0", "", 1}, {"wg0", "", 2}},
			[]row{{"wg0", "", 3}}},
		{"incoming without mac matches the stored one",
			[]flush{{"eth0", "aa", 1}, {"eth0", "", 2}},
			[]row{{"eth0", "aa", 3}}},
		{"stored without mac learns the mac",
			[]flush{{"eth0", "", 1}, {"eth0", "aa", 2}},
			[]row{{"eth0", "aa", 3}}},
		{"no mac matches the most recently seen of the name",
			[]flush{{"usb0", "aa", 1}, {"usb0", "bb", 2}, {"usb0", "", 4}},
			[]row{{"usb0", "aa", 1}, {"usb0", "bb", 6}}},
		{"different names never match",
			[]flush{{"eth0", "", 1}, {"eth1", "", 2}},
			[]row{{"eth0", "", 1}, {"eth1", "", 2}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newClock(t0)
			s, _ := mustOpen(t, c)
			for i, f := range tc.flushes {
				c.Set(t0.Add(time.Duration(i+1) * time.Minute))
				in := usage.Interface{Name: f.name, MAC: f.mac, Kind: "ethernet", Counted: true}
				mustFlush(t, s, usage.Batch{
					Interfaces: []usage.Interface{in},
					Deltas:     []usage.Delta{{Iface: f.name, MAC: f.mac, Bucket: t0, Totals: tot(f.rx, 0)}},
				})
			}
			its, err := s.InterfaceLifetimes(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var got []row
			for _, it := range its {
				got = append(got, row{it.Name, it.MAC, it.Rx})
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("interfaces (-want +got):\n%s", d)
			}
		})
	}
}

func TestInterfaceFields(t *testing.T) {
	t0 := utc(2024, 5, 1, 11, 0)
	c := newClock(t0)
	s, _ := mustOpen(t, c)
	wg := usage.Interface{Name: "wg0", Kind: "tunnel", Counted: false}
	mustFlush(t, s, usage.Batch{Interfaces: []usage.Interface{eth0, wg}, Deltas: []usage.Delta{
		delta(t0.Add(-10*time.Minute), 5, 5),
		{Iface: "wg0", Bucket: t0, Totals: tot(1, 1)},
		{Iface: "usb0", MAC: "cc", Bucket: t0, Totals: tot(2, 2)}, // unknown: created, counted
	}})
	c.Set(t0.Add(time.Hour))
	mustFlush(t, s, usage.Batch{Interfaces: []usage.Interface{{Name: "eth0", MAC: eth0.MAC, Counted: true}}}) // empty kind keeps the stored one
	got, err := s.Interfaces(ctx, t0.Add(-time.Hour), t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := []usage.InterfaceTotals{
		{Interface: eth0, Totals: tot(5, 5), FirstSeen: t0.Add(-10 * time.Minute), LastSeen: t0.Add(time.Hour)},
		{Interface: usage.Interface{Name: "usb0", MAC: "cc", Counted: true}, Totals: tot(2, 2), FirstSeen: t0, LastSeen: t0},
		{Interface: wg, Totals: tot(1, 1), FirstSeen: t0, LastSeen: t0},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("interfaces (-want +got):\n%s", d)
	}
	// Zero traffic in the range: still listed.
	got, err = s.Interfaces(ctx, t0.Add(24*time.Hour), t0.Add(48*time.Hour))
	if err != nil || len(got) != 3 || got[0].Total() != 0 {
		t.Errorf("interfaces of an idle day = %+v, %v; want 3 zero rows", got, err)
	}
	// Filters.
	for _, tc := range []struct {
		f    usage.Filter
		want usage.Totals
	}{
		{usage.Filter{}, tot(7, 7)},
		{usage.Filter{All: true}, tot(8, 8)},
		{usage.Filter{Ifaces: []string{"wg0"}}, tot(1, 1)},
		{usage.Filter{Ifaces: []string{"wg0", "eth0"}}, tot(6, 6)},
		{usage.Filter{Ifaces: []string{"nope"}}, tot(0, 0)},
	} {
		got, err := s.Totals(ctx, t0.Add(-time.Hour), t0.Add(time.Hour), tc.f)
		if err != nil || got != tc.want {
			t.Errorf("Totals(%+v) = %+v, %v; want %+v", tc.f, got, err, tc.want)
		}
		life, err := s.Lifetime(ctx, tc.f)
		if err != nil || life != tc.want {
			t.Errorf("Lifetime(%+v) = %+v, %v; want %+v", tc.f, life, err, tc.want)
		}
	}
}

func TestApplyPolicy(t *testing.T) {
	t0 := utc(2024, 5, 1, 11, 0)
	s, _ := mustOpen(t, newClock(t0))
	ifaces := []usage.Interface{
		eth0,
		{Name: "wlan0", Kind: "wifi", Counted: true},
		{Name: "wg0", Kind: "tunnel", Counted: false},
		{Name: "docker0", Kind: "virtual", Counted: false},
	}
	b := usage.Batch{Interfaces: ifaces}
	for i, in := range ifaces {
		b.Deltas = append(b.Deltas, usage.Delta{Iface: in.Name, MAC: in.MAC, Bucket: t0, Totals: tot(1<<i, 0)})
	}
	mustFlush(t, s, b)
	check := func(want uint64) {
		t.Helper()
		got, err := s.Totals(ctx, t0, t0.Add(time.Hour), usage.Filter{})
		if err != nil || got.Rx != want {
			t.Errorf("counted total = %d, %v; want %d", got.Rx, err, want)
		}
	}
	check(1 + 2)
	// Count tunnels too, but not eth0.
	policy := usage.Policy{Include: []string{"wg*"}, Exclude: []string{"eth0"}}
	if err := s.ApplyPolicy(ctx, policy.Counted); err != nil {
		t.Fatal(err)
	}
	check(2 + 4)
	its, _ := s.InterfaceLifetimes(ctx)
	counted := map[string]bool{}
	for _, it := range its {
		counted[it.Name] = it.Counted
	}
	if d := cmp.Diff(map[string]bool{"eth0": false, "wlan0": true, "wg0": true, "docker0": false}, counted); d != "" {
		t.Errorf("counted (-want +got):\n%s", d)
	}
	if err := s.ApplyPolicy(ctx, nil); err == nil {
		t.Error("ApplyPolicy(nil) accepted")
	}
}

// TestLifetimeSurvivesPrune: lifetime and the all-time total stay the sum of
// everything flushed after the fine tier is pruned.
func TestLifetimeSurvivesPrune(t *testing.T) {
	start := utc(2024, 3, 1, 0, 0)
	c := newClock(start)
	s, _ := mustOpen(t, c)
	var sum usage.Totals
	end := start.Add(30 * 24 * time.Hour)
	final := end.Add(2 * 24 * time.Hour)
	for day := start; day.Before(end); day = day.Add(24 * time.Hour) {
		var b usage.Batch
		b.Interfaces = []usage.Interface{eth0}
		for m := 0; m < 24*60; m += 7 { // every 7th minute: buckets of every quarter
			at := day.Add(time.Duration(m) * time.Minute)
			d := delta(at, uint64(m+1), uint64(m%5))
			b.Deltas = append(b.Deltas, d)
			sum = sum.Add(d.Totals)
		}
		c.Set(day.Add(24 * time.Hour))
		mustFlush(t, s, b)
	}
	c.Set(final)
	n, err := s.Prune(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := s.Stats(ctx)
	if n == 0 || st.FineRows == 0 || st.OldestFine.Before(final.Add(-7*24*time.Hour)) {
		t.Errorf("prune deleted %d, left %d fine rows from %v; want old ones gone, recent kept", n, st.FineRows, st.OldestFine)
	}
	if !st.FineHorizon.Equal(final.Add(-7 * 24 * time.Hour)) {
		t.Errorf("fine horizon = %v", st.FineHorizon)
	}
	if n2, err := s.Prune(ctx); err != nil || n2 != 0 {
		t.Errorf("second prune = %d, %v; want 0", n2, err)
	}
	life, err := s.Lifetime(ctx, usage.Filter{})
	if err != nil || life != sum {
		t.Errorf("lifetime = %+v, %v; want %+v", life, err, sum)
	}
	all, err := s.Totals(ctx, time.Unix(0, 0), final, usage.Filter{})
	if err != nil || all != sum {
		t.Errorf("totals of everything = %+v, %v; want %+v", all, err, sum)
	}
	// Unaligned ranges: where the fine tier was pruned a quarter counts by
	// its start; where it is complete the count is exact to the minute.
	old := start.Add(5*24*time.Hour + 3*time.Minute) // inside the quarter at 00:00
	got, _ := s.Totals(ctx, old, old.Add(24*time.Hour), usage.Filter{})
	want := sumDeltas(start, end, func(at time.Time) bool {
		q := at.Truncate(15 * time.Minute)
		return !q.Before(old) && q.Before(old.Add(24*time.Hour))
	})
	if got != want {
		t.Errorf("pruned unaligned day = %+v, want %+v (whole quarters by start)", got, want)
	}
	rec := end.Add(-24*time.Hour + 3*time.Minute)
	got, _ = s.Totals(ctx, rec, rec.Add(12*time.Hour+4*time.Minute), usage.Filter{})
	want = sumDeltas(start, end, func(at time.Time) bool { return !at.Before(rec) && at.Before(rec.Add(12*time.Hour+4*time.Minute)) })
	if got != want {
		t.Errorf("recent unaligned range = %+v, want %+v (exact to the minute)", got, want)
	}
}

// sumDeltas replays TestLifetimeSurvivesPrune's traffic and sums the deltas
// keep selects.
func sumDeltas(start, end time.Time, keep func(time.Time) bool) usage.Totals {
	var t usage.Totals
	for day := start; day.Before(end); day = day.Add(24 * time.Hour) {
		for m := 0; m < 24*60; m += 7 {
			if at := day.Add(time.Duration(m) * time.Minute); keep(at) {
				t = t.Add(tot(uint64(m+1), uint64(m%5)))
			}
		}
	}
	return t
}

func TestPruneEvents(t *testing.T) {
	now := utc(2025, 6, 1, 0, 0)
	c := newClock(now)
	s, _ := mustOpen(t, c)
	var b usage.Batch
	for i := range 10_050 {
		b.Events = append(b.Events, usage.Event{Time: now.Add(-time.Duration(10_050-i) * time.Minute), Kind: usage.EventGap, Message: "x"})
	}
	b.Events = append(b.Events, usage.Event{Time: now.AddDate(-2, 0, 0), Kind: usage.EventReboot}) // old, newest id
	mustFlush(t, s, b)
	n, err := s.Prune(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := s.Stats(ctx)
	if st.EventRows != 10_000 || n != 51 {
		t.Errorf("after prune %d events left (%d deleted), want 10000 (51 deleted)", st.EventRows, n)
	}
	evs, err := s.Events(ctx, time.Unix(0, 0), now, 0)
	if err != nil || len(evs) != 10_000 || !evs[len(evs)-1].Time.Equal(now.Add(-10_000*time.Minute)) {
		t.Errorf("kept events: %d, oldest %v, %v", len(evs), evs[len(evs)-1].Time, err)
	}
}

func TestAddHistory(t *testing.T) {
	now := utc(2024, 5, 10, 12, 0)
	s, _ := mustOpen(t, newClock(now))
	old := utc(2023, 1, 1, 10, 7)
	recentAt := now.Add(-time.Hour + 7*time.Minute)
	in := usage.Interface{Name: "eth0", Kind: "ethernet", Counted: true}
	err := s.AddHistory(ctx, in, []usage.Delta{
		{Bucket: old, Totals: tot(10, 1)},
		{Bucket: old.Add(time.Minute), Totals: tot(20, 2)},
		{Bucket: recentAt, Totals: tot(30, 3)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Lifetime(ctx, usage.Filter{}); got != tot(60, 6) {
		t.Errorf("lifetime = %+v", got)
	}
	// Old history is coarse only: a partial quarter there counts by start.
	if got, _ := s.Totals(ctx, old.Add(-7*time.Minute), old.Add(-7*time.Minute+15*time.Minute), usage.Filter{}); got != tot(30, 3) {
		t.Errorf("old quarter = %+v, want {30 3}", got)
	}
	if got, _ := s.Totals(ctx, old, old.Add(5*time.Minute), usage.Filter{}); got != (usage.Totals{}) {
		t.Errorf("old partial quarter = %+v, want zero (starts before from)", got)
	}
	// Recent history is in the fine tier too, but the horizon stays where
	// the coarse-only import is, so a range there after it is exact.
	if got, _ := s.Totals(ctx, recentAt, recentAt.Add(time.Minute), usage.Filter{}); got != tot(30, 3) {
		t.Errorf("recent minute = %+v, want {30 3}", got)
	}
	its, _ := s.Interfaces(ctx, old, now)
	if len(its) != 1 || !its[0].FirstSeen.Equal(old) || !its[0].LastSeen.Equal(recentAt) {
		t.Errorf("interface = %+v", its)
	}
	if err := s.AddHistory(ctx, usage.Interface{}, nil); err == nil {
		t.Error("AddHistory without a name accepted")
	}
}

// TestOverflowRefused: within one batch too, the delta that would pass
// int64 is dropped (with an event) and the rest is written.
func TestOverflowRefused(t *testing.T) {
	s, _ := mustOpen(t, newClock(utc(2024, 5, 1, 12, 0)))
	mustFlush(t, s, usage.Batch{Deltas: []usage.Delta{
		delta(utc(2024, 5, 1, 11, 0), math.MaxInt64, 0),
		delta(utc(2024, 5, 1, 11, 1), 1, 0),
		delta(utc(2024, 5, 1, 11, 2), math.MaxUint64, 0),
	}})
	if life, err := s.Lifetime(ctx, usage.Filter{All: true}); err != nil || life != tot(math.MaxInt64, 0) {
		t.Fatalf("lifetime %+v, %v; want {MaxInt64 0}", life, err)
	}
	events, err := s.Events(ctx, utc(2024, 5, 1, 0, 0), utc(2024, 5, 2, 0, 0), 10)
	if err != nil || len(events) != 2 || events[0].Kind != usage.EventSpike || events[1].Kind != usage.EventSpike {
		t.Fatalf("events %+v, %v; want two discarded deltas", events, err)
	}
}

// TestFlushDropsWhatCannotBeStored: a delta whose sum does not fit SQLite's
// INTEGER is dropped with an event; the rest of the batch, and every later
// flush, is written.
func TestFlushDropsWhatCannotBeStored(t *testing.T) {
	c := newClock(utc(2024, 5, 1, 12, 0))
	s, _ := mustOpen(t, c)
	t0 := utc(2024, 5, 1, 11, 0)
	mustFlush(t, s, usage.Batch{Interfaces: []usage.Interface{eth0}, Deltas: []usage.Delta{delta(t0, math.MaxInt64-10, 1)}})
	mustFlush(t, s, usage.Batch{Interfaces: []usage.Interface{eth0}, Deltas: []usage.Delta{
		delta(t0.Add(time.Minute), 11, 0), // would pass MaxInt64 in the lifetime and the rollups
		delta(t0.Add(2*time.Minute), 7, 3),
	}})
	mustFlush(t, s, usage.Batch{Interfaces: []usage.Interface{eth0}, Deltas: []usage.Delta{delta(t0.Add(3*time.Minute), 2, 2)}})
	life, err := s.Lifetime(ctx, usage.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if want := tot(math.MaxInt64-1, 6); life != want {
		t.Fatalf("lifetime %+v, want %+v", life, want)
	}
	events, err := s.Events(ctx, t0.Add(-time.Hour), t0.Add(time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []usage.Event{{Time: t0.Add(time.Minute), Kind: usage.EventSpike, Iface: "eth0", Totals: tot(11, 0),
		Message: "discarded 11/0 bytes: byte count 11/0 out of range"}}
	if d := cmp.Diff(want, events); d != "" {
		t.Errorf("events (-want +got):\n%s", d)
	}
}
