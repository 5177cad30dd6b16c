package api

import (
	"context"
	_ "embed"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/packetbuddy/pb/internal/query"
	pbsync "github.com/packetbuddy/pb/internal/sync"
)

// Handlers of the system group: health, storage, cleanup, the OpenAPI
// document and the dashboard.

// healthResponse is /api/health. timestamp is RFC 3339 with the zone offset
// (v1 printed naive UTC).
type healthResponse struct {
	Status      string `json:"status"`
	Version     string `json:"version"`
	ReleaseDate string `json:"release_date"`
	DeviceID    string `json:"device_id"`
	OSType      string `json:"os_type"`
	Hostname    string `json:"hostname"`
	DeviceCount int    `json:"device_count"`
	SyncEnabled bool   `json:"sync_enabled"`
	Timestamp   string `json:"timestamp"`
	Timezone    string `json:"timezone"`
	// Units is the unit family of every human_readable string: "si" or
	// "iec" ([display] units); the dashboard formats bytes with it.
	Units         string        `json:"units"`
	Storage       healthStorage `json:"storage"`
	Monitor       healthMonitor `json:"monitor"`
	UptimeSeconds int64         `json:"uptime_seconds"`
	// Sync is the fleet syncer's state, with sync on.
	Sync *pbsync.Status `json:"sync,omitempty"`
}

type healthStorage struct {
	DBSizeMB    float64 `json:"db_size_mb"`
	DBSizeBytes int64   `json:"db_size_bytes"`
	storageFields
}

type healthMonitor struct {
	Running        bool   `json:"running"`
	LastPoll       string `json:"last_poll,omitempty"`
	LastFlush      string `json:"last_flush,omitempty"`
	LastFlushError bool   `json:"last_flush_failed"`
	FlushErrors    uint64 `json:"flush_errors"`
	Discarded      uint64 `json:"discarded_samples"`
	PendingBuckets int    `json:"pending_buckets"`
}

// handleHealth must stay under a millisecond on any database: it reads
// the file size with os.Stat, row counts only from the maintained counts
// and a cache (see storageFields), and is rendered once a second, which is
// the resolution of its timestamp.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) error {
	now := s.now()
	return writeCached(w, &s.cache.healthResp, now.Unix(), func() ([]byte, error) {
		size := s.dbSize()
		st := s.mon.Status()
		resp := healthResponse{
			Status:      "running",
			Version:     s.d.Version,
			ReleaseDate: s.d.ReleaseDate,
			DeviceID:    s.d.DeviceID,
			OSType:      s.d.OSType,
			Hostname:    s.d.Hostname,
			DeviceCount: 1,
			Timestamp:   now.In(s.loc).Format(time.RFC3339),
			Timezone:    s.loc.String(),
			Units:       s.set.UnitBase.String(),
			Storage:     healthStorage{DBSizeMB: roundTo(float64(size)/(1<<20), 2), DBSizeBytes: size},
			Monitor: healthMonitor{
				Running:        !st.Started.IsZero(),
				LastFlushError: st.LastFlushError != "",
				FlushErrors:    st.FlushErrors,
				Discarded:      st.Discarded,
				PendingBuckets: st.Pending,
			},
		}
		if !st.LastPoll.IsZero() {
			resp.Monitor.LastPoll = st.LastPoll.In(s.loc).Format(time.RFC3339)
		}
		if !st.LastFlush.IsZero() {
			resp.Monitor.LastFlush = st.LastFlush.In(s.loc).Format(time.RFC3339)
		}
		if !st.Started.IsZero() {
			resp.UptimeSeconds = int64(now.Sub(st.Started) / time.Second)
		}
		if s.d.Sync != nil {
			ss := s.d.Sync.Status(r.Context())
			resp.SyncEnabled, resp.Sync = true, &ss
		}
		f, err := s.storageFields(r.Context(), size, resp.Sync)
		if err != nil {
			return nil, err
		}
		resp.Storage.storageFields = f
		return marshal(resp)
	})
}

