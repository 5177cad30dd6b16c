package cli

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/golden"
	"github.com/packetbuddy/pb/internal/plan"
	"github.com/packetbuddy/pb/internal/query"
	"github.com/packetbuddy/pb/internal/trend"
	"github.com/packetbuddy/pb/internal/units"
	"github.com/packetbuddy/pb/internal/usage"
)

type memUnusual struct {
	through time.Time
	ok      bool
	events  []usage.Event
}

func (m *memUnusual) UnusualChecked(context.Context) (time.Time, bool, error) {
	return m.through, m.ok, nil
}

func (m *memUnusual) AddUnusual(_ context.Context, ev []usage.Event, through time.Time) error {
	m.events = append(m.events, ev...)
	m.through, m.ok = through, true
	return nil
}

// The watch marks where it starts, then records each unusual hour once
// after the hour has settled, a day once after midnight, nothing twice
// across a restart, and alerts only when asked to.
func TestUnusualWatch(t *testing.T) {
	loc := golden.Location("Europe/Berlin")
	at := func(d, h, m int) time.Time { return time.Date(2026, 3, d, h, m, 0, 0, loc) }
	hourA := trend.Anomaly{Kind: trend.KindHour, Start: at(10, 14, 0), End: at(10, 15, 0), Bytes: 4.2e9, Usual: 400e6}
	dayA := trend.Anomaly{Kind: trend.KindDay, Start: at(10, 0, 0), End: at(11, 0, 0), Bytes: 12e9, Usual: 3e9}
	var spans [][2]time.Time
	find := func(_ context.Context, from, to time.Time, _ trend.Options) ([]trend.Anomaly, error) {
		spans = append(spans, [2]time.Time{from, to})
		var out []trend.Anomaly
		for _, a := range []trend.Anomaly{dayA, hourA} {
			if !a.Start.Before(from) && !a.End.After(to) {
				out = append(out, a)
			}
		}
		return out, nil
	}
	st := &memUnusual{}
	var alerts []plan.Alert
	w := &unusualWatch{find: find, store: st, loc: loc, base: units.SI, log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		notify: func(a plan.Alert) { alerts = append(alerts, a) }}
	steps := []struct {
		now  time.Time
		want []string
	}{
		{at(10, 13, 30), nil}, // first start: the mark only
		{at(10, 15, 2), nil},  // 14:00-15:00 not settled yet
		{at(10, 15, 6), []string{"Tuesday 2026-03-10 14:00–15:00: 4.20 GB, 10× your usual (400.00 MB)"}},
		{at(10, 15, 30), nil}, // no new hour
		{at(10, 23, 59), nil}, // the day has not ended
		{at(11, 0, 6), []string{"Tuesday 2026-03-10: 12.00 GB, 4× your usual (3.00 GB)"}},
		{at(11, 9, 0), nil},
	}
	for i, s := range steps {
		if i == 4 { // a restart: a new watch on the same store
			w = &unusualWatch{find: find, store: st, loc: loc, base: units.SI, log: w.log, notify: w.notify}
		}
		ev, err := w.check(context.Background(), s.now)
		if err != nil {
			t.Fatalf("%v: %v", s.now, err)
		}
		var got []string
		for _, e := range ev {
			if e.Kind != usage.EventUnusual {
				t.Errorf("event kind %q", e.Kind)
			}
			got = append(got, e.Message)
		}
		if len(got) != len(s.want) || len(got) > 0 && got[0] != s.want[0] {
			t.Errorf("check at %s: %q, want %q", s.now.Format("Jan 2 15:04"), got, s.want)
		}
	}
	if len(st.events) != 2 || len(alerts) != 2 || alerts[0].Kind != plan.AlertUnusual || alerts[1].Message != st.events[1].Message {
		t.Errorf("stored %d events, sent %d alerts %+v", len(st.events), len(alerts), alerts)
	}
	if !st.through.Equal(at(11, 8, 0)) {
		t.Errorf("checked through %v, want 08:00", st.through)
	}
	// After a week away only the last two days are looked at.
	spans = nil
	if _, err := w.check(context.Background(), at(18, 12, 0)); err != nil {
		t.Fatal(err)
	}
	if len(spans) != 1 || !spans[0][0].Equal(at(16, 0, 0)) || !spans[0][1].Equal(at(18, 11, 0)) {
		t.Errorf("looked at %v, want from the 16th's midnight to 11:00 on the 18th", spans)
	}
}

// HourStart is the real start of the local hour, also in the repeated hour
// of a DST change and in a zone half an hour off UTC.
func TestHourStart(t *testing.T) {
	berlin, kolkata := golden.Location("Europe/Berlin"), golden.Location("Asia/Kolkata")
	first := time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC) // 02:30 CEST
	second := first.Add(time.Hour)                          // 02:30 CET
	for _, tt := range []struct {
		t    time.Time
		loc  *time.Location
		want time.Time
	}{
		{first, berlin, time.Date(2026, 10, 25, 0, 0, 0, 0, time.UTC)},
		{second, berlin, time.Date(2026, 10, 25, 1, 0, 0, 0, time.UTC)},
		{time.Date(2026, 3, 1, 10, 20, 5, 7, time.UTC), kolkata, time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)},
	} {
		if got := query.HourStart(tt.t, tt.loc); !got.Equal(tt.want) {
			t.Errorf("HourStart(%v, %v) = %v, want %v", tt.t, tt.loc, got, tt.want)
		}
	}
}

// TestNextUnusualCheck: the daemon wakes for the unusual-usage look once an
// hour, unusualSettle after each local hour ends, not every minute.
func TestNextUnusualCheck(t *testing.T) {
	kolkata, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Fatal(err)
	}
	utc := func(h, m, s int) time.Time { return time.Date(2026, 12, 5, h, m, s, 0, time.UTC) }
	for _, tc := range []struct {
		now  time.Time
		loc  *time.Location
		want time.Duration
	}{
		{utc(8, 0, 0), time.UTC, 5 * time.Minute},   // 07:00-08:00 settles at 08:05
		{utc(8, 4, 59), time.UTC, time.Second},      // 08:05 is one second away
		{utc(8, 5, 0), time.UTC, time.Hour},         // just judged 07:00-08:00; next at 09:05
		{utc(8, 30, 0), time.UTC, 35 * time.Minute}, // next at 09:05
		{utc(8, 30, 0), kolkata, 5 * time.Minute},   // local hours end at :30 UTC
		{utc(8, 36, 0), kolkata, 59 * time.Minute},  // next at 09:35 UTC
	} {
		if got := nextUnusualCheck(tc.now, tc.loc); got != tc.want {
			t.Errorf("nextUnusualCheck(%s, %s) = %s, want %s", tc.now.Format("15:04:05"), tc.loc, got, tc.want)
		}
	}
}
