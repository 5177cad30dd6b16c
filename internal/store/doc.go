// Package store is PacketBuddy's SQLite database: the schema and its
// migrations, the daemon's writes, and every query the API and the CLI need.
// All SQL of the project lives here.
//
// # Tiers
//
// Traffic is stored as byte counts per interface in UTC time buckets, in two
// tiers written together by every Flush:
//
//   - fine: 1-minute buckets (usage.FineBucket), for live-ish charts and exact
//     partial-quarter totals of recent time. Rows older than
//     Options.FineRetentionDays are deleted by Prune.
//   - coarse: 15-minute buckets (usage.CoarseBucket), kept for ever. A year of
//     one busy interface is 35,040 rows, well under 2 MB.
//
// A per-interface lifetime table is added to by the same transactions and is
// never reduced by retention. Peaks (the highest counted speed per 15-minute
// bucket) are kept for ever too.
//
// A bucket always counts whole, by its start: a query over [from, to) sums the
// buckets whose start lies in [from, to). See Store.Totals for how the two
// tiers are combined when from or to is not on a 15-minute edge.
//
// # Zones
//
// Local days, hours and months are computed at query time for any
// *time.Location: the query range is split into segments of constant UTC
// offset (time.Time.ZoneBounds walks the zone's transitions), each segment is
// grouped in SQL by (ts + offset) / 86400, and a day that spans two segments
// (a DST change day of 23 or 25 hours) is merged in Go. Every real zone's
// offset and every DST transition since 1970 is a multiple of 15 minutes
// (UTC+5:30, +5:45, -3:30, +12:45 included), so every local midnight and every
// local hour falls on a coarse bucket edge and the coarse tier is exact.
// Historical offsets that are not (local mean time before ~1970) assign each
// bucket by its start.
//
// # Files
//
// The database is one SQLite file in WAL mode (synchronous=NORMAL,
// busy_timeout, foreign_keys, a 256 KiB page cache per connection) created
// with mode 0600; SQLite gives the -wal and -shm files the same mode. Its
// schema version is PRAGMA user_version and its PRAGMA application_id marks it
// as PacketBuddy's, so a newer schema or a foreign database is refused with a
// clear error instead of being damaged.
//
// Only the daemon writes (Open without ReadOnly). The CLI opens the same file
// ReadOnly while the daemon runs; WAL lets it read without blocking the writer.
package store
