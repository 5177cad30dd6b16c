package footprint

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestParseMaps(t *testing.T) {
	maps := `00400000-00e4b000 r-xp 00000000 fd:00 1234                               /opt/pb dir/pb
00e4b000-019ca000 r--p 00a4b000 fd:00 1234                               /opt/pb dir/pb
019ca000-01a92000 rw-p 015ca000 fd:00 1234                               /opt/pb dir/pb
01a92000-03adf000 rw-p 00000000 00:00 0
7f2953a08000-7f2953a10000 rw-s 00000000 fd:00 99                         /data/pb.db-shm
7f299a000000-7f299a001000 r--p 00000000 fd:00 77                         /usr/lib/other.so
7fff012ee000-7fff0130f000 rw-p 00000000 00:00 0                          [stack]
`
	got := parseMaps([]byte(maps), "/opt/pb dir/pb")
	want := []span{{0x400000, 0xe4b000}, {0xe4b000, 0x19ca000}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("parseMaps = %#v, want %#v (the writable data mapping and other files must be left out)", got, want)
	}
}

// TestTrimProgramDropsPages checks on the running test binary that its
// read-only pages leave the resident set and that the program keeps
// running (the pages fault back in).
func TestTrimProgramDropsPages(t *testing.T) {
	spans := readOnlyProgramSpans()
	if len(spans) == 0 {
		t.Fatal("no read-only mapping of the executable found in /proc/self/maps")
	}
	before := rssFile(t)
	trimProgram()
	after := rssFile(t)
	if after >= before {
		t.Errorf("RssFile %d kB before the trim, %d kB after: nothing was dropped", before, after)
	}
	t.Logf("RssFile %d kB → %d kB", before, after)
}

func rssFile(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "RssFile:"); ok {
			var kb int
			for _, f := range strings.Fields(v) {
				if n, err := strconv.Atoi(f); err == nil {
					kb = n
					break
				}
			}
			return kb
		}
	}
	t.Fatal("no RssFile in /proc/self/status")
	return 0
}
