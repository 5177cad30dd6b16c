package units

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestFormatBytes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n    uint64
		want string
	}{
		{0, "0 B"},
		{1, "1 B"},
		{532, "532 B"},
		{999, "999 B"},
		{1000, "1.00 KB"},
		{1005, "1.01 KB"}, // half rounds up
		{1004, "1.00 KB"},
		{2_620_000, "2.62 MB"},
		{999_994, "999.99 KB"},
		{999_995, "1.00 MB"}, // the fix: never "1000.00 KB"
		{999_999, "1.00 MB"},
		{1_000_000, "1.00 MB"},
		{999_995_000, "1.00 GB"},
		{999_994_999, "999.99 MB"},
		{1_500_000_000_000, "1.50 TB"},
		{999_995_000_000_000, "1.00 PB"},
		{999_995_000_000_000_000, "1.00 EB"},
		{math.MaxUint64, "18.45 EB"},
	}
	for _, tc := range tests {
		if got := FormatBytes(tc.n); got != tc.want {
			t.Errorf("FormatBytes(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

func TestFormatBytesBaseIEC(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n    uint64
		want string
	}{
		{0, "0 B"},
		{999, "999 B"},
		{1000, "1000 B"}, // under one KiB: still whole bytes
		{1023, "1023 B"},
		{1024, "1.00 KiB"},
		{1536, "1.50 KiB"},
		{1024*1024 - 6, "1023.99 KiB"},
		{1024*1024 - 3, "1.00 MiB"}, // 1023.997 KiB rounds to 1024.00: promote
		{3 << 30, "3.00 GiB"},
		{math.MaxUint64, "16.00 EiB"},
	}
	for _, tc := range tests {
		if got := FormatBytesBase(tc.n, IEC); got != tc.want {
			t.Errorf("FormatBytesBase(%d, IEC) = %q, want %q", tc.n, got, tc.want)
		}
	}
	if got := FormatBytesBase(999_995, SI); got != "1.00 MB" {
		t.Errorf("FormatBytesBase(999995, SI) = %q, want %q", got, "1.00 MB")
	}
	if got := FormatBytesBase(2000, Base(7)); got != "2.00 KB" {
		t.Errorf("an unknown Base must fall back to SI: got %q", got)
	}
}

func TestFormatSpeed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n    uint64
		b    Base
		want string
	}{
		{0, SI, "0 B/s"},
		{12_400_000, SI, "12.40 MB/s"},
		{999_995, SI, "1.00 MB/s"},
		{12_400_000, IEC, "11.83 MiB/s"},
	}
	for _, tc := range tests {
		if got := FormatSpeedBase(tc.n, tc.b); got != tc.want {
			t.Errorf("FormatSpeedBase(%d, %v) = %q, want %q", tc.n, tc.b, got, tc.want)
		}
		if tc.b == SI {
			if got := FormatSpeed(tc.n); got != tc.want {
				t.Errorf("FormatSpeed(%d) = %q, want %q", tc.n, got, tc.want)
			}
		}
	}
}

func TestGB(t *testing.T) {
	t.Parallel()
	if got := GB(1_500_000_000, SI); got != 1.5 {
		t.Errorf("GB(1.5e9, SI) = %v, want 1.5", got)
	}
	if got := GB(3<<29, IEC); got != 1.5 {
		t.Errorf("GB(1.5 GiB, IEC) = %v, want 1.5", got)
	}
	if got := GB(0, SI); got != 0 {
		t.Errorf("GB(0) = %v", got)
	}
}

