package apps

import (
	"errors"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/packetbuddy/pb/internal/usage"
)

// fakeSource serves the cumulative counters a test sets.
type fakeSource struct {
	samples   []Sample
	err       error
	comms     map[uint32]string
	commCalls map[uint32]int
	forgotten []uint32
}

func (f *fakeSource) Read(dst []Sample) ([]Sample, error) {
	if f.err != nil {
		return dst, f.err
	}
	return append(dst, f.samples...), nil
}
func (f *fakeSource) Comm(pid uint32) string {
	if f.commCalls != nil {
		f.commCalls[pid]++
	}
	return f.comms[pid]
}
func (f *fakeSource) Forget(pids []uint32) error {
	f.forgotten = append(f.forgotten, pids...)
	var keep []Sample
	for _, s := range f.samples {
		if !containsPID(pids, s.PID) {
			keep = append(keep, s)
		}
	}
	f.samples = keep
	return nil
}
func (f *fakeSource) Close() error { return nil }

func containsPID(pids []uint32, p uint32) bool {
	for _, q := range pids {
		if q == p {
			return true
		}
	}
	return false
}

var (
	curl    = usage.App{Name: "curl"}
	firefox = usage.App{Path: "/usr/bin/firefox", Name: "firefox"}
)

func testProc() fstest.MapFS {
	return fstest.MapFS{
		"10/comm": {Data: []byte("firefox\n")},
		"10/exe":  {Data: []byte("/usr/bin/firefox"), Mode: 0o777 | 1<<27},
		"11/comm": {Data: []byte("firefox\n")},
		"11/exe":  {Data: []byte("/usr/bin/firefox"), Mode: 0o777 | 1<<27},
	}
}

