// Package store is PacketBuddy's SQLite database: the schema and its
// migrations, the daemon's writes, and every query the API and the CLI need.
// All SQL of the project lives here.
//
// # Tiers
//
// Traffic is stored as byte counts per interface in UTC time buckets. Every
// Flush adds each delta, in one transaction, to:
//
//   - fine: 1-minute buckets (usage.FineBucket), for live-ish charts and
//     minute-exact totals of recent time. Prune deletes rows older than
//     Options.FineRetentionDays.
//   - coarse: 15-minute buckets (usage.CoarseBucket), kept for ever; a busy
//     interface-year is 35,040 rows of ~21 bytes.
//   - hourly and daily: rollups of the coarse tier per UTC hour and UTC day,
//     kept for ever (+27% of the coarse tier). A range sum reads coarse rows
//     only at its ragged ends, hourly rows up to the first UTC midnight and
//     daily rows in between: a month is ~100 rows per interface, not ~3,000.
//     A rollup bucket is only read when it lies entirely inside the range, so
//     results are exactly those of the coarse tier.
//   - lifetime: everything ever counted per interface, never reduced by
//     retention.
//
// Peaks (the highest counted speed per 15-minute bucket, MAX-merged) and
// events (bounded by Prune) complete the data.
//
// Two dimensions split the coarse tier further, in 15-minute buckets per
// interface: app_usage (per application, every app including
// "unattributed" stored, pruned after the apps retention) and
// network_usage (per network, kept for ever). Only known networks are
// stored; the unknown network is the coarse row less its known networks
// (NetworkTotals), so the networks of an interface add up to its total in
// every bucket, history from before schema 9 included.
//
// A bucket always counts whole, by its start: a query over [from, to) sums the
// buckets whose start lies in [from, to). Store.Totals documents how the fine
// tier refines the ends of a range that is not on 15-minute edges.
//
// # Zones
//
// Local days, hours and months are computed at query time for any
// *time.Location. Each local period is a UTC range [start, end) from Go's own
// zone rules (usage.Date.Start, which handles DST and skipped midnights), and
// the ranges of a query are summed in SQL in one statement. A DST change day
// simply is a 23- or 25-hour range. Every real zone's offset and every DST
// transition since 1970 is a multiple of 15 minutes (UTC+5:30, +5:45, -3:30,
// +12:45 included), so every local midnight and hour falls on a coarse bucket
// edge and the sums are exact; historical offsets that are not (local mean
// time before ~1970) assign each bucket by its start.
//
// # Files
//
// The database is one SQLite file in WAL mode (synchronous=NORMAL,
// busy_timeout, foreign_keys, a 256 KiB page cache per connection), created
// with mode 0600 in a 0700 directory; SQLite gives the -wal and -shm files
// the file's mode. Traffic tables are WITHOUT ROWID and keyed (ts, iface_id),
// and pages are 1 KiB: a flush appends to the last leaf of each table it
// touches, whatever the number of interfaces, so a steady flush writes ~7
// pages (~9 KB with checkpoints, 0.3 KB/s at one flush per 30 s).
//
// The schema version is PRAGMA user_version, advanced by the embedded
// migrations/NNNN_*.sql files, one transaction each. PRAGMA application_id
// marks the file as PacketBuddy's, so a newer schema, a foreign SQLite
// database or a file that is not SQLite is refused with a clear error and
// left untouched.
//
// # Driver
//
// The package imports no SQLite driver: it opens database/sql's "sqlite" by
// name, and the program registers the driver by importing internal/sqlite
// for effect (internal/cli does; so does every test that opens a store).
// Without it Open and Check fail with ErrNoDriver before touching a file.
// SQLite's errors are classified by their result codes (SQLITE_NOTADB,
// SQLITE_CORRUPT) through any error with a Code() int method, so nothing
// here names the driver's types. The data source names use
// modernc.org/sqlite's parameters (_pragma, _txlock, _journal_mode).
//
// Only the daemon writes (Open without ReadOnly). The CLI opens the same file
// ReadOnly while the daemon runs; WAL lets it read without blocking the writer.
// A writable Store reads through its own pool of read-only connections, so
// API queries never wait behind a flush.
package store
