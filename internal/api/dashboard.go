package api

import (
	"net/http"

	pbsync "github.com/packetbuddy/pb/internal/sync"
	"github.com/packetbuddy/pb/internal/usage"
)

// dashboardResponse is /api/dashboard: everything the dashboard's first
// screen shows, in one request, so its first numbers arrive after one
// round trip instead of after a queue of them on a busy machine. Each part
// has exactly the shape (and the numbers) of its own endpoint.
type dashboardResponse struct {
	Device     dashboardDevice    `json:"device"`
	Today      todayResponse      `json:"today"`
	Month      periodResponse     `json:"month"`
	Summary    summaryResponse    `json:"summary"`
	Interfaces interfacesResponse `json:"interfaces"`
	Live       liveResponse       `json:"live"`
}

// dashboardDevice is the part of /api/health the page header needs.
type dashboardDevice struct {
	DeviceID    string `json:"device_id"`
	Hostname    string `json:"hostname"`
	OSType      string `json:"os_type"`
	Version     string `json:"version"`
	Units       string `json:"units"`
	SyncEnabled bool   `json:"sync_enabled"`
}

func (s *Server) handleDashboard(w http.ResponseWriter, r *http.Request) error {
	now := s.now()
	live := s.mon.Live()
	fs, err := s.q.FirstScreen(r.Context(), now, liveRates(live))
	if err != nil {
		return err
	}
	resp := dashboardResponse{
		Device: dashboardDevice{DeviceID: s.d.DeviceID, Hostname: s.d.Hostname, OSType: s.d.OSType, Version: s.d.Version,
			Units: s.set.UnitBase.String(), SyncEnabled: s.d.Sync != nil},
		Today:      s.enc.today(fs.Today, s.global(r.Context(), now, func(f pbsync.FleetUsage) usage.Totals { return f.Today })),
		Month:      s.enc.month(fs.Month),
		Summary:    s.enc.summary(fs.Lifetime, s.global(r.Context(), now, func(f pbsync.FleetUsage) usage.Totals { return f.Lifetime })),
		Interfaces: s.enc.interfaces(fs.Interfaces),
		Live:       s.liveFrom(live),
	}
	return writeJSON(w, resp)
}
