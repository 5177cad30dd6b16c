-- PacketBuddy schema 1.
--
-- All timestamps are INTEGER unix seconds (UTC). Byte counts are INTEGER
-- (SQLite stores small values in 1-4 bytes, 0 in none). Traffic tables are
-- WITHOUT ROWID and keyed (ts, iface_id): a row is ~12-20 bytes, every flush
-- appends to the rightmost leaf of each table whatever the number of
-- interfaces (one page write per table, where (iface_id, ts) writes one per
-- interface), and a time range of all interfaces is one contiguous scan.

-- application_id marks the file as PacketBuddy's ("PBdb"), so a foreign
-- SQLite database is recognised and never migrated into.
PRAGMA application_id = 1346528354;

-- One row per (name, mac): another adapter that takes an old name is another
-- interface. counted is the interface policy, recomputed by ApplyPolicy.
CREATE TABLE interfaces (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    mac        TEXT    NOT NULL DEFAULT '',
    kind       TEXT    NOT NULL DEFAULT '',
    counted    INTEGER NOT NULL DEFAULT 1,
    first_seen INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    UNIQUE (name, mac)
);

-- Fine tier: 1-minute buckets (ts a multiple of 60), pruned after the fine
-- retention.
CREATE TABLE fine (
    iface_id INTEGER NOT NULL REFERENCES interfaces (id),
    ts       INTEGER NOT NULL,
    rx       INTEGER NOT NULL,
    tx       INTEGER NOT NULL,
    PRIMARY KEY (ts, iface_id)
) WITHOUT ROWID;

-- Coarse tier: 15-minute buckets (ts a multiple of 900), kept for ever.
CREATE TABLE coarse (
    iface_id INTEGER NOT NULL REFERENCES interfaces (id),
    ts       INTEGER NOT NULL,
    rx       INTEGER NOT NULL,
    tx       INTEGER NOT NULL,
    PRIMARY KEY (ts, iface_id)
) WITHOUT ROWID;

-- Rollups of the coarse tier, written by the same transactions: hourly holds
-- the sum of the coarse buckets of each UTC hour (ts a multiple of 3600),
-- daily of each UTC day (ts a multiple of 86400). A range sum reads coarse
-- rows only at its ragged ends, hourly rows up to the first UTC midnight and
-- daily rows in between, so a month is ~100 rows per interface, not ~3,000.
-- Local days of any zone stay exact: no rollup bucket is used unless it lies
-- entirely inside the range.
CREATE TABLE hourly (
    iface_id INTEGER NOT NULL REFERENCES interfaces (id),
    ts       INTEGER NOT NULL,
    rx       INTEGER NOT NULL,
    tx       INTEGER NOT NULL,
    PRIMARY KEY (ts, iface_id)
) WITHOUT ROWID;

CREATE TABLE daily (
    iface_id INTEGER NOT NULL REFERENCES interfaces (id),
    ts       INTEGER NOT NULL,
    rx       INTEGER NOT NULL,
    tx       INTEGER NOT NULL,
    PRIMARY KEY (ts, iface_id)
) WITHOUT ROWID;

-- Everything ever counted per interface; never reduced by retention.
CREATE TABLE lifetime (
    iface_id INTEGER PRIMARY KEY REFERENCES interfaces (id),
    rx       INTEGER NOT NULL,
    tx       INTEGER NOT NULL
);

-- Highest total counted speed (bytes/s) per 15-minute bucket, MAX-merged.
CREATE TABLE peaks (
    ts  INTEGER PRIMARY KEY,
    bps INTEGER NOT NULL
) WITHOUT ROWID;

-- The user-visible event log (spikes, resets, restarts...), bounded by Prune.
CREATE TABLE events (
    id      INTEGER PRIMARY KEY,
    ts      INTEGER NOT NULL,
    kind    TEXT    NOT NULL,
    iface   TEXT    NOT NULL DEFAULT '',
    rx      INTEGER NOT NULL DEFAULT 0,
    tx      INTEGER NOT NULL DEFAULT 0,
    message TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX events_ts ON events (ts);

-- Small key/value state: the counter snapshot (JSON), device identity,
-- the fine-tier prune watermark.
CREATE TABLE state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
