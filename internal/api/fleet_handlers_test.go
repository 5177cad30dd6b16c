package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	pbsync "github.com/packetbuddy/pb/internal/sync"
	"github.com/packetbuddy/pb/internal/usage"
)

type fakeFleet struct {
	fu       pbsync.FleetUsage
	fd       pbsync.FleetDays
	err      error
	from, to usage.Date // of the last Days call
}

var _ Fleet = (*fakeFleet)(nil)

func (f *fakeFleet) Usage(context.Context, time.Time) (pbsync.FleetUsage, error) { return f.fu, f.err }

func (f *fakeFleet) Days(_ context.Context, _ time.Time, from, to usage.Date) (pbsync.FleetDays, error) {
	f.from, f.to = from, to
	return f.fd, f.err
}

type fakeSyncer struct {
	calls int
	err   error
}

func (s *fakeSyncer) SyncNow(context.Context) (pbsync.Result, error) {
	s.calls++
	return pbsync.Result{Connected: true, Rows: 42}, s.err
}

func (s *fakeSyncer) Status(context.Context) pbsync.Status {
	return pbsync.Status{Enabled: true, Pending: 3, RemoteSchema: 1, SchemaVersion: 1}
}

func TestFleetRoutes(t *testing.T) {
	fl := &fakeFleet{fu: pbsync.FleetUsage{
		Devices:     []pbsync.DeviceUsage{{DeviceID: "a", Hostname: "one"}, {DeviceID: "b", Hostname: "two"}},
		Today:       usage.Totals{Rx: 1000, Tx: 500},
		Month:       usage.Totals{Rx: 5000, Tx: 2500},
		Lifetime:    usage.Totals{Rx: 9000, Tx: 4500},
		RemoteBytes: 3 << 20,
	}}
	sy := &fakeSyncer{}
	f := newFixture(t, false, func(d *Deps) { d.Fleet, d.Sync = fl, sy })
	h := f.srv.Handler()

	rec := do(t, h, "GET", "/api/devices")
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"hostname":"two"`) {
		t.Errorf("devices = %d %s", rec.Code, rec.Body)
	}
	// The usual names, and rx/tx kept as aliases.
	if want := `"today":{"bytes_received":1000,"bytes_sent":500,"total_bytes":1500,"rx":1000,"tx":500}`; !strings.Contains(rec.Body.String(), want) {
		t.Errorf("devices today: want %s in %s", want, rec.Body)
	}
	for path, want := range map[string]uint64{"/api/today": 1500, "/api/summary": 13500} {
		rec := do(t, h, "GET", path)
		var v struct {
			Global *struct {
				TotalBytes  uint64          `json:"total_bytes"`
				DeviceCount int             `json:"device_count"`
				Cost        json.RawMessage `json:"cost"`
			} `json:"global"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil || v.Global == nil || v.Global.TotalBytes != want || v.Global.DeviceCount != 2 || len(v.Global.Cost) == 0 {
			t.Errorf("%s global = %+v (%v): %s", path, v.Global, err, rec.Body)
		}
	}
	rec = do(t, h, "GET", "/api/health")
	if !strings.Contains(rec.Body.String(), `"sync_enabled":true`) || !strings.Contains(rec.Body.String(), `"pending_rows":3`) {
		t.Errorf("health = %s", rec.Body)
	}
	rec = do(t, h, "GET", "/api/storage")
	if !strings.Contains(rec.Body.String(), `"remote":{"db_size_mb":3,"db_size_bytes":3145728,"devices":2}`) {
		t.Errorf("storage = %s", rec.Body)
	}
	rec = do(t, h, "POST", "/api/sync")
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"rows":42`) || sy.calls != 1 {
		t.Errorf("sync now = %d %s", rec.Code, rec.Body)
	}
	rec = do(t, h, "POST", "/api/sync", "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
	if rec.Code != http.StatusForbidden || sy.calls != 1 {
		t.Errorf("cross-site sync now = %d, calls %d", rec.Code, sy.calls)
	}
	sy.err = errors.New("the sync database is unreachable (will retry): dial tcp: connection refused")
	if rec := do(t, h, "POST", "/api/sync"); rec.Code != http.StatusBadGateway || !strings.Contains(rec.Body.String(), "unreachable") {
		t.Errorf("failed sync now = %d %s", rec.Code, rec.Body)
	}
}

func TestFleetRoutesSyncOff(t *testing.T) {
	f := newFixture(t, false)
	h := f.srv.Handler()
	if rec := do(t, h, "GET", "/api/devices"); rec.Code != http.StatusNotFound {
		t.Errorf("devices without sync = %d", rec.Code)
	}
	if rec := do(t, h, "POST", "/api/sync"); rec.Code != http.StatusConflict {
		t.Errorf("sync now without sync = %d", rec.Code)
	}
	if rec := do(t, h, "GET", "/api/today"); strings.Contains(rec.Body.String(), `"global"`) {
		t.Errorf("today without sync has global: %s", rec.Body)
	}
	// A fleet that cannot be read leaves the local answer alone.
	f = newFixture(t, false, func(d *Deps) { d.Fleet = &fakeFleet{err: errors.New("down")} })
	if rec := do(t, f.srv.Handler(), "GET", "/api/today"); rec.Code != 200 || strings.Contains(rec.Body.String(), `"global"`) {
		t.Errorf("today with the fleet down = %d %s", rec.Code, rec.Body)
	}
}