func TestParseBase(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Base{"si": SI, "SI": SI, "decimal": SI, "iec": IEC, " IEC ": IEC, "binary": IEC} {
		got, err := ParseBase(in)
		if err != nil || got != want {
			t.Errorf("ParseBase(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	_, err := ParseBase("metric")
	if err == nil || err.Error() != `unknown unit base "metric": use "si" (1 KB = 1000 B) or "iec" (1 KiB = 1024 B)` {
		t.Errorf("ParseBase(metric) error = %v", err)
	}
	if SI.String() != "si" || IEC.String() != "iec" {
		t.Errorf("String: %s %s", SI, IEC)
	}
}

func TestParseBytes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want uint64
	}{
		{"0", 0},
		{"1024", 1024},
		{"50GB", 50_000_000_000},
		{"1.5TiB", 1_649_267_441_664},
		{"500 MB", 500_000_000},
		{"2kb", 2000},
		{"2KiB", 2048},
		{"  7 b ", 7},
		{"3 bytes", 3},
		{"1.1TB", 1_100_000_000_000}, // exact, not 1099999999999
		{".5 KB", 500},
		{"1. KB", 1000},
		{"1.0", 1},
		{"0.0000001 KB", 0}, // rounds to the nearest byte
		{"0.0005 KB", 1},
		{"+5MB", 5_000_000},
		{"18446744073709551615", math.MaxUint64},
		{"18.446744073709551615 EB", math.MaxUint64},
		{"1PiB", 1 << 50},
		{"1eb", 1e18},
	}
	for _, tc := range tests {
		got, err := ParseBytes(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

func TestParseBytesErrors(t *testing.T) {
	t.Parallel()
	const ex = `; write a number with an optional unit, e.g. "50GB", "1.5TiB", "500 MB" or "1024"`
	tests := []struct {
		in, want string
	}{
		{"", `invalid size: empty value` + ex},
		{"   ", `invalid size: empty value` + ex},
		{"-5GB", `invalid size "-5GB": a size cannot be negative` + ex},
		{"5XB", `invalid size "5XB": unknown unit "XB" (use B, KB, MB, GB, TB, PB, EB or KiB, MiB, GiB, TiB, PiB, EiB)` + ex},
		{"5k", `invalid size "5k": unknown unit "k" (use B, KB, MB, GB, TB, PB, EB or KiB, MiB, GiB, TiB, PiB, EiB)` + ex},
		{"GB", `invalid size "GB": no number before the unit` + ex},
		{"abc", `invalid size "abc": no number before the unit` + ex},
		{".", `invalid size ".": not a number` + ex},
		{"1.2.3GB", `invalid size "1.2.3GB": "1.2.3" is not a number` + ex},
		{"1,024", `invalid size "1,024": not a number (write the digits without separators or spaces)` + ex},
		{"1 000", `invalid size "1 000": not a number (write the digits without separators or spaces)` + ex},
		{"1.5", `invalid size "1.5": a number of bytes must be whole (did you mean "1.5 KB"?)` + ex},
		{"16EiB", `invalid size "16EiB": too large; the largest size is 18446744073709551615 bytes (about 18.45 EB)`},
		{"18446744073709551616", `invalid size "18446744073709551616": too large; the largest size is 18446744073709551615 bytes (about 18.45 EB)`},
		{"99999999999999999999999999 TB", `invalid size "99999999999999999999999999 TB": too large; the largest size is 18446744073709551615 bytes (about 18.45 EB)`},
	}
	for _, tc := range tests {
		_, err := ParseBytes(tc.in)
		if err == nil {
			t.Errorf("ParseBytes(%q): no error, want %q", tc.in, tc.want)
			continue
		}
		if err.Error() != tc.want {
			t.Errorf("ParseBytes(%q) error\n got: %s\nwant: %s", tc.in, err, tc.want)
		}
		if !errors.Is(err, ErrSize) {
			t.Errorf("ParseBytes(%q) error does not wrap ErrSize", tc.in)
		}
	}
}

// roundTripOK reports whether parsing the formatted n gave back n within the
// formatter's rounding (half a hundredth of the unit it printed).
func roundTripOK(t *testing.T, n uint64, b Base) {
	t.Helper()
	s := FormatBytesBase(n, b)
	got, err := ParseBytes(s)
	unit := uint64(1)
	if fields := strings.Fields(s); len(fields) == 2 {
		unit = unitMultipliers[strings.ToLower(fields[1])]
	}
	slack := unit / 200 // half of 0.01 unit
	if err != nil {
		// Only the top of the range can format to a value that does not fit
		// back: "18.45 EB" is above MaxUint64.
		if !errors.Is(err, ErrSize) || n < math.MaxUint64-slack {
			t.Fatalf("ParseBytes(FormatBytesBase(%d, %v) = %q): %v", n, b, s, err)
		}
		return
	}
	diff := got - n
	if n > got {
		diff = n - got
	}
	if diff > slack {
		t.Fatalf("ParseBytes(%q) = %d, formatted from %d: off by %d, more than %d", s, got, n, diff, slack)
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	for _, n := range []uint64{0, 1, 999, 1000, 1023, 1024, 999_995, 1 << 40, math.MaxUint64 / 3, math.MaxUint64 - 1, math.MaxUint64} {
		roundTripOK(t, n, SI)
		roundTripOK(t, n, IEC)
	}
}

func FuzzParseBytes(f *testing.F) {
	for _, s := range []string{"50GB", "1.5TiB", "500 MB", "1024", "2kb", "", "-1", "1.2.3", "18446744073709551616", "0.0005 KB", ".", "+"} {
		f.Add(s, uint64(0))
	}
	f.Add("", uint64(999_995))
	f.Add("", uint64(math.MaxUint64))
	f.Fuzz(func(t *testing.T, s string, n uint64) {
		if v, err := ParseBytes(s); err == nil {
			// Whatever parses formats back to something that parses.
			roundTripOK(t, v, SI)
		} else if !errors.Is(err, ErrSize) {
			t.Fatalf("ParseBytes(%q) error does not wrap ErrSize: %v", s, err)
		}
		roundTripOK(t, n, SI)
		roundTripOK(t, n, IEC)
	})
}
