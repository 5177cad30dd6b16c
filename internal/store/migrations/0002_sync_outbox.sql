-- PacketBuddy schema 2: the fleet-sync outbox.
--
-- Every write of a coarse row (by Flush or AddHistory, insert or update)
-- stamps the row's key in sync_outbox with a new change sequence from
-- sync_seq, through the triggers below, so no writer has to know about sync.
-- The syncer sends the rows of sync_outbox in sequence order with their
-- ABSOLUTE coarse values and, once the remote COMMIT succeeded, deletes the
-- entries up to the sequence it sent (AckChanges): an entry re-stamped in the
-- meantime has a higher sequence and stays. The outbox holds only what is
-- not yet acknowledged, so it stays small.

CREATE TABLE sync_seq (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  INTEGER NOT NULL
);
INSERT INTO sync_seq (id, n) VALUES (1, 1);

CREATE TABLE sync_outbox (
    iface_id INTEGER NOT NULL,
    ts       INTEGER NOT NULL,
    seq      INTEGER NOT NULL,
    PRIMARY KEY (iface_id, ts)
) WITHOUT ROWID;
CREATE INDEX sync_outbox_seq ON sync_outbox (seq);

-- Tracking is on only once sync was enabled (StartChangeTracking sets the
-- state key and marks all history pending): without sync the outbox would
-- only grow.

CREATE TRIGGER coarse_sync_insert AFTER INSERT ON coarse
    WHEN EXISTS (SELECT 1 FROM state WHERE key = 'sync_tracking') BEGIN
    UPDATE sync_seq SET n = n + 1 WHERE id = 1;
    INSERT INTO sync_outbox (iface_id, ts, seq)
        VALUES (NEW.iface_id, NEW.ts, (SELECT n FROM sync_seq WHERE id = 1))
        ON CONFLICT (iface_id, ts) DO UPDATE SET seq = excluded.seq;
END;

CREATE TRIGGER coarse_sync_update AFTER UPDATE ON coarse
    WHEN EXISTS (SELECT 1 FROM state WHERE key = 'sync_tracking') BEGIN
    UPDATE sync_seq SET n = n + 1 WHERE id = 1;
    INSERT INTO sync_outbox (iface_id, ts, seq)
        VALUES (NEW.iface_id, NEW.ts, (SELECT n FROM sync_seq WHERE id = 1))
        ON CONFLICT (iface_id, ts) DO UPDATE SET seq = excluded.seq;
END;
