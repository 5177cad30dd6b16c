-- PacketBuddy schema 8: traffic per application (pb serve with
-- [apps] enabled = true).
--
-- An application is (executable path, command name, systemd service,
-- flatpak/snap package). Its traffic is kept per interface in 15-minute
-- buckets only (apps are many: no 1-minute tier, no rollups), keyed
-- (ts, iface_id, app_id) like the interface tiers so a flush appends at the
-- right edge (IF NOT EXISTS: applying the file again is harmless). For each interface and bucket the rows, the "unattributed"
-- app included, add up to the interface's coarse row. Rows older than
-- [apps] retention are deleted (PruneApps).
CREATE TABLE IF NOT EXISTS apps (
    id         INTEGER PRIMARY KEY,
    path       TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    unit       TEXT    NOT NULL DEFAULT '',
    package    TEXT    NOT NULL DEFAULT '',
    first_seen INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    UNIQUE (path, name, unit, package)
);

CREATE TABLE IF NOT EXISTS app_usage (
    ts       INTEGER NOT NULL,
    iface_id INTEGER NOT NULL REFERENCES interfaces (id),
    app_id   INTEGER NOT NULL REFERENCES apps (id),
    rx       INTEGER NOT NULL,
    tx       INTEGER NOT NULL,
    PRIMARY KEY (ts, iface_id, app_id)
) WITHOUT ROWID;
