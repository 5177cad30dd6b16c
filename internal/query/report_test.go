package query

import (
	"testing"

	"github.com/packetbuddy/pb/internal/usage"
)

func TestPersonality(t *testing.T) {
	some := usage.Totals{Rx: 100, Tx: 10}
	for _, tc := range []struct {
		r    float64
		t    usage.Totals
		want string
	}{
		{0, usage.Totals{}, "Just Getting Started"},
		{0, usage.Totals{Tx: 5}, "Power User"},
		{0, some, "Streamer"}, {0.29, some, "Streamer"}, {0.3, some, "Browsing"}, {0.59, some, "Browsing"},
		{0.6, some, "Creator"}, {0.99, some, "Creator"}, {1, some, "Power User"}, {3, some, "Power User"},
	} {
		if got := Personality(tc.r, tc.t); got != tc.want {
			t.Errorf("Personality(%v, %v) = %q, want %q", tc.r, tc.t, got, tc.want)
		}
	}
}
