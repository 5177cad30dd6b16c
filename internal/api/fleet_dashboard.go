package api

import (
	"net/http"
	"time"

	pbsync "github.com/packetbuddy/pb/internal/sync"
	"github.com/packetbuddy/pb/internal/usage"
)

// maxFleetDays bounds /api/fleet/days: a year per request is what the fleet
// page shows at most, and every device's days are read at once.
const maxFleetDays = 366

// minStaleAfter is the shortest silence that marks a device stale: a laptop
// asleep over lunch is not a lost device.
const minStaleAfter = time.Hour

// fleetResponse is /api/fleet: the fleet of /api/devices with usage blocks
// (human-readable figures) and each device's silence.
type fleetResponse struct {
	At                string        `json:"at"`
	DeviceCount       int           `json:"device_count"`
	StaleAfterSeconds int64         `json:"stale_after_seconds"`
	Today             usageBlock    `json:"today"`
	Month             usageBlock    `json:"month"`
	Lifetime          usageBlock    `json:"lifetime"`
	Devices           []fleetDevice `json:"devices"`
}

// fleetDeviceInfo names a device in /api/fleet and /api/fleet/days.
type fleetDeviceInfo struct {
	DeviceID string `json:"device_id"`
	Hostname string `json:"hostname"`
	OSType   string `json:"os_type"`
	TimeZone string `json:"time_zone"`
	LastSeen string `json:"last_seen"`
}

type fleetDevice struct {
	fleetDeviceInfo
	// LastSeenAgeSeconds is how long ago the device last synced; Stale is
	// true past stale_after_seconds.
	LastSeenAgeSeconds int64      `json:"last_seen_age_seconds"`
	Stale              bool       `json:"stale"`
	Today              usageBlock `json:"today"`
	Month              usageBlock `json:"month"`
	Lifetime           usageBlock `json:"lifetime"`
}

// staleAfter is how long a device may stay silent before it is marked
// stale: three sync intervals, at least minStaleAfter.
func (s *Server) staleAfter() time.Duration {
	return max(3*s.set.SyncInterval, minStaleAfter)
}

func (s *Server) handleFleet(w http.ResponseWriter, r *http.Request) error {
	fu, err := s.fleetUsage(r)
	if err != nil {
		return err
	}
	now := s.now()
	stale := s.staleAfter()
	resp := fleetResponse{
		At:                fu.At.In(s.loc).Format(time.RFC3339),
		DeviceCount:       len(fu.Devices),
		StaleAfterSeconds: int64(stale / time.Second),
		Today:             s.usageBlock(fu.Today, 0),
		Month:             s.usageBlock(fu.Month, 0),
		Lifetime:          s.usageBlock(fu.Lifetime, 0),
		Devices:           make([]fleetDevice, 0, len(fu.Devices)),
	}
	for _, d := range fu.Devices {
		age := max(now.Sub(d.LastSeen), 0)
		resp.Devices = append(resp.Devices, fleetDevice{
			fleetDeviceInfo:    s.fleetDeviceInfo(d.DeviceID, d.Hostname, d.OSType, d.TimeZone, d.LastSeen),
			LastSeenAgeSeconds: int64(age / time.Second),
			Stale:              age > stale,
			Today:              s.usageBlock(d.Today, 0),
			Month:              s.usageBlock(d.Month, 0),
			Lifetime:           s.usageBlock(d.Lifetime, 0),
		})
	}
	return writeJSON(w, resp)
}

func (s *Server) fleetDeviceInfo(id, host, os, tz string, lastSeen time.Time) fleetDeviceInfo {
	return fleetDeviceInfo{DeviceID: id, Hostname: host, OSType: os, TimeZone: tz, LastSeen: lastSeen.In(s.loc).Format(time.RFC3339)}
}

// fleetDaysResponse is /api/fleet/days: every device's days from..to, each
// in the device's own zone, zero days included, and the fleet's sum per
// date.
type fleetDaysResponse struct {
	From    string            `json:"from"`
	To      string            `json:"to"`
	Dates   []string          `json:"dates"`
	Days    []dayRow          `json:"days"`
	Summary usageBlock        `json:"summary"`
	Devices []fleetDeviceDays `json:"devices"`
}

type fleetDeviceDays struct {
	fleetDeviceInfo
	Total usageBlock `json:"total"`
	Days  []dayRow   `json:"days"`
}

// handleFleetDays serves from..to inclusive, by default this month (in the
// server's zone), at most maxFleetDays.
func (s *Server) handleFleetDays(w http.ResponseWriter, r *http.Request) error {
	p, err := parseParams(r)
	if err != nil {
		return err
	}
	today := usage.DateOf(s.now().In(s.loc))
	first := usage.Date{Year: today.Year, Month: today.Month, Day: 1}
	last := usage.DateOf(time.Date(today.Year, today.Month+1, 0, 12, 0, 0, 0, time.UTC))
	p.maxDays = maxFleetDays
	from, to, err := p.dateRange([]string{"from", "from_date"}, []string{"to", "to_date"}, first, last, false)
	if err != nil {
		return err
	}
	if s.d.Fleet == nil {
		return errSyncOff
	}
	fd, err := s.d.Fleet.Days(r.Context(), s.now(), from, to)
	if err = fleetErr(err); err != nil {
		return err
	}
	return writeJSON(w, s.fleetDays(fd, from, to))
}

// fleetDays lays the fleet's sparse days out densely, one row per date of
// from..to for every device and for the sum.
func (s *Server) fleetDays(fd pbsync.FleetDays, from, to usage.Date) fleetDaysResponse {
	n := from.DaysUntil(to) + 1
	resp := fleetDaysResponse{From: from.String(), To: to.String(), Dates: make([]string, n), Devices: make([]fleetDeviceDays, 0, len(fd.Devices))}
	sums := make([]usage.DayTotals, n)
	for i := range n {
		sums[i].Date = from.AddDays(i)
		resp.Dates[i] = sums[i].Date.String()
	}
	for _, d := range fd.Devices {
		days := make([]usage.DayTotals, n)
		for i := range days {
			days[i].Date = sums[i].Date
		}
		for _, day := range d.Days {
			if i := from.DaysUntil(day.Date); i >= 0 && i < n {
				days[i].Totals = day.Totals
				sums[i].Totals = sums[i].Totals.Add(day.Totals)
			}
		}
		rows, total := s.period(days)
		resp.Devices = append(resp.Devices, fleetDeviceDays{
			fleetDeviceInfo: s.fleetDeviceInfo(d.DeviceID, d.Hostname, d.OSType, d.TimeZone, d.LastSeen),
			Total:           total,
			Days:            rows,
		})
	}
	resp.Days, resp.Summary = s.period(sums)
	return resp
}
