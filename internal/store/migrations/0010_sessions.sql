-- PacketBuddy schema 10: paired browser sessions (pb pair, pb sessions).
--
-- A phone that entered a pairing code holds a session cookie. Only the
-- SHA-256 of the cookie's secret is kept, so a copy of the database cannot
-- be used to sign in; the id is public (listed, used to revoke). Sessions
-- survive a daemon restart; expired ones are deleted when the daemon loads
-- them.
CREATE TABLE IF NOT EXISTS sessions (
    id         TEXT    PRIMARY KEY,
    hash       BLOB    NOT NULL UNIQUE,
    name       TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
