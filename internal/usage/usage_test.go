package usage

import (
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
