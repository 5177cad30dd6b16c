//go:build linux

package e2e

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/chromium"
	"github.com/packetbuddy/pb/internal/counter"
	"github.com/packetbuddy/pb/internal/monitor"
	"github.com/packetbuddy/pb/internal/netlab"
	"github.com/packetbuddy/pb/internal/store"
	"github.com/packetbuddy/pb/internal/usage"
)

// TestDashboardRealTraffic runs the whole chain as pb serve does: the real
// counter reader and monitor, a real store and the API, with traffic pushed
// over a veth pair into a private network namespace (internal/netlab). The
// live chart must show the download speed rise. Needs root and iproute2;
// under CI=true their absence is a failure, elsewhere a skip.
func TestDashboardRealTraffic(t *testing.T) {
	chromium.Find(t)
	lab := netlab.New(t)
	lab.WaitQuiet(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "pb.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	// Count only the lab's veth, so the machine's own traffic cannot make
	// the test pass: include it (veths are excluded by default) and
	// exclude every other interface.
	policy := usage.Policy{Include: []string{lab.HostIf}}
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range ifs {
		if i.Name != lab.HostIf {
			policy.Exclude = append(policy.Exclude, i.Name)
		}
	}
	reader, err := counter.NewReader()
	if err != nil {
		t.Fatal(err)
	}
	boot, _ := monitor.BootID()
	mon := monitor.New(reader, st, monitor.SystemClock(), monitor.Config{
		PollInterval:  500 * time.Millisecond,
		FlushInterval: 2 * time.Second,
		Policy:        policy,
		BootID:        boot,
		Location:      loc,
	}, nil)
	if err := mon.Start(ctx); err != nil {
		t.Fatal(err)
	}
	monCtx, stopMon := context.WithCancel(ctx)
	monDone := make(chan error, 1)
	go func() { monDone <- mon.Run(monCtx) }()
	defer func() {
		stopMon()
		if err := <-monDone; err != nil {
			t.Errorf("monitor: %v", err)
		}
	}()
	srv := openServer(t, st, mon, loc, "127.0.0.1:0")

	p, nl := newTab(ctx, t)
	p.navigate(ctx, srv.base+"/dashboard/")
	p.waitTrue(ctx, "the first data", `document.body.dataset.ready === 'true'`)
	p.waitTrue(ctx, "live events", `document.getElementById('conn-text').textContent === 'Live'`)
	const maxRx = `Math.max(0, ...Chart.getChart(document.getElementById('live-chart')).data.datasets[0].data.map((p) => p.y))`
	var before float64
	p.mustEval(ctx, maxRx, &before)
	if before > 0 {
		t.Fatalf("the live chart shows %v B/s before any traffic on the only counted interface", before)
	}

	// About three seconds of traffic: 16 MiB down (host rx) per transfer.
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); {
		lab.Transfer(t, 256<<10, 16<<20)
		time.Sleep(100 * time.Millisecond)
	}
	p.waitTrue(ctx, "the live download speed to rise", maxRx+` > 1e6`)
	p.waitTrue(ctx, "the veth in the interface table, counted", `document.querySelector('#iface-rows tr[data-iface="`+lab.HostIf+`"] .tag.yes') !== null`)
	var shown float64
	p.mustEval(ctx, maxRx, &shown)
	t.Logf("live chart peak: %.0f B/s download over %s", shown, lab.HostIf)

	_, failures, console := nl.snapshot()
	if len(failures) > 0 || len(console) > 0 {
		t.Errorf("failed requests %q, console errors %q", failures, console)
	}
}
