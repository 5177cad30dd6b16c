package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/api"
	"github.com/packetbuddy/pb/internal/monitor"
	"github.com/packetbuddy/pb/internal/store"
	"github.com/packetbuddy/pb/internal/usage"
)

// holdingMonitor is a daemon's monitor that has counted traffic it has not
// written yet: it serves a fixed pending set, as the real one does between
// two flushes.
type holdingMonitor struct {
	u    usage.Unwritten
	live monitor.Live
}

var _ api.Monitor = (*holdingMonitor)(nil)

func (m *holdingMonitor) Live() monitor.Live { return m.live }
func (m *holdingMonitor) Subscribe() (<-chan monitor.Live, func()) {
	return make(chan monitor.Live), func() {}
}
func (m *holdingMonitor) Status() monitor.Status {
	return monitor.Status{Started: fixedNow.Add(-time.Hour), LastPoll: fixedNow, LastFlush: fixedNow.Add(-20 * time.Second), Polls: 3600, Pending: len(m.u.Deltas)}
}
func (m *holdingMonitor) Pending(from, to time.Time, f usage.Filter) usage.Totals {
	return m.u.Pending(from, to, f)
}
func (m *holdingMonitor) PendingPeak(from, to time.Time) uint64 { return m.u.PendingPeak(from, to) }
func (m *holdingMonitor) Unwritten(from, to time.Time) usage.Unwritten {
	var u usage.Unwritten
	for _, d := range m.u.Deltas {
		if !d.Bucket.Before(from) && d.Bucket.Before(to) {
			u.Deltas = append(u.Deltas, d)
		}
	}
	for _, p := range m.u.Peaks {
		if !p.Bucket.Before(from) && p.Bucket.Before(to) {
			u.Peaks = append(u.Peaks, p)
		}
	}
	return u
}

// unwrittenFixture is what the daemon holds: today's last minutes on two
// counted interfaces and one that is not counted, and a peak above every
// stored one (12.4 MB/s).
func unwrittenFixture() usage.Unwritten {
	d := func(iface string, hh, mm int, rx, tx uint64, counted bool) usage.UnwrittenDelta {
		return usage.UnwrittenDelta{Delta: usage.Delta{Iface: iface, Bucket: at(2026, 3, 8, hh, mm).UTC(), Totals: usage.Totals{Rx: rx, Tx: tx}}, Counted: counted}
	}
	return usage.Unwritten{
		Deltas: []usage.UnwrittenDelta{
			d("eth0", 11, 58, 7_000_000, 300_000, true),
			d("wlan0", 11, 59, 1_234_567, 89_012, true),
			d("docker0", 11, 59, 50_000_000, 50_000_000, false),
		},
		Peaks: []usage.Peak{{Bucket: at(2026, 3, 8, 11, 45).UTC(), BytesPerSec: 20_000_000}},
	}
}