// dbSize is the database file plus its WAL.
func (s *Server) dbSize() int64 {
	p := s.store.Path()
	if p == "" {
		return 0
	}
	var n int64
	for _, f := range []string{p, p + "-wal"} {
		if fi, err := os.Stat(f); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// storageResponse is /api/storage.
type storageResponse struct {
	Local     storageLocal     `json:"local"`
	Retention storageRetention `json:"retention"`
	// Neon is 1.x's name for the sync database: null with sync off, else
	// its size and devices (the same as Remote).
	Neon *storageNeon `json:"neon"`
	// Remote is the sync database's pb tables, with sync on (omitted when
	// it cannot be read).
	Remote *storageRemote `json:"remote,omitempty"`
}

type storageNeon struct {
	TotalMB     float64 `json:"total_mb"`
	DeviceCount int     `json:"device_count"`
}

type storageRemote struct {
	DBSizeMB    float64 `json:"db_size_mb"`
	DBSizeBytes int64   `json:"db_size_bytes"`
	Devices     int     `json:"devices"`
}

type storageLocal struct {
	DBSizeMB      float64 `json:"db_size_mb"`
	DBSizeBytes   int64   `json:"db_size_bytes"`
	SchemaVersion int     `json:"schema_version"`
	Interfaces    int     `json:"interfaces"`
	FineRows      int64   `json:"fine_rows"`
	CoarseRows    int64   `json:"coarse_rows"`
	PeakRows      int64   `json:"peak_rows"`
	EventRows     int64   `json:"event_rows"`
	OldestFine    string  `json:"oldest_fine,omitempty"`
	NewestFine    string  `json:"newest_fine,omitempty"`
	OldestCoarse  string  `json:"oldest_coarse,omitempty"`
	NewestCoarse  string  `json:"newest_coarse,omitempty"`
	CreatedAt     string  `json:"created_at,omitempty"`
	storageFields
	// UsagePercent, OldestLog and NewestLog are 1.x's names here for
	// storage_usage_percent and the 1-minute tier's first and last bucket.
	UsagePercent float64 `json:"usage_percent"`
	OldestLog    *string `json:"oldest_log"`
	NewestLog    *string `json:"newest_log"`
}

type storageRetention struct {
	FineDays            int    `json:"fine_days,omitempty"`
	FineBucketSeconds   int    `json:"fine_bucket_seconds"`
	CoarseBucketSeconds int    `json:"coarse_bucket_seconds"`
	Coarse              string `json:"coarse"`
	Lifetime            string `json:"lifetime"`
	// 1.x's names: days of detail (1-minute here); aggregates and the sync
	// database's rows are never deleted (null: no limit).
	LocalLogDays         int  `json:"local_log_days"`
	LocalAggregateMonths *int `json:"local_aggregate_months"`
	NeonLogDays          *int `json:"neon_log_days"`
	NeonAggregateMonths  *int `json:"neon_aggregate_months"`
}

func (s *Server) handleStorage(w http.ResponseWriter, r *http.Request) error {
	v, err := s.q.Storage(r.Context())
	if err != nil {
		return err
	}
	var sync *pbsync.Status
	if s.d.Sync != nil {
		ss := s.d.Sync.Status(r.Context())
		sync = &ss
	}
	resp := s.enc.storage(v, sync)
	if s.d.Fleet != nil {
		ctx, cancel := context.WithTimeout(r.Context(), fleetTimeout)
		fu, err := s.d.Fleet.Usage(ctx, s.now())
		cancel()
		if err == nil {
			resp.Remote = &storageRemote{DBSizeMB: roundTo(float64(fu.RemoteBytes)/(1<<20), 2), DBSizeBytes: fu.RemoteBytes, Devices: len(fu.Devices)}
			resp.Neon = &storageNeon{TotalMB: resp.Remote.DBSizeMB, DeviceCount: resp.Remote.Devices}
		}
	}
	return writeJSON(w, resp)
}

// Storage is /api/storage of a reader with sync off (pb storage --json).
func (e *Encoder) Storage(v query.Storage) ([]byte, error) { return marshal(e.storage(v, nil)) }

// storage is /api/storage's body without the sync database's figures;
// sync is the syncer's status, nil with sync off.
func (e *Encoder) storage(v query.Storage, sync *pbsync.Status) storageResponse {
	st := v.Stats
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(e.loc).Format(time.RFC3339)
	}
	resp := storageResponse{
		Local: storageLocal{
			DBSizeMB: roundTo(float64(st.SizeBytes)/(1<<20), 2), DBSizeBytes: st.SizeBytes,
			SchemaVersion: st.SchemaVersion, Interfaces: st.Interfaces,
			FineRows: st.FineRows, CoarseRows: st.CoarseRows, PeakRows: st.PeakRows, EventRows: st.EventRows,
			OldestFine: ts(st.OldestFine), NewestFine: ts(st.NewestFine),
			OldestCoarse: ts(st.OldestCoarse), NewestCoarse: ts(st.NewestCoarse),
			CreatedAt: ts(st.CreatedAt),
		},
		Retention: storageRetention{
			FineDays:            v.FineRetentionDays,
			FineBucketSeconds:   60,
			CoarseBucketSeconds: 900,
			Coarse:              "kept for ever",
			Lifetime:            "never reduced by retention",
			LocalLogDays:        v.FineRetentionDays,
		},
	}
	f := fieldsOf(v.Counts, v.Use, sync)
	resp.Local.storageFields, resp.Local.UsagePercent = f, f.StorageUsagePercent
	if !st.OldestFine.IsZero() {
		o, n := ts(st.OldestFine), ts(st.NewestFine)
		resp.Local.OldestLog, resp.Local.NewestLog = &o, &n
	}
	return resp
}

// cleanupResponse is POST /api/storage/cleanup: pb's fields and 1.x's
// (local.logs_deleted, local.aggregates_deleted, neon, vacuum_run).
type cleanupResponse struct {
	Status      string       `json:"status"`
	DryRun      bool         `json:"dry_run"`
	DeletedRows int64        `json:"deleted_rows"`
	Message     string       `json:"message"`
	Local       cleanupLocal `json:"local"`
	Neon        *struct{}    `json:"neon"`       // pb never deletes from the sync database
	VacuumRun   bool         `json:"vacuum_run"` // pb reuses freed pages instead
}

type cleanupLocal struct {
	LogsDeleted       int64            `json:"logs_deleted"`
	EventsDeleted     int64            `json:"events_deleted"`
	AggregatesDeleted map[string]int64 `json:"aggregates_deleted"` // always empty: aggregates are kept
}

// handleCleanup prunes the fine tier past its retention and old events;
// with dry_run=true it only counts what it would delete (a dry run is
// still POST, like the cleanup it previews). It changes state, so it is
// POST only and the middleware refuses it cross-site.
func (s *Server) handleCleanup(w http.ResponseWriter, r *http.Request) error {
	p, err := parseParams(r)
	if err != nil {
		return err
	}
	dry, err := p.boolParam("dry_run")
	if err != nil {
		return err
	}
	n, err := s.store.PruneWith(r.Context(), dry)
	if err != nil {
		return err
	}
	resp := cleanupResponse{
		Status: "ok", DryRun: dry, DeletedRows: n.Total(),
		Local: cleanupLocal{LogsDeleted: n.FineRows, EventsDeleted: n.EventRows, AggregatesDeleted: map[string]int64{}},
	}
	if dry {
		resp.DeletedRows = 0
		resp.Message = fmt.Sprintf("Dry run: would remove %d rows of 1-minute detail older than the retention and %d old events; nothing was deleted.", n.FineRows, n.EventRows)
		return writeJSON(w, resp)
	}
	s.cache.reset()
	s.resetPeak()
	resp.Message = "Removed 1-minute detail older than the retention; 15-minute history and lifetime totals are kept."
	return writeJSON(w, resp)
}

//go:embed openapi.json
var openAPI []byte

func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-cache")
	h := w.Header()
	h["Content-Type"] = []string{ctJSON}
	_, err := w.Write(openAPI)
	return err
}

func (s *Server) redirectDashboard(w http.ResponseWriter, r *http.Request) {
	if s.d.FleetHome {
		http.Redirect(w, r, "/dashboard/fleet.html", http.StatusFound)
		return
	}
	http.Redirect(w, r, "/dashboard/", http.StatusFound)
}

// placeholderPage is served under /dashboard/ when the binary has no
// dashboard built in.
const placeholderPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>PacketBuddy</title></head>
<body><h1>PacketBuddy</h1>
<p>The dashboard is not built into this binary. The API is running: see <a href="/api/openapi.json">/api/openapi.json</a>.</p>
</body></html>
`

// dashboard serves the embedded dashboard files, or a placeholder page.
func (s *Server) dashboard() http.Handler {
	if s.d.Dashboard == nil {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/dashboard/" && r.URL.Path != "/dashboard/index.html" {
				notFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-cache")
			_, _ = w.Write([]byte(placeholderPage))
		})
	}
	return s.static
}
