package api

import "testing"

func TestParseProcStat(t *testing.T) {
	tests := []struct {
		name string
		line string
		want procStats
		ok   bool
	}{
		{"plain", "4242 (pb) S 1 4242 4242 0 -1 4194560 1500 0 0 0 250 130 0 0 20 0 7 0 123456 1262166016 5000 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0",
			procStats{ok: true, cpuSeconds: 3.8, startSeconds: 1_700_000_000 + 1234.56, virtualB: 1262166016, residentB: 5000 * 4096}, true},
		{"a name with spaces and parentheses", "7 (pb (serve) x) R 1 7 7 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 100 4096 2 0 0",
			procStats{ok: true, cpuSeconds: 0.03, startSeconds: 1_700_000_001, virtualB: 4096, residentB: 2 * 4096}, true},
		{"cut short", "7 (pb) R 1 7 7 0", procStats{}, false},
		{"no name", "garbage", procStats{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parseProcStat([]byte(tc.line), 4096, 1_700_000_000)
			if ok != tc.ok || got != tc.want {
				t.Errorf("got %+v %v, want %+v %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}
