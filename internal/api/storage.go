package api

import (
	"context"
	"fmt"

	"github.com/packetbuddy/pb/internal/query"
	pbsync "github.com/packetbuddy/pb/internal/sync"
	"github.com/packetbuddy/pb/internal/usage"
)

// storageFields are PacketBuddy 1.x's storage fields, in /api/health's
// storage and /api/storage's local. pb has other tables than 1.x, so each
// name now means:
//
//   - usage_logs_count: 1-minute buckets (the detail tier, kept
//     fine_retention_days; 1.x kept per-second logs);
//   - daily_aggregates_count: daily rollup rows, one per interface and UTC
//     day with traffic;
//   - monthly_aggregates_count: month and year totals known only as a whole
//     (imported; pb keeps no monthly table, months are summed when asked);
//   - synced_count / unsynced_count: 15-minute buckets acknowledged by the
//     sync database / waiting to be sent (both 0 with sync off);
//   - storage_usage_percent and warning: the database file (with its WAL)
//     against storage.max_storage_mb.
//
// All are cheap: every count is kept by triggers (one small read).
type storageFields struct {
	MaxStorageMB           int     `json:"max_storage_mb"`
	UsageLogsCount         int64   `json:"usage_logs_count"`
	DailyAggregatesCount   int64   `json:"daily_aggregates_count"`
	MonthlyAggregatesCount int64   `json:"monthly_aggregates_count"`
	SyncedCount            int64   `json:"synced_count"`
	UnsyncedCount          int64   `json:"unsynced_count"`
	StorageUsagePercent    float64 `json:"storage_usage_percent"`
	Warning                *string `json:"warning"` // null when under the limit, as 1.x
}

// storageFields computes the 1.x fields for a database of size bytes; sync
// is the syncer's status, nil with sync off.
func (s *Server) storageFields(ctx context.Context, size int64, sync *pbsync.Status) (storageFields, error) {
	counts, err := s.store.MaintainedCounts(ctx)
	if err != nil {
		return storageFields{}, err
	}
	return fieldsOf(counts, query.UseOf(size, s.set.MaxStorageMB), sync), nil
}

// fieldsOf are the 1.x fields of a database with counts rows, measured by
// use.
func fieldsOf(counts usage.RowCounts, use query.StorageUse, sync *pbsync.Status) storageFields {
	f := storageFields{
		MaxStorageMB:           use.LimitMB,
		UsageLogsCount:         counts.Fine,
		DailyAggregatesCount:   counts.Daily,
		MonthlyAggregatesCount: counts.Periods,
		StorageUsagePercent:    use.Percent,
	}
	if sync != nil {
		f.UnsyncedCount = sync.Pending
		f.SyncedCount = max(counts.Coarse-sync.Pending, 0)
	}
	if use.Over() {
		w := fmt.Sprintf("Database size (%.2f MB) exceeds the limit (%d MB); pb storage cleanup removes 1-minute detail past its retention, storage.max_storage_mb sets the limit",
			roundTo(float64(use.SizeBytes)/(1<<20), 2), use.LimitMB)
		f.Warning = &w
	}
	return f
}
