package api

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/packetbuddy/pb/internal/monitor"
	"github.com/packetbuddy/pb/internal/query"
	"github.com/packetbuddy/pb/internal/usage"
)

// pendingResponse is /api/pending: the traffic the daemon has counted and
// not yet written (its pending 1-minute deltas per interface and the peaks
// of their 15-minute buckets), so a reader of the database in another
// process (the CLI) can add it and agree with this API to the byte.
// device_id and database identify the data the pending set belongs to: a
// reader of another data directory must not add it.
type pendingResponse struct {
	DeviceID    string             `json:"device_id"`
	Database    string             `json:"database"`
	GeneratedAt string             `json:"generated_at"`
	LastFlush   string             `json:"last_flush,omitempty"`
	PeakToday   uint64             `json:"peak_today"`
	PeakTime    string             `json:"peak_time,omitempty"` // the live reading peak_today belongs to
	Deltas      []pendingDeltaJSON `json:"deltas"`
	Peaks       []pendingPeakJSON  `json:"peaks"`
	// Live is each interface the daemon sees now with its speed, for
	// GET /api/interfaces' active and live fields.
	Live []pendingLiveJSON `json:"live"`
}

type pendingLiveJSON struct {
	Interface string `json:"interface"`
	Kind      string `json:"kind"`
	Counted   bool   `json:"counted"`
	RxPerSec  uint64 `json:"rx_per_sec"`
	TxPerSec  uint64 `json:"tx_per_sec"`
}

type pendingDeltaJSON struct {
	Interface     string `json:"interface"`
	MAC           string `json:"mac,omitempty"`
	Counted       bool   `json:"counted"`
	Bucket        string `json:"bucket"` // RFC 3339, UTC start of the 1-minute bucket
	BytesSent     uint64 `json:"bytes_sent"`
	BytesReceived uint64 `json:"bytes_received"`
}

type pendingPeakJSON struct {
	Bucket         string `json:"bucket"` // RFC 3339, UTC start of the 15-minute bucket
	BytesPerSecond uint64 `json:"bytes_per_second"`
}

// handlePending serves the pending set whose buckets start in the local
// days from..to (both optional: everything pending by default).
func (s *Server) handlePending(w http.ResponseWriter, r *http.Request) error {
	p, err := parseParams(r)
	if err != nil {
		return err
	}
	lo, hi := epoch, farAway
	from, okF, err := p.date("from")
	if err != nil {
		return err
	}
	to, okT, err := p.date("to")
	if err != nil {
		return err
	}
	if okF {
		lo = from.Start(s.loc)
	}
	if okT {
		hi = to.AddDays(1).Start(s.loc)
	}
	if okF && okT && from.After(to) {
		return badRequest("The range starts (%s) after it ends (%s); swap from and to.", from, to)
	}
	u := s.mon.Unwritten(lo, hi)
	st, live := s.mon.Status(), s.mon.Live()
	resp := pendingResponse{
		DeviceID: s.d.DeviceID, Database: s.store.Path(), GeneratedAt: s.now().UTC().Format(time.RFC3339Nano),
		PeakToday: live.PeakToday, Deltas: make([]pendingDeltaJSON, 0, len(u.Deltas)), Peaks: make([]pendingPeakJSON, 0, len(u.Peaks)),
		Live: make([]pendingLiveJSON, 0, len(live.Interfaces)),
	}
	if !st.LastFlush.IsZero() {
		resp.LastFlush = st.LastFlush.UTC().Format(time.RFC3339Nano)
	}
	if !live.Time.IsZero() {
		resp.PeakTime = live.Time.UTC().Format(time.RFC3339Nano)
	}
	for _, d := range u.Deltas {
		resp.Deltas = append(resp.Deltas, pendingDeltaJSON{
			Interface: d.Iface, MAC: d.MAC, Counted: d.Counted, Bucket: d.Bucket.UTC().Format(time.RFC3339),
			BytesSent: d.Tx, BytesReceived: d.Rx,
		})
	}
	for _, k := range u.Peaks {
		resp.Peaks = append(resp.Peaks, pendingPeakJSON{Bucket: k.Bucket.UTC().Format(time.RFC3339), BytesPerSecond: k.BytesPerSec})
	}
	for _, l := range liveRates(live) {
		resp.Live = append(resp.Live, pendingLiveJSON{Interface: l.Name, Kind: l.Kind, Counted: l.Counted, RxPerSec: l.RxPerSec, TxPerSec: l.TxPerSec})
	}
	return writeJSON(w, resp)
}

// PendingSet is GET /api/pending decoded: a daemon's unwritten traffic and
// what it belongs to.
type PendingSet struct {
	DeviceID  string
	Database  string
	Unwritten usage.Unwritten
	// PeakToday is the daemon's live peak of today, read at PeakTime.
	PeakToday uint64
	PeakTime  time.Time
	// Live is each interface the daemon sees now, with its speed (empty
	// from a daemon that predates it).
	Live []query.LiveRate
}

// DecodePending reads a GET /api/pending body.
func DecodePending(r io.Reader) (PendingSet, error) {
	var resp pendingResponse
	var ps PendingSet
	if err := json.NewDecoder(r).Decode(&resp); err != nil {
		return ps, fmt.Errorf("decode pending traffic: %w", err)
	}
	ps.DeviceID, ps.Database, ps.PeakToday = resp.DeviceID, resp.Database, resp.PeakToday
	var err error
	if resp.PeakTime != "" {
		if ps.PeakTime, err = time.Parse(time.RFC3339Nano, resp.PeakTime); err != nil {
			return ps, fmt.Errorf("decode pending traffic: peak_time: %w", err)
		}
	}
	for _, d := range resp.Deltas {
		b, err := time.Parse(time.RFC3339, d.Bucket)
		if err != nil {
			return ps, fmt.Errorf("decode pending traffic: bucket: %w", err)
		}
		ps.Unwritten.Deltas = append(ps.Unwritten.Deltas, usage.UnwrittenDelta{
			Delta:   usage.Delta{Iface: d.Interface, MAC: d.MAC, Bucket: b.UTC(), Totals: usage.Totals{Rx: d.BytesReceived, Tx: d.BytesSent}},
			Counted: d.Counted,
		})
	}
	for _, k := range resp.Peaks {
		b, err := time.Parse(time.RFC3339, k.Bucket)
		if err != nil {
			return ps, fmt.Errorf("decode pending traffic: bucket: %w", err)
		}
		ps.Unwritten.Peaks = append(ps.Unwritten.Peaks, usage.Peak{Bucket: b.UTC(), BytesPerSec: k.BytesPerSecond})
	}
	for _, l := range resp.Live {
		ps.Live = append(ps.Live, query.LiveRate{Name: l.Interface, Kind: l.Kind, Counted: l.Counted, RxPerSec: l.RxPerSec, TxPerSec: l.TxPerSec})
	}
	return ps, nil
}

// liveRates are the interfaces of the monitor's latest poll with their
// speeds, as the query layer takes them.
func liveRates(live monitor.Live) []query.LiveRate {
	rates := make([]query.LiveRate, 0, len(live.Interfaces))
	for _, l := range live.Interfaces {
		rates = append(rates, query.LiveRate{Name: l.Name, Kind: l.Kind, Counted: l.Counted, RxPerSec: l.RxPerSec, TxPerSec: l.TxPerSec})
	}
	return rates
}