func TestSplitAddsUpExactly(t *testing.T) {
	eth := func(rx, tx uint64) Traffic {
		return Traffic{Name: "eth0", Index: 2, LinkHeader: 14, Totals: usage.Totals{Rx: rx, Tx: tx}}
	}
	type poll struct {
		samples []Sample // cumulative
		err     error
		polled  []Traffic
		want    []Share
	}
	tests := []struct {
		name  string
		polls []poll
	}{
		{"apps fit, the rest is unattributed", []poll{{
			samples: []Sample{{PID: 10, Ifindex: 2, RxBytes: 986, RxPackets: 1, TxBytes: 186, TxPackets: 1}},
			polled:  []Traffic{eth(5000, 300)},
			want:    []Share{{firefox, "eth0", usage.Totals{Rx: 1000, Tx: 200}}, {usage.Unattributed, "eth0", usage.Totals{Rx: 4000, Tx: 100}}},
		}}},
		{"two processes of one program are one app; an exited one has the kernel's name", []poll{{
			samples: []Sample{{PID: 10, Ifindex: 2, RxBytes: 100}, {PID: 11, Ifindex: 2, RxBytes: 50}, {PID: 99, Ifindex: 2, TxBytes: 7}},
			polled:  []Traffic{eth(150, 7)},
			want:    []Share{{firefox, "eth0", usage.Totals{Rx: 150}}, {curl, "eth0", usage.Totals{Tx: 7}}},
		}}},
		{"deltas between polls, the counter of another interface apart", []poll{{
			samples: []Sample{{PID: 10, Ifindex: 2, RxBytes: 100}, {PID: 10, Ifindex: 3, RxBytes: 40}},
			polled:  []Traffic{eth(100, 0), {Name: "wg0", Index: 3, Totals: usage.Totals{Rx: 40}}},
			want:    []Share{{firefox, "eth0", usage.Totals{Rx: 100}}, {firefox, "wg0", usage.Totals{Rx: 40}}},
		}, {
			samples: []Sample{{PID: 10, Ifindex: 2, RxBytes: 160}, {PID: 10, Ifindex: 3, RxBytes: 40}},
			polled:  []Traffic{eth(70, 0), {Name: "wg0", Index: 3}},
			want:    []Share{{firefox, "eth0", usage.Totals{Rx: 60}}, {usage.Unattributed, "eth0", usage.Totals{Rx: 10}}},
		}}},
		{"more than the interface: shared in proportion, the excess carried once", []poll{{
			samples: []Sample{{PID: 10, Ifindex: 2, TxBytes: 300}, {PID: 99, Ifindex: 2, TxBytes: 100}},
			polled:  []Traffic{eth(0, 200)},
			want:    []Share{{firefox, "eth0", usage.Totals{Tx: 150}}, {curl, "eth0", usage.Totals{Tx: 50}}},
		}, {
			// 150 + 50 carried; the interface shows 250: 50 is unattributed.
			samples: []Sample{{PID: 10, Ifindex: 2, TxBytes: 300}, {PID: 99, Ifindex: 2, TxBytes: 100}},
			polled:  []Traffic{eth(0, 250)},
			want:    []Share{{firefox, "eth0", usage.Totals{Tx: 150}}, {curl, "eth0", usage.Totals{Tx: 50}}, {usage.Unattributed, "eth0", usage.Totals{Tx: 50}}},
		}}},
		{"a carry that never fits is dropped after one poll", []poll{{
			samples: []Sample{{PID: 10, Ifindex: 2, TxBytes: 300}},
			polled:  []Traffic{eth(0, 100)},
			want:    []Share{{firefox, "eth0", usage.Totals{Tx: 100}}},
		}, {
			samples: []Sample{{PID: 10, Ifindex: 2, TxBytes: 300}},
			polled:  []Traffic{eth(0, 50)},
			want:    []Share{{firefox, "eth0", usage.Totals{Tx: 50}}},
		}, {
			samples: []Sample{{PID: 10, Ifindex: 2, TxBytes: 300}},
			polled:  []Traffic{eth(0, 50)},
			want:    []Share{{usage.Unattributed, "eth0", usage.Totals{Tx: 50}}},
		}}},
		{"rounding leftovers go to the largest app", []poll{{
			samples: []Sample{{PID: 10, Ifindex: 2, RxBytes: 2}, {PID: 99, Ifindex: 2, RxBytes: 1}},
			polled:  []Traffic{eth(2, 0)},
			want:    []Share{{firefox, "eth0", usage.Totals{Rx: 2}}},
		}}},
		{"a failed read leaves everything unattributed", []poll{{
			err:    errors.New("map gone"),
			polled: []Traffic{eth(10, 20)},
			want:   []Share{{usage.Unattributed, "eth0", usage.Totals{Rx: 10, Tx: 20}}},
		}}},
		{"an idle interface has no shares", []poll{{
			polled: []Traffic{eth(0, 0)},
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &fakeSource{comms: map[uint32]string{99: "curl"}}
			s := NewSplitter(src, NewResolver(testProc()), nil)
			for i, p := range tt.polls {
				src.samples, src.err = p.samples, p.err
				got := s.Split(p.polled, nil)
				if d := cmp.Diff(p.want, got); d != "" {
					t.Errorf("poll %d: shares differ (-want +got):\n%s", i, d)
				}
				sums := map[string]usage.Totals{}
				for _, sh := range got {
					sums[sh.Iface] = sums[sh.Iface].Add(sh.Totals)
				}
				for _, tr := range p.polled {
					if sums[tr.Name] != tr.Totals {
						t.Errorf("poll %d: apps of %s add up to %+v, the interface moved %+v", i, tr.Name, sums[tr.Name], tr.Totals)
					}
				}
			}
		})
	}
}

func TestSplitForgetsExitedProcesses(t *testing.T) {
	src := &fakeSource{samples: []Sample{{PID: 10, Ifindex: 2, RxBytes: 5}, {PID: 99, Ifindex: 2, RxBytes: 5}}, comms: map[uint32]string{99: "curl"}}
	s := NewSplitter(src, NewResolver(testProc()), nil)
	s.CheckEvery = 2
	polled := []Traffic{{Name: "eth0", Index: 2, Totals: usage.Totals{Rx: 10}}}
	s.Split(polled, nil)
	if len(src.forgotten) != 0 {
		t.Fatalf("forgot %v before the check was due", src.forgotten)
	}
	s.Split(polled, nil)
	if !cmp.Equal(src.forgotten, []uint32{99}) {
		t.Fatalf("forgot %v, want the exited pid 99 only", src.forgotten)
	}
	if _, ok := s.last[sampleKey{99, 2}]; ok {
		t.Error("the splitter still remembers pid 99's counters")
	}
}

// TestSplitAllocatesNothing: once the splitter has seen its processes and
// interfaces, a poll allocates nothing, as the monitor's poll does, and
// asks the source for no command name (each ask is a system call): a
// process is named once.
func TestSplitAllocatesNothing(t *testing.T) {
	src := &fakeSource{
		samples: []Sample{
			{PID: 10, Ifindex: 2}, {PID: 11, Ifindex: 2}, {PID: 99, Ifindex: 2},
			{PID: 10, Ifindex: 3}, {PID: 99, Ifindex: 7}, // 7: not polled
		},
		comms:     map[uint32]string{99: "curl"},
		commCalls: map[uint32]int{},
	}
	s := NewSplitter(src, NewResolver(testProc()), nil)
	s.CheckEvery = 1 << 30
	polled := []Traffic{
		{Name: "eth0", Index: 2, LinkHeader: 14},
		{Name: "wg0", Index: 3},
		{Name: "lo", Index: 1, Totals: usage.Totals{Rx: 64, Tx: 64}},
	}
	var dst []Share
	poll := func() {
		for i := range src.samples {
			src.samples[i].RxBytes += 1000
			src.samples[i].RxPackets++
			src.samples[i].TxBytes += 100
			src.samples[i].TxPackets++
		}
		// eth0 received less than its apps did (3 × 1014: shared in
		// proportion, with a carry) and sent more (3 × 114: a rest
		// unattributed), wg0 moved more than its one app.
		polled[0].Totals = usage.Totals{Rx: 2500, Tx: 400}
		polled[1].Totals = usage.Totals{Rx: 1500, Tx: 150}
		dst = s.Split(polled, dst[:0])
	}
	poll()
	poll()
	want := []Share{
		{firefox, "eth0", usage.Totals{Rx: 2500 * 2 / 3, Tx: 228}},
		{curl, "eth0", usage.Totals{Rx: 2500 - 2500*2/3, Tx: 114}},
		{usage.Unattributed, "eth0", usage.Totals{Tx: 400 - 3*114}},
		{firefox, "wg0", usage.Totals{Rx: 1000, Tx: 100}},
		{usage.Unattributed, "wg0", usage.Totals{Rx: 500, Tx: 50}},
		{usage.Unattributed, "lo", usage.Totals{Rx: 64, Tx: 64}},
	}
	if d := cmp.Diff(want, dst); d != "" {
		t.Fatalf("shares of a warm poll differ (-want +got):\n%s", d)
	}
	if allocs := testing.AllocsPerRun(100, poll); allocs != 0 {
		t.Errorf("a warm poll allocates %v times, want 0", allocs)
	}
	if !cmp.Equal(src.commCalls, map[uint32]int{10: 1, 11: 1, 99: 1}) {
		t.Errorf("command names asked for %v, want once per process, when it is first named", src.commCalls)
	}
}
