-- PacketBuddy schema 6: one change sequence per outbox row.
--
-- Schema 2 gave every row of a first-time (or repeated) resend the same
-- sequence number, so acknowledging the first batch sent (DELETE ... WHERE
-- seq <= the last sequence sent) deleted the rest of the history too, unsent.
-- From here on every outbox row has its own sequence, and a UNIQUE index
-- makes a tie an error instead of a silent loss: an acknowledgement can only
-- remove rows that were read (read in sequence order, so every row with a
-- sequence up to the last one read was read).
--
-- A device that synced under schemas 2 to 5 may be missing history remotely, so
-- when sync is on every coarse bucket is queued once more, oldest first:
-- the remote rows take absolute values, so re-sending is harmless.

DROP INDEX sync_outbox_seq;

DELETE FROM sync_outbox;

INSERT INTO sync_outbox (iface_id, ts, seq)
    SELECT iface_id, ts, (SELECT n FROM sync_seq WHERE id = 1) + row_number() OVER (ORDER BY ts, iface_id)
    FROM coarse
    WHERE EXISTS (SELECT 1 FROM state WHERE key = 'sync_tracking');

UPDATE sync_seq SET n = n + (SELECT count(*) FROM sync_outbox) WHERE id = 1;

CREATE UNIQUE INDEX sync_outbox_seq ON sync_outbox (seq);
