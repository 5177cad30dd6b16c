package counter

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const procHeader = "Inter-|   Receive                                                |  Transmit\n" +
	" face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n"

func TestParseProcNetDev(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Counter
		wantErr string // substring of the error; "" for none
	}{
		{
			name: "empty",
			in:   "",
		},
		{
			name: "headers only",
			in:   procHeader,
		},
		{
			name: "one interface",
			in:   procHeader + "  eth0: 153242067    6646    0    0    0     0          0         0   434510    4771    0    0    0     0       0          0\n",
			want: []Counter{{Name: "eth0", RxBytes: 153242067, TxBytes: 434510}},
		},
		{
			name: "no trailing newline",
			in:   procHeader + "    lo:   46021     575    0    0    0     0          0         0    46021     575    0    0    0     0       0          0",
			want: []Counter{{Name: "lo", RxBytes: 46021, TxBytes: 46021}},
		},
		{
			name: "old kernel: name glued to the first counter",
			in:   procHeader + "  eth0:4294967296 3000000    0    0    0     0          0         0 17179869184 4000000   0    0    0     0       0          0\n",
			want: []Counter{{Name: "eth0", RxBytes: 4294967296, TxBytes: 17179869184}},
		},
		{
			name: "15-character name, no leading space",
			in:   procHeader + "veth0123456789a:  20480     160    0    0    0     0          0         0    40960     320    0    0    0     0       0          0\n",
			want: []Counter{{Name: "veth0123456789a", RxBytes: 20480, TxBytes: 40960}},
		},
		{
			name: "max uint64",
			in:   procHeader + "lo: 18446744073709551615 0 0 0 0 0 0 0 18446744073709551615 0 0 0 0 0 0 0\n",
			want: []Counter{{Name: "lo", RxBytes: 1<<64 - 1, TxBytes: 1<<64 - 1}},
		},
		{
			name: "exactly nine fields",
			in:   "x: 1 2 3 4 5 6 7 8 9\n",
			want: []Counter{{Name: "x", RxBytes: 1, TxBytes: 9}},
		},
		{
			name: "extra columns from a future kernel",
			in:   "x: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18\n",
			want: []Counter{{Name: "x", RxBytes: 1, TxBytes: 9}},
		},
		{
			name: "tabs and CRLF",
			in:   "\tx:\t1\t2 3 4 5 6 7 8\t9 0 0 0 0 0 0 0\r\n",
			want: []Counter{{Name: "x", RxBytes: 1, TxBytes: 9}},
		},
		{
			name: "blank lines",
			in:   "\n\nx: 1 2 3 4 5 6 7 8 9\n\n",
			want: []Counter{{Name: "x", RxBytes: 1, TxBytes: 9}},
		},
		{
			name:    "too few fields",
			in:      procHeader + "  eth0: 1 2 3 4 5 6 7 8\n",
			wantErr: `line 3 "  eth0: 1 2 3 4 5 6 7 8": 8 fields, want at least 9`,
		},
		{
			name:    "not a number",
			in:      procHeader + "  eth0: 1 2 3 4 5 6 7 8 x9 0 0 0 0 0 0 0\n",
			wantErr: `line 3 "  eth0: 1 2 3 4 5 6 7 8 x9 0 0 0 0 0 0 0": field 9 "x9" is not a counter`,
		},
		{
			name:    "negative",
			in:      "eth0: -1 2 3 4 5 6 7 8 9\n",
			wantErr: `field 1 "-1" is not a counter`,
		},
		{
			name:    "overflow",
			in:      "eth0: 18446744073709551616 2 3 4 5 6 7 8 9\n",
			wantErr: `field 1 "18446744073709551616" is not a counter`,
		},
		{
			name:    "no colon",
			in:      procHeader + "garbage\n",
			wantErr: `line 3 "garbage": no ':' after the interface name`,
		},
		{
			name:    "empty name",
			in:      "   : 1 2 3 4 5 6 7 8 9\n",
			wantErr: "line 1",
		},
		{
			name:    "space in name",
			in:      "et h0: 1 2 3 4 5 6 7 8 9\n",
			wantErr: "space in the interface name",
		},
		{
			name:    "long line is shortened in the error",
			in:      "x: " + strings.Repeat("y", 500) + "\n",
			wantErr: `line 1 "x: yyy`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prev := []Counter{{Name: "kept", RxBytes: 1, TxBytes: 2}}
			got, err := ParseProcNetDev([]byte(tc.in), prev)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
				}
				if diff := cmp.Diff(prev, got); diff != "" {
					t.Errorf("on error, dst changed (-want +got):\n%s", diff)
				}
				if len(err.Error()) > 250 {
					t.Errorf("error is %d bytes long", len(err.Error()))
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if diff := cmp.Diff(append(prev, tc.want...), got); diff != "" {
				t.Errorf("counters (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseProcNetDevFixture(t *testing.T) {
	data := readFixture(t, "proc/net/dev")
	got, err := ParseProcNetDev(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []Counter{
		{Name: "lo", RxBytes: 46021, TxBytes: 46021},
		{Name: "eth0", RxBytes: 153242067, TxBytes: 4345106},
		{Name: "wlan0", RxBytes: 9876543210, TxBytes: 1234567890},
		{Name: "docker0", RxBytes: 0, TxBytes: 2048},
		{Name: "veth1a2b3c4", RxBytes: 20480, TxBytes: 40960},
		{Name: "wg0", RxBytes: 524288, TxBytes: 262144},
		{Name: "eth1", RxBytes: 4294967296, TxBytes: 17179869184}, // the old-kernel glued line
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("counters (-want +got):\n%s", diff)
	}
}

// TestParseProcNetDevReuse checks that a steady-state poll, which passes the
// previous result back as dst[:0], allocates nothing and reuses the names.
func TestParseProcNetDevReuse(t *testing.T) {
	data := readFixture(t, "proc/net/dev")
	dst, err := ParseProcNetDev(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	first := dst[0].Name
	allocs := testing.AllocsPerRun(100, func() {
		dst, err = ParseProcNetDev(data, dst[:0])
	})
	if err != nil {
		t.Fatal(err)
	}
	if allocs != 0 {
		t.Errorf("steady-state parse: %v allocations, want 0", allocs)
	}
	if dst[0].Name != first {
		t.Errorf("first name = %q, want %q", dst[0].Name, first)
	}

	// A changed interface list still parses right: names are reused only
	// where they match.
	changed := []byte(strings.Replace(string(data), "docker0:", "docker1:", 1))
	dst, err = ParseProcNetDev(changed, dst[:0])
	if err != nil {
		t.Fatal(err)
	}
	if dst[3].Name != "docker1" {
		t.Errorf("dst[3].Name = %q, want docker1", dst[3].Name)
	}
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func BenchmarkParseProcNetDev(b *testing.B) {
	data := readFixture(b, "proc/net/dev")
	dst, err := ParseProcNetDev(data, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		dst, err = ParseProcNetDev(data, dst[:0])
		if err != nil {
			b.Fatal(err)
		}
	}
}
