package query

import (
	"context"
	"errors"

	"github.com/packetbuddy/pb/internal/usage"
)

// DefaultMaxStorageMB is the storage limit when none is configured:
// PacketBuddy 1.x's [storage] max_storage_mb default.
const DefaultMaxStorageMB = 400

// StorageSource reads the database file's figures; *store.Store satisfies
// it.
type StorageSource interface {
	Stats(ctx context.Context) (usage.StoreStats, error)
	MaintainedCounts(ctx context.Context) (usage.RowCounts, error)
}

// StorageUse is a database's size against the storage limit.
type StorageUse struct {
	SizeBytes int64   // the database file and its WAL
	LimitMB   int     // MB of 2^20 bytes, as 1.x's max_storage_mb
	Percent   float64 // of the limit, rounded to 0.01
}

// Over says whether the database is larger than the limit.
func (u StorageUse) Over() bool { return u.SizeBytes > u.LimitBytes() }

// LimitBytes is the limit in bytes.
func (u StorageUse) LimitBytes() int64 { return int64(u.LimitMB) << 20 }

// UseOf measures size bytes against limitMB (0 or less:
// DefaultMaxStorageMB).
func UseOf(size int64, limitMB int) StorageUse {
	if limitMB <= 0 {
		limitMB = DefaultMaxStorageMB
	}
	u := StorageUse{SizeBytes: size, LimitMB: limitMB}
	u.Percent = RoundTo(float64(size)/float64(u.LimitBytes())*100, 2)
	return u
}

// Storage is the database file and its rows: what /api/storage and
// pb storage show.
type Storage struct {
	Stats             usage.StoreStats
	Counts            usage.RowCounts
	Use               StorageUse
	FineRetentionDays int // 0: not known to this reader
}

// errNoStorageSource is Storage's answer on an Engine built without
// Deps.Files.
var errNoStorageSource = errors.New("query: storage figures need Deps.Files")

// Storage reads the database's size and rows and measures them against
// Deps.MaxStorageMB.
func (e *Engine) Storage(ctx context.Context) (Storage, error) {
	if e.files == nil {
		return Storage{}, errNoStorageSource
	}
	st, err := e.files.Stats(ctx)
	if err != nil {
		return Storage{}, err
	}
	c, err := e.files.MaintainedCounts(ctx)
	if err != nil {
		return Storage{}, err
	}
	return Storage{Stats: st, Counts: c, Use: UseOf(st.SizeBytes, e.maxStorageMB), FineRetentionDays: e.fineDays}, nil
}
