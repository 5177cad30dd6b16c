package monitor

import (
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/counter"
	"github.com/packetbuddy/pb/internal/usage"
)

// watchReader is a fakeReader that hears of link changes (counter.Watcher)
// and counts the details it is asked for.
type watchReader struct {
	*fakeReader
	changes uint64
	canTell bool
	infos   int
}

func (r *watchReader) Info(name string) (counter.Info, error) {
	r.infos++
	return r.fakeReader.Info(name)
}

func (r *watchReader) Changes() (uint64, bool) { return r.changes, r.canTell }

// TestDetailsReadOnChange: with a reader that hears of link changes, the
// details of known interfaces are re-read after a change (at most once a
// minute) and every 30 minutes otherwise; without, every minute.
func TestDetailsReadOnChange(t *testing.T) {
	tests := []struct {
		name    string
		canTell bool
		// changeAt are the seconds after the start at which a change is
		// heard; reads are the seconds after the start at which eth0's
		// details were read, for the first 65 minutes of 10 s polls.
		changeAt []int
		reads    []int
	}{
		{name: "no change", canTell: true, reads: []int{1800, 3600}},
		{name: "a change heard", canTell: true, changeAt: []int{125}, reads: []int{130, 1930, 3730}},
		{name: "a change within a minute of the last read waits for the minute", canTell: true, changeAt: []int{125, 135}, reads: []int{130, 190, 1990, 3790}},
		{name: "a change the minute after the start", canTell: true, changeAt: []int{5}, reads: []int{60, 1860, 3660}},
		{name: "cannot tell", canTell: false, reads: func() []int {
			var r []int
			for s := 60; s <= 65*60; s += 60 {
				r = append(r, s)
			}
			return r
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.iface("eth0", counter.KindEthernet, gig, 64, "aa", 1000, 500)
			r := &watchReader{fakeReader: h.r, canTell: tt.canTell}
			h.m = New(r, h.store, h.clock, Config{PollInterval: time.Second, FlushInterval: 30 * time.Second, BootID: h.boot, Location: time.UTC}, nil)
			if err := h.m.Start(t.Context()); err != nil {
				t.Fatal(err)
			}
			r.infos = 0 // the start describes every interface
			var reads []int
			changes := tt.changeAt
			for s := 10; s <= 65*60; s += 10 {
				for len(changes) > 0 && changes[0] <= s {
					r.changes++
					changes = changes[1:]
				}
				before := r.infos
				h.tick(10 * time.Second)
				if r.infos != before {
					reads = append(reads, s)
				}
			}
			if !equalInts(reads, tt.reads) {
				t.Errorf("details read at %v s, want %v", reads, tt.reads)
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestSpeedGrownUnannounced: a link renegotiated from 100 Mb/s to 1 Gb/s
// without a notification carries 100 MB in a second: its speed is read
// again before the delta is taken for a spike, so it is counted. At the
// old speed it would have been discarded, and a jump faster than the new
// speed still is.
func TestSpeedGrownUnannounced(t *testing.T) {
	const mb = 1_000_000
	tests := []struct {
		name     string
		newSpeed uint64
		sent     uint64
		want     usage.Totals
		spike    bool
	}{
		{name: "faster link: counted", newSpeed: gig, sent: 100 * mb, want: usage.Totals{Rx: 100 * mb}},
		{name: "same speed: a spike", newSpeed: gig / 10, sent: 100 * mb, spike: true},
		{name: "faster than the new speed too: a spike", newSpeed: gig, sent: 500 * mb, spike: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.iface("eth0", counter.KindEthernet, gig/10, 64, "aa", 0, 0)
			r := &watchReader{fakeReader: h.r, canTell: true}
			h.m = New(r, h.store, h.clock, Config{PollInterval: time.Second, FlushInterval: 30 * time.Second, BootID: h.boot, Location: time.UTC}, nil)
			if err := h.m.Start(t.Context()); err != nil {
				t.Fatal(err)
			}
			h.tick(time.Second)
			info := h.r.infos["eth0"]
			info.SpeedBits = tt.newSpeed
			h.r.infos["eth0"] = info
			h.set("eth0", tt.sent, 0)
			h.tick(time.Second)
			h.flush()
			if got := h.store.totals["eth0"]; got != tt.want {
				t.Errorf("counted %+v, want %+v", got, tt.want)
			}
			spiked := false
			for _, e := range h.store.events {
				spiked = spiked || e.Kind == usage.EventSpike
			}
			if spiked != tt.spike {
				t.Errorf("spike event %v, want %v (events %+v)", spiked, tt.spike, h.store.events)
			}
		})
	}
}
