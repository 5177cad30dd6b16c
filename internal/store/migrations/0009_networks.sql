-- PacketBuddy schema 9: traffic per network (the network an interface is
-- attached to, identified by its default gateway's MAC and the Wi-Fi SSID).
--
-- networks holds what the user sees and edits: a unique name and the
-- metered flag. network_fingerprints maps each fingerprint ever seen to
-- its network; merging two networks moves the fingerprints (and the
-- traffic) of one to the other, so history and future visits stay
-- together.
--
-- network_usage keeps the traffic of KNOWN networks per interface in
-- 15-minute buckets, kept for ever like the coarse tier, keyed
-- (ts, iface_id, network_id) so a flush appends at the right edge. The
-- unknown network is not stored: it is an interface's coarse row minus its
-- known networks' rows for the same bucket, so the networks of an
-- interface add up exactly to its total in every bucket, history from
-- before this schema (all unknown) and imported history included, at no
-- cost in rows. Networks are few (one per interface at a time), so a
-- month is at most ~3,000 rows per interface and no rollup tier is kept.
CREATE TABLE IF NOT EXISTS networks (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    metered    INTEGER NOT NULL DEFAULT 0,
    first_seen INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS network_fingerprints (
    fingerprint TEXT    PRIMARY KEY,
    network_id  INTEGER NOT NULL REFERENCES networks (id),
    gateway     TEXT    NOT NULL DEFAULT '',
    gateway_mac TEXT    NOT NULL DEFAULT '',
    ssid        TEXT    NOT NULL DEFAULT '',
    ssid_status TEXT    NOT NULL DEFAULT '',
    first_seen  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX IF NOT EXISTS network_fingerprints_network ON network_fingerprints (network_id);

CREATE TABLE IF NOT EXISTS network_usage (
    ts         INTEGER NOT NULL,
    iface_id   INTEGER NOT NULL REFERENCES interfaces (id),
    network_id INTEGER NOT NULL REFERENCES networks (id),
    rx         INTEGER NOT NULL,
    tx         INTEGER NOT NULL,
    PRIMARY KEY (ts, iface_id, network_id)
) WITHOUT ROWID;
