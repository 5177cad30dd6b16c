package usage

import (
	"reflect"
	"testing"
	"time"
)

func TestPolicyCounted(t *testing.T) {
	tests := []struct {
		name   string
		policy Policy
		iface  string
		kind   string
		want   bool
	}{
		{"ethernet counts", Policy{}, "eth0", "ethernet", true},
		{"wifi counts", Policy{}, "wlan0", "wifi", true},
		{"cellular counts", Policy{}, "wwan0", "cellular", true},
		{"unknown kind counts", Policy{}, "foo0", "other", true},
		{"loopback excluded", Policy{}, "lo", "loopback", false},
		{"veth excluded", Policy{}, "veth12", "virtual", false},
		{"tunnel excluded", Policy{}, "wg0", "tunnel", false},
		{"include overrides kind", Policy{Include: []string{"wg*"}}, "wg0", "tunnel", true},
		{"exclude overrides kind", Policy{Exclude: []string{"eth1"}}, "eth1", "ethernet", false},
		{"exclude wins over include", Policy{Include: []string{"eth*"}, Exclude: []string{"eth1"}}, "eth1", "ethernet", false},
		{"non-matching include keeps default", Policy{Include: []string{"wg*"}}, "docker0", "virtual", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.policy.Counted(tc.iface, tc.kind); got != tc.want {
				t.Fatalf("Counted(%q, %q) = %v, want %v", tc.iface, tc.kind, got, tc.want)
			}
		})
	}
}

func TestPolicyValidate(t *testing.T) {
	if err := (Policy{Include: []string{"eth[0-"}}).Validate(); err == nil {
		t.Fatal("bad glob accepted")
	}
	if err := (Policy{Include: []string{"eth*"}, Exclude: []string{"veth?"}}).Validate(); err != nil {
		t.Fatalf("good globs refused: %v", err)
	}
}

func TestDateStartAndArithmetic(t *testing.T) {
	kolkata, _ := time.LoadLocation("Asia/Kolkata")
	d := Date{2024, time.March, 1}
	if got, want := d.Start(kolkata).UTC(), time.Date(2024, 2, 29, 18, 30, 0, 0, time.UTC); !got.Equal(want) {
		t.Fatalf("start = %v, want %v", got, want)
	}
	if got := d.AddDays(-1); got != (Date{2024, time.February, 29}) {
		t.Fatalf("AddDays(-1) = %v", got)
	}
	if got := (Date{2024, 1, 1}).DaysUntil(Date{2025, 1, 1}); got != 366 {
		t.Fatalf("DaysUntil = %d, want 366", got)
	}
	// America/Havana skips midnight at the start of DST (00:00 -> 01:00).
	havana, _ := time.LoadLocation("America/Havana")
	hd := Date{2024, time.March, 10}
	if got := hd.Start(havana); DateOf(got) != hd || got.Hour() != 1 {
		t.Fatalf("Havana DST day starts at %v, want 01:00 that day", got)
	}
	if _, err := ParseDate("2024-02-30"); err == nil {
		t.Fatal("2024-02-30 accepted")
	}
}

func TestUnwritten(t *testing.T) {
	t0 := time.Date(2026, 3, 8, 16, 0, 0, 0, time.UTC)
	u := Unwritten{
		Deltas: []UnwrittenDelta{
			{Delta: Delta{Iface: "eth0", Bucket: t0, Totals: Totals{Rx: 100, Tx: 10}}, Counted: true},
			{Delta: Delta{Iface: "eth0", Bucket: t0.Add(time.Minute), Totals: Totals{Rx: 200, Tx: 20}}, Counted: true},
			{Delta: Delta{Iface: "docker0", Bucket: t0, Totals: Totals{Rx: 5, Tx: 5}}, Counted: false},
		},
		Peaks: []Peak{{Bucket: t0, BytesPerSec: 900}, {Bucket: t0.Add(15 * time.Minute), BytesPerSec: 700}},
	}
	tests := []struct {
		name     string
		from, to time.Time
		f        Filter
		want     Totals
	}{
		{"counted by default", t0, t0.Add(time.Hour), Filter{}, Totals{Rx: 300, Tx: 30}},
		{"all", t0, t0.Add(time.Hour), Filter{All: true}, Totals{Rx: 305, Tx: 35}},
		{"by name, counted or not", t0, t0.Add(time.Hour), Filter{Ifaces: []string{"docker0"}}, Totals{Rx: 5, Tx: 5}},
		{"to is exclusive", t0, t0.Add(time.Minute), Filter{}, Totals{Rx: 100, Tx: 10}},
		{"from is inclusive", t0.Add(time.Minute), t0.Add(time.Hour), Filter{}, Totals{Rx: 200, Tx: 20}},
		{"outside", t0.Add(-time.Hour), t0, Filter{All: true}, Totals{}},
	}
	for _, tc := range tests {
		if got := u.Pending(tc.from, tc.to, tc.f); got != tc.want {
			t.Errorf("%s: Pending = %+v, want %+v", tc.name, got, tc.want)
		}
	}
	if p := u.PendingPeak(t0, t0.Add(time.Hour)); p != 900 {
		t.Errorf("PendingPeak over both = %d, want 900", p)
	}
	if p := u.PendingPeak(t0.Add(time.Minute), t0.Add(time.Hour)); p != 700 {
		t.Errorf("PendingPeak after the first bucket = %d, want 700", p)
	}
}

func TestCoverageSeconds(t *testing.T) {
	at := func(h int) time.Time { return time.Date(2026, 3, 1, h, 0, 0, 0, time.UTC) }
	cov := Coverage{Since: at(2), Gaps: []Span{{at(8), at(10)}, {at(5), at(6)}, {at(9), at(11)}, {at(12), at(12)}}}.Normalize()
	if want := []Span{{at(5), at(6)}, {at(8), at(11)}}; !reflect.DeepEqual(cov.Gaps, want) {
		t.Fatalf("Normalize: gaps %v, want %v", cov.Gaps, want)
	}
	tests := []struct {
		from, to int
		hours    float64
	}{
		{0, 24, 18}, // from 2, less 1 and 3 hours of gaps
		{0, 2, 0},   // before the first counted instant
		{9, 10, 0},  // inside a gap
		{4, 9, 3},   // 4-5, 6-8
		{10, 14, 3}, // 11-14
		{12, 12, 0}, // empty
		{14, 12, 0}, // reversed
		{5, 6, 0},   // exactly a gap
		{1, 3, 1},   // across Since
		{20, 23, 3}, // no gap
		{0, 11, 5},  // 2-5, 6-8
	}
	for _, tt := range tests {
		if got := cov.Seconds(at(tt.from), at(tt.to)) / 3600; got != tt.hours {
			t.Errorf("Seconds(%d:00, %d:00) = %v h, want %v h", tt.from, tt.to, got, tt.hours)
		}
	}
	if got := (Coverage{}).Seconds(at(0), at(3)); got != 3*3600 {
		t.Errorf("zero Coverage counts %v s of 3 h", got)
	}
}
