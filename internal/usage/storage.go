package usage

import "time"

// StoreStats describes the database file and its contents.
type StoreStats struct {
	Path          string    // absolute path of the database file
	SizeBytes     int64     // database file + WAL file
	SchemaVersion int       // PRAGMA user_version
	Interfaces    int       // rows of the interfaces table, counted or not
	FineRows      int64     // 1-minute buckets
	CoarseRows    int64     // 15-minute buckets
	PeakRows      int64     // 15-minute peaks
	EventRows     int64     // event log entries
	OldestFine    time.Time // first fine bucket; zero when the tier is empty
	NewestFine    time.Time // last fine bucket
	OldestCoarse  time.Time // first coarse bucket; zero when the tier is empty
	NewestCoarse  time.Time // last coarse bucket
	// FineHorizon is where the fine tier is complete from: before it, rows
	// were pruned or imported coarse-only. Zero when it is complete.
	FineHorizon time.Time
	CreatedAt   time.Time // when the database was created
}

// RowCounts are the rows of the database's tables that triggers keep
// counted: what /api/storage, pb status and the 1.x storage fields of
// /api/health show.
type RowCounts struct {
	Fine       int64 // 1-minute buckets (1.x: usage_logs)
	Coarse     int64 // 15-minute buckets
	Daily      int64 // daily rollup rows, one per interface and UTC day (1.x: daily_aggregates)
	Periods    int64 // month and year totals known only as a whole (1.x: monthly_aggregates)
	Peaks      int64 // 15-minute peak speeds
	Events     int64 // event log entries
	Interfaces int64 // interfaces, counted or not
}
