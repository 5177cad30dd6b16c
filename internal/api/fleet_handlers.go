package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	pbsync "github.com/packetbuddy/pb/internal/sync"
	"github.com/packetbuddy/pb/internal/usage"
)

// Fleet reads the whole fleet from the sync database (*pbsync.Fleet).
type Fleet interface {
	Usage(ctx context.Context, now time.Time) (pbsync.FleetUsage, error)
	Days(ctx context.Context, now time.Time, from, to usage.Date) (pbsync.FleetDays, error)
}

var _ Fleet = (*pbsync.Fleet)(nil)

// Syncer is the daemon's fleet syncer (*pbsync.Syncer).
type Syncer interface {
	SyncNow(ctx context.Context) (pbsync.Result, error)
	Status(ctx context.Context) pbsync.Status
}

// globalBlock is the "global" block of /api/today and /api/summary with
// sync on: a usage block and cost over all devices.
type globalBlock struct {
	usageBlock
	Cost        costBlock `json:"cost"`
	DeviceCount int       `json:"device_count"`
}

// fleetTimeout bounds the fleet read inside /api/today and /api/summary: a
// slow or absent sync server must not hold up the device's own numbers.
const fleetTimeout = 5 * time.Second

// global returns the global block, or nil without sync or when the sync
// database cannot be read (logged; the local answer is still served).
func (s *Server) global(ctx context.Context, now time.Time, pick func(pbsync.FleetUsage) usage.Totals) *globalBlock {
	if s.d.Fleet == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, fleetTimeout)
	defer cancel()
	fu, err := s.d.Fleet.Usage(ctx, now)
	if err != nil {
		s.log.Warn("fleet totals unavailable", "err", err)
		return nil
	}
	t := pick(fu)
	return &globalBlock{usageBlock: s.usageBlock(t, 0), Cost: s.costBlock(t, s.rate), DeviceCount: len(fu.Devices)}
}

func (s *Server) handleDevices(w http.ResponseWriter, r *http.Request) error {
	fu, err := s.fleetUsage(r)
	if err != nil {
		return err
	}
	return writeJSON(w, DevicesOf(fu))
}

// DeviceTotals are bytes in /api/devices under the names every other
// endpoint uses, plus rx and tx: deprecated aliases of bytes_received and
// bytes_sent, kept for clients written against the first version.
type DeviceTotals struct {
	BytesReceived uint64 `json:"bytes_received"`
	BytesSent     uint64 `json:"bytes_sent"`
	TotalBytes    uint64 `json:"total_bytes"`
	Rx            uint64 `json:"rx"`
	Tx            uint64 `json:"tx"`
}

func deviceTotals(t usage.Totals) DeviceTotals {
	return DeviceTotals{BytesReceived: t.Rx, BytesSent: t.Tx, TotalBytes: t.Total(), Rx: t.Rx, Tx: t.Tx}
}

// Device is one device of /api/devices.
type Device struct {
	DeviceID string       `json:"device_id"`
	Hostname string       `json:"hostname"`
	OSType   string       `json:"os_type"`
	TimeZone string       `json:"time_zone"`
	LastSeen time.Time    `json:"last_seen"`
	Today    DeviceTotals `json:"today"`
	Month    DeviceTotals `json:"month"`
	Lifetime DeviceTotals `json:"lifetime"`
}

// Devices is /api/devices, and pb devices --json.
type Devices struct {
	At          time.Time    `json:"at"`
	Devices     []Device     `json:"devices"`
	Today       DeviceTotals `json:"today"`
	Month       DeviceTotals `json:"month"`
	Lifetime    DeviceTotals `json:"lifetime"`
	RemoteBytes int64        `json:"remote_bytes"`
}

// DevicesOf renders the fleet as /api/devices.
func DevicesOf(fu pbsync.FleetUsage) Devices {
	out := Devices{At: fu.At, Devices: make([]Device, 0, len(fu.Devices)), Today: deviceTotals(fu.Today),
		Month: deviceTotals(fu.Month), Lifetime: deviceTotals(fu.Lifetime), RemoteBytes: fu.RemoteBytes}
	for _, d := range fu.Devices {
		out.Devices = append(out.Devices, Device{DeviceID: d.DeviceID, Hostname: d.Hostname, OSType: d.OSType, TimeZone: d.TimeZone,
			LastSeen: d.LastSeen, Today: deviceTotals(d.Today), Month: deviceTotals(d.Month), Lifetime: deviceTotals(d.Lifetime)})
	}
	return out
}

// fleetUsage reads the fleet for a fleet route: a 404 with sync off, a 503
// before any device synced, a 502 when the sync database cannot be read.
func (s *Server) fleetUsage(r *http.Request) (pbsync.FleetUsage, error) {
	if s.d.Fleet == nil {
		return pbsync.FleetUsage{}, errSyncOff
	}
	fu, err := s.d.Fleet.Usage(r.Context(), s.now())
	return fu, fleetErr(err)
}

// errSyncOff answers the fleet routes when sync is off.
var errSyncOff = errorf(http.StatusNotFound, "Fleet sync is off: set [sync] database_url or PB_DATABASE_URL to see all devices.")

// fleetErr maps a sync database failure to the API's answer.
func fleetErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, pbsync.ErrNoSchema):
		return errorf(http.StatusServiceUnavailable, "No device has synced to the sync database yet.")
	}
	return errorf(http.StatusBadGateway, "The sync database cannot be read: %s", err.Error())
}

type syncNowResponse struct {
	Via       string        `json:"via"`
	Connected bool          `json:"connected"`
	Rows      int64         `json:"rows"`
	Status    pbsync.Status `json:"status"`
}

// handleSyncNow runs one sync round now (pb sync now). State-changing:
// POST only, refused cross-site by the middleware.
func (s *Server) handleSyncNow(w http.ResponseWriter, r *http.Request) error {
	if s.d.Sync == nil {
		return errorf(http.StatusConflict, "Fleet sync is off: set [sync] database_url or PB_DATABASE_URL and restart pb serve.")
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Minute)
	defer cancel()
	res, err := s.d.Sync.SyncNow(ctx)
	if err != nil {
		return errorf(http.StatusBadGateway, "%s", err.Error()) // messages are redacted by the syncer
	}
	b, err := marshal(syncNowResponse{Via: "daemon", Connected: res.Connected, Rows: res.Rows, Status: s.d.Sync.Status(r.Context())})
	if err != nil {
		return err
	}
	writeBody(w, ctJSON, b)
	return nil
}