// startHoldingDaemon serves the API of dataDir's database on a port-0
// listener with a monitor holding unwritten traffic, like "pb serve"
// between two flushes; it returns the port.
func startHoldingDaemon(t *testing.T, dataDir string) (port string, srv *api.Server) {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(dataDir, dbFile), store.Options{Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	mon := &holdingMonitor{u: unwrittenFixture(), live: monitor.Live{Time: fixedNow, PeakToday: 20_000_000, Interfaces: []monitor.IfaceRate{
		{Name: "eth0", Kind: "ethernet", Counted: true, Rate: monitor.Rate{RxPerSec: 1_500_000, TxPerSec: 250_000}},
		{Name: "wlan0", Kind: "wifi", Counted: true, Rate: monitor.Rate{RxPerSec: 2_000, TxPerSec: 300}},
		{Name: "usb0", Kind: "cellular", Counted: true}, // seen, never written
	}}}
	srv, err = api.New(api.Deps{Store: st, Monitor: mon, Location: nyc, Settings: api.Settings{RatePerGB: 0.10, Currency: "USD"},
		DeviceID: "0b6c9a0e-1f0e-4d4e-9a39-3c1e2f0a7d11", Hostname: "test-host", OSType: osType(), Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Open("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	_, port, _ = net.SplitHostPort(srv.Addr())
	return port, srv
}

// getBody fetches an API path over HTTP.
func getBody(t *testing.T, addr, path string) []byte {
	t.Helper()
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v %s", path, resp.StatusCode, err, b)
	}
	return b
}

// indented is an API body as the CLI's --json prints it.
func indented(t *testing.T, b []byte) string {
	t.Helper()
	var out bytes.Buffer
	if err := json.Indent(&out, bytes.TrimSpace(b), "", "  "); err != nil {
		t.Fatal(err)
	}
	return out.String() + "\n"
}

// TestJSONWithDaemonMatchesAPI: while the daemon holds unwritten traffic,
// each history command's --json is byte for byte what the daemon's API
// answers (indented), and differs from the database alone by exactly the
// pending traffic.
func TestJSONWithDaemonMatchesAPI(t *testing.T) {
	dir := newDataDir(t, false)
	port, srv := startHoldingDaemon(t, dir)
	env := map[string]string{"PB_API_PORT": port}
	for _, tc := range queryCases {
		if tc.api == "" {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runAt(t, env, append(append([]string{}, tc.args...), "--data-dir", dir, "--json")...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			if want := indented(t, getBody(t, srv.Addr(), tc.api)); out != want {
				t.Errorf("pb %v --json differs from the daemon's GET %s:\n--- cli\n%s--- api\n%s", tc.args, tc.api, out, want)
			}
		})
	}

	// The pending traffic is really in it: today is the database's today
	// plus the counted pending deltas (not docker0's), at the daemon's peak.
	var with, without struct {
		BytesSent     uint64 `json:"bytes_sent"`
		BytesReceived uint64 `json:"bytes_received"`
		PeakSpeed     uint64 `json:"peak_speed"`
	}
	_, out, _ := runAt(t, env, "today", "--data-dir", dir, "--json")
	if err := json.Unmarshal([]byte(out), &with); err != nil {
		t.Fatal(err)
	}
	_, out, _ = runAt(t, map[string]string{"PB_API_PORT": closedPort(t)}, "today", "--data-dir", dir, "--json")
	if err := json.Unmarshal([]byte(out), &without); err != nil {
		t.Fatal(err)
	}
	if with.BytesReceived-without.BytesReceived != 7_000_000+1_234_567 || with.BytesSent-without.BytesSent != 300_000+89_012 {
		t.Errorf("today with the daemon %+v, without %+v: the difference is not the counted pending traffic", with, without)
	}
	if with.PeakSpeed != 20_000_000 || without.PeakSpeed != 12_400_000 {
		t.Errorf("peak with the daemon %d (want 20000000), without %d (want 12400000)", with.PeakSpeed, without.PeakSpeed)
	}

	// pb interfaces shows what the daemon sees now: active, with speeds,
	// and an interface it has not written yet.
	_, out, _ = runAt(t, env, "interfaces", "--data-dir", dir, "--json")
	for _, want := range []string{`"name": "usb0",`, `"active": true,`, `"rx_per_sec": 1500000,`} {
		if !strings.Contains(out, want) {
			t.Errorf("pb interfaces --json with the daemon lacks %s:\n%s", want, out)
		}
	}
	_, out, _ = runAt(t, map[string]string{"PB_API_PORT": closedPort(t)}, "interfaces", "--data-dir", dir, "--json")
	if strings.Contains(out, `"active": true,`) || strings.Contains(out, `"name": "usb0",`) {
		t.Errorf("pb interfaces --json without a daemon shows live interfaces:\n%s", out)
	}

	// -i scopes the pending traffic too: docker0 alone gets its own.
	_, out, _ = runAt(t, env, "today", "--data-dir", dir, "-i", "docker0", "--json")
	if !strings.Contains(out, `"bytes_received": 59999999,`) { // 9,999,999 stored + 50,000,000 pending
		t.Errorf("pb today -i docker0 with the daemon:\n%s", out)
	}

	// The tables show the same numbers.
	_, table, _ := runAt(t, env, "today", "--data-dir", dir)
	if !strings.Contains(table, "Peak speed:  20.00 MB/s") || !strings.Contains(table, "Download:    171.23 MB") {
		t.Errorf("pb today with the daemon:\n%s", table)
	}
}

// TestDaemonOfAnotherDataDirIgnored: a daemon answering on the configured
// address that writes another database is not mixed in, even with the same
// device id.
func TestDaemonOfAnotherDataDirIgnored(t *testing.T) {
	dir, other := newDataDir(t, false), newDataDir(t, false)
	port, _ := startHoldingDaemon(t, other)
	_, withOther, errs := runAt(t, map[string]string{"PB_API_PORT": port}, "today", "--data-dir", dir, "--json")
	_, alone, _ := runAt(t, map[string]string{"PB_API_PORT": closedPort(t)}, "today", "--data-dir", dir, "--json")
	if withOther != alone || alone == "" {
		t.Errorf("a daemon of another data directory changed the answer (stderr %q):\n%s\nwant\n%s", errs, withOther, alone)
	}
}

// TestNoDaemonAnswersFromDatabase: with nothing listening, or with a
// listener that never answers, the CLI answers from the database alone,
// quietly, and does not wait for long.
func TestNoDaemonAnswersFromDatabase(t *testing.T) {
	dir := newDataDir(t, false)
	st, err := store.Open(context.Background(), filepath.Join(dir, dbFile), store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv, err := api.New(api.Deps{Store: st, Location: nyc, Settings: api.Settings{RatePerGB: 0.10, Currency: "USD"}, Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Open("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer srv.Close(context.Background())
	want := indented(t, getBody(t, srv.Addr(), "/api/today"))

	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() { // accept and never answer
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	for name, port := range map[string]string{
		"refused": closedPort(t),
		"silent":  strconv.Itoa(silent.Addr().(*net.TCPAddr).Port),
	} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			code, out, errs := runAt(t, map[string]string{"PB_API_PORT": port}, "today", "--data-dir", dir, "--json")
			if code != 0 || errs != "" {
				t.Fatalf("exit %d, stderr %q", code, errs)
			}
			if out != want {
				t.Errorf("got\n%s\nwant the database's answer\n%s", out, want)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v: the daemon question is not bounded", d)
			}
		})
	}
}

// closedPort returns a loopback port nothing listens on (it was free a
// moment ago).
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}
