package plan_test

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/plan"
	"github.com/packetbuddy/pb/internal/store"
	"github.com/packetbuddy/pb/internal/usage"
)

// trackerFixture is a real store with a counted wired interface and an
// uncounted phone tether, so plan interface globs and the default (counted
// interfaces) can be told apart.
type trackerFixture struct {
	path string
	st   *store.Store
	loc  *time.Location
}

func newTrackerFixture(t *testing.T) *trackerFixture {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	f := &trackerFixture{path: filepath.Join(t.TempDir(), "pb.db"), loc: loc}
	f.open(t)
	return f
}

func (f *trackerFixture) open(t *testing.T) {
	t.Helper()
	st, err := store.Open(context.Background(), f.path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f.st = st
	t.Cleanup(func() { st.Close() })
}

// add records rx/tx on iface in the minute starting at at.
func (f *trackerFixture) add(t *testing.T, iface string, counted bool, at time.Time, rx, tx uint64) {
	t.Helper()
	b := usage.Batch{
		Interfaces: []usage.Interface{{Name: iface, Kind: "ethernet", Counted: counted}},
		Deltas:     []usage.Delta{{Iface: iface, Bucket: at.UTC().Truncate(time.Minute), Totals: usage.Totals{Rx: rx, Tx: tx}}},
	}
	if err := f.st.Flush(context.Background(), b); err != nil {
		t.Fatal(err)
	}
}

var quiet = slog.New(slog.DiscardHandler)

func mustParse(t *testing.T, raws ...plan.RawSpec) []plan.Spec {
	t.Helper()
	specs, err := plan.Parse(raws)
	if err != nil {
		t.Fatal(err)
	}
	return specs
}

func TestTrackerStatusesReadTheStore(t *testing.T) {
	f := newTrackerFixture(t)
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, f.loc)
	// Three days of 1 GB down + 0.5 GB up on the wired interface and 2 GB
	// down on the uncounted tether; one day before the cycle.
	for d := 0; d < 3; d++ {
		at := time.Date(2026, 3, 8+d, 9, 0, 0, 0, f.loc)
		f.add(t, "eth0", true, at, 1e9, 5e8)
		f.add(t, "usb0", false, at, 2e9, 0)
	}
	f.add(t, "eth0", true, time.Date(2026, 3, 4, 9, 0, 0, 0, f.loc), 7e9, 0) // before the cycle (reset day 5)
	day := 5
	specs := mustParse(t,
		plan.RawSpec{Name: "Home", Cap: "100GB", ResetDay: &day},
		plan.RawSpec{Name: "Phone", Cap: "10GB", ResetDay: &day, Interfaces: []string{"usb*"}, Counts: "rx"},
		plan.RawSpec{Name: "Nothing yet", Cap: "10GB", Interfaces: []string{"wwan*"}},
	)
	pending := usage.Totals{Rx: 123, Tx: 45}
	tr := &plan.Tracker{Specs: specs, Loc: f.loc, Days: f.st,
		Pending: func(from, to time.Time, fl usage.Filter) usage.Totals {
			// Pending traffic is on eth0 now; only the counted filter sees it.
			if len(fl.Ifaces) == 0 && !from.After(now) && to.After(now) {
				return pending
			}
			return usage.Totals{}
		}}
	got, err := tr.Statuses(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	want := []uint64{3*1.5e9 + 123 + 45, 3 * 2e9, 0}
	for i, st := range got {
		if !st.Active || st.Used != want[i] {
			t.Errorf("%s: active %v used %d, want %d", st.Plan, st.Active, st.Used, want[i])
		}
	}
	if d := usage.DateOf(got[0].CycleStart.In(f.loc)); d != (usage.Date{Year: 2026, Month: 3, Day: 5}) {
		t.Errorf("cycle start %s", d)
	}
}

// TestTrackerAlertsOncePerCycleAcrossRestart is the daemon's whole alert
// path on a real store: thresholds fire once, are kept in the history, and
// a restarted daemon (a new Tracker on the reopened database) fires nothing
// again until the next cycle.
func TestTrackerAlertsOncePerCycleAcrossRestart(t *testing.T) {
	f := newTrackerFixture(t)
	ctx := context.Background()
	specs := mustParse(t, plan.RawSpec{Name: "Home", Cap: "10GB", Thresholds: []int{50, 80, 100}})
	newTracker := func(notified *[]plan.Alert) *plan.Tracker {
		return &plan.Tracker{Specs: specs, Loc: f.loc, Days: f.st, State: f.st.PlanState(), History: f.st,
			Notify: func(a plan.Alert) { *notified = append(*notified, a) }, Log: quiet}
	}
	var notified []plan.Alert
	tr := newTracker(&notified)
	day := time.Date(2026, 3, 10, 12, 0, 0, 0, f.loc)
	check := func(tr *plan.Tracker, at time.Time) []plan.Alert {
		t.Helper()
		a, err := tr.Check(ctx, at)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	kinds := func(as []plan.Alert) []int {
		var out []int
		for _, a := range as {
			if a.Kind == plan.AlertThreshold {
				out = append(out, a.Threshold)
			} else {
				out = append(out, -1) // forecast
			}
		}
		return out
	}

	f.add(t, "eth0", true, day.Add(-2*time.Hour), 5e9, 0) // exactly 50%
	if got := kinds(check(tr, day)); !slices.Contains(got, 50) {
		t.Fatalf("first check fired %v, want 50", got)
	}
	if got := check(tr, day.Add(time.Minute)); len(got) != 0 {
		t.Fatalf("second check fired %v again", kinds(got))
	}

	// Restart: close the database, reopen it, a new tracker.
	f.st.Close()
	f.open(t)
	notified = nil
	tr = newTracker(&notified)
	if got := check(tr, day.Add(2*time.Minute)); len(got) != 0 {
		t.Fatalf("after restart fired %v again", kinds(got))
	}
	f.add(t, "eth0", true, day.Add(time.Hour), 3e9, 0) // 80%
	if got := kinds(check(tr, day.Add(2*time.Hour))); !slices.Equal(got, []int{80}) {
		t.Fatalf("after restart fired %v, want [80]", got)
	}
	if len(notified) != 1 {
		t.Fatalf("notified %d alerts, want 1", len(notified))
	}

	// Next cycle (April): the same usage level fires again.
	f.add(t, "eth0", true, time.Date(2026, 4, 2, 9, 0, 0, 0, f.loc), 5e9, 0)
	if got := kinds(check(tr, time.Date(2026, 4, 2, 12, 0, 0, 0, f.loc))); !slices.Contains(got, 50) {
		t.Fatalf("new cycle fired %v, want 50", got)
	}

	hist, err := f.st.PlanAlerts(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ths []int
	for _, h := range hist {
		if h.Kind == plan.AlertThreshold {
			ths = append(ths, h.Threshold)
		}
		if h.Plan != "Home" || h.Title == "" || h.At.IsZero() || h.Cap != 10e9 {
			t.Errorf("history entry %+v", h)
		}
	}
	if !slices.Equal(ths, []int{50, 80, 50}) { // newest first
		t.Errorf("history thresholds %v, want [50 80 50]", ths)
	}
}

type failingState struct{ saves int }

func (f *failingState) Load(context.Context) ([]byte, error) { return nil, nil }
func (f *failingState) Save(context.Context, []byte) error {
	f.saves++
	return errors.New("disk full")
}

// A state that cannot be saved must not lose the alert: it is neither
// delivered nor forgotten, and fires at the next check.
func TestTrackerUnsavedStateRetries(t *testing.T) {
	f := newTrackerFixture(t)
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, f.loc)
	f.add(t, "eth0", true, now.Add(-time.Hour), 9e9, 0)
	specs := mustParse(t, plan.RawSpec{Name: "Home", Cap: "10GB", Thresholds: []int{50}})
	var notified int
	fs := &failingState{}
	tr := &plan.Tracker{Specs: specs, Loc: f.loc, Days: f.st, State: fs, History: f.st, Notify: func(plan.Alert) { notified++ }, Log: quiet}
	for range 2 {
		if _, err := tr.Check(context.Background(), now); err == nil {
			t.Fatal("Check succeeded with a failing state store")
		}
	}
	if notified != 0 || fs.saves != 2 {
		t.Fatalf("notified %d, saves %d; want 0 and 2 (retried)", notified, fs.saves)
	}
	tr.State = f.st.PlanState()
	if a, err := tr.Check(context.Background(), now); err != nil || len(a) == 0 || notified != len(a) {
		t.Fatalf("after the store recovered: %v alerts, err %v, notified %d", len(a), err, notified)
	}
}

// countingReader records the ranges the tracker reads.
type countingReader struct {
	*store.Store
	reads [][2]usage.Date
}

func (c *countingReader) DayTotals(ctx context.Context, from, to usage.Date, loc *time.Location, f usage.Filter) ([]usage.DayTotals, error) {
	c.reads = append(c.reads, [2]usage.Date{from, to})
	return c.Store.DayTotals(ctx, from, to, loc, f)
}

// A long-lived tracker reads settled days once and then only the last
// days, and always answers what a fresh tracker answers, also when traffic
// lands in yesterday after midnight and as days go by.
func TestTrackerCachesSettledDays(t *testing.T) {
	f := newTrackerFixture(t)
	ctx := context.Background()
	day := 5
	specs := mustParse(t,
		plan.RawSpec{Name: "Home", Cap: "100GB", ResetDay: &day},
		plan.RawSpec{Name: "Wired", Cap: "10GB", Interfaces: []string{"eth*"}, Cycle: "days", EveryDays: 90, Start: "2025-12-01"},
		// The same interfaces as Home, reading further back: they share the cache.
		plan.RawSpec{Name: "Quarter", Cap: "300GB", Cycle: "days", EveryDays: 90, Start: "2025-12-01"},
	)
	for d := 0; d < 70; d++ { // 70 days of history on two interfaces
		at := time.Date(2026, 1, 1, 10, 0, 0, 0, f.loc).AddDate(0, 0, d)
		f.add(t, "eth0", true, at, uint64(1e6*(d+1)), 1000)
		f.add(t, "wlan0", true, at, 5e5, uint64(d))
	}
	reader := &countingReader{Store: f.st}
	long := &plan.Tracker{Specs: specs, Loc: f.loc, Days: reader}
	same := func(now time.Time) {
		t.Helper()
		got, err := long.Statuses(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		fresh := &plan.Tracker{Specs: specs, Loc: f.loc, Days: f.st}
		want, err := fresh.Statuses(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if got[i].Used != want[i].Used || got[i].Forecast != want[i].Forecast || !slices.Equal(got[i].Daily, want[i].Daily) {
				t.Fatalf("%s at %s: cached tracker used %d forecast %d, fresh %d and %d", want[i].Plan, now, got[i].Used, got[i].Forecast, want[i].Used, want[i].Forecast)
			}
		}
	}
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, f.loc)
	same(now)
	reader.reads = nil
	same(now.Add(time.Minute))
	for _, r := range reader.reads {
		if r[0].Before(usage.DateOf(now).AddDays(-2)) {
			t.Errorf("second evaluation read %s..%s again; settled days should come from the cache", r[0], r[1])
		}
	}
	// A late flush into yesterday, then midnight, then days of traffic.
	f.add(t, "eth0", true, now.Add(-24*time.Hour), 7e7, 0)
	same(now.Add(2 * time.Minute))
	for d := 1; d <= 4; d++ {
		next := now.AddDate(0, 0, d)
		f.add(t, "eth0", true, next.Add(-13*time.Hour), 3e7, 0) // just after midnight
		same(next)
	}
	// Nobody asked for ten days (an idle dashboard), traffic went on.
	for d := 5; d <= 15; d++ {
		f.add(t, "wlan0", true, now.AddDate(0, 0, d), 4e7, 0)
	}
	same(now.AddDate(0, 0, 15))
	same(now.AddDate(0, 0, 15).Add(time.Minute))
}

// TestTrackerPlanNamingApps: a plan with apps meters only those apps'
// written traffic (on its interfaces), matched by command name, path, its
// base name or package; unattributed and other apps are left out.
func TestTrackerPlanNamingApps(t *testing.T) {
	f := newTrackerFixture(t)
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, f.loc)
	steam := usage.App{Path: "/home/u/.steam/ubuntu12_32/steam", Name: "steam"}
	fox := usage.App{Path: "/app/lib/firefox/firefox", Name: "firefox", Package: "flatpak:org.mozilla.firefox"}
	curl := usage.App{Path: "/usr/bin/curl", Name: "curl"}
	addApps := func(at time.Time, iface string, counted bool, apps map[usage.App]usage.Totals) {
		b := usage.Batch{Interfaces: []usage.Interface{{Name: iface, Kind: "ethernet", Counted: counted}}}
		var sum usage.Totals
		for a, tot := range apps {
			b.Apps = append(b.Apps, usage.AppDelta{App: a, Iface: iface, Bucket: at.UTC().Truncate(usage.CoarseBucket), Totals: tot})
			sum = sum.Add(tot)
		}
		b.Deltas = []usage.Delta{{Iface: iface, Bucket: at.UTC().Truncate(time.Minute), Totals: sum}}
		if err := f.st.Flush(context.Background(), b); err != nil {
			t.Fatal(err)
		}
	}
	for d := 0; d < 3; d++ {
		at := time.Date(2026, 3, 8+d, 9, 0, 0, 0, f.loc)
		addApps(at, "eth0", true, map[usage.App]usage.Totals{
			steam: {Rx: 20e9, Tx: 1e8}, fox: {Rx: 1e9, Tx: 1e7}, curl: {Rx: 5e6}, usage.Unattributed: {Rx: 3e6, Tx: 1e6},
		})
		addApps(at, "usb0", false, map[usage.App]usage.Totals{steam: {Rx: 7e9}})
	}
	// Before the cycle (reset day 5): not in it.
	addApps(time.Date(2026, 3, 4, 9, 0, 0, 0, f.loc), "eth0", true, map[usage.App]usage.Totals{steam: {Rx: 50e9}})
	day := 5
	specs := mustParse(t,
		plan.RawSpec{Name: "Steam", Cap: "100GB", ResetDay: &day, Apps: []string{"steam"}},
		plan.RawSpec{Name: "Browsers and tools", Cap: "10GB", ResetDay: &day, Apps: []string{"flatpak:org.mozilla.firefox", "/usr/bin/curl"}},
		plan.RawSpec{Name: "Steam on the tether", Cap: "100GB", ResetDay: &day, Apps: []string{"ubuntu12_32/steam", "steam"}, Interfaces: []string{"usb*"}},
		plan.RawSpec{Name: "Nobody", Cap: "1GB", ResetDay: &day, Apps: []string{"unattributed", "nothing"}},
	)
	tr := &plan.Tracker{Specs: specs, Loc: f.loc, Days: f.st}
	got, err := tr.Statuses(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	want := []uint64{3 * (20e9 + 1e8), 3 * (1e9 + 1e7 + 5e6), 3 * 7e9, 0}
	for i, st := range got {
		if !st.Active || st.Used != want[i] {
			t.Errorf("%s: active %v used %d, want %d", st.Plan, st.Active, st.Used, want[i])
		}
	}
	if _, err := plan.Parse([]plan.RawSpec{{Name: "Empty app", Apps: []string{" "}}}); err == nil {
		t.Error("an empty app name was accepted")
	}
}
