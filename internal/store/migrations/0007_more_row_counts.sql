-- PacketBuddy schema 7: the remaining row counts kept by triggers.
--
-- /api/storage and pb status counted the 1-minute tier, the peaks (one
-- per quarter hour, for ever), the events and the interfaces on every
-- call: 0.1 s and more on a ten-year database. Their counts join those of
-- schema 5 here. A trigger runs once per new or deleted row only (an
-- upsert that updates a row fires no INSERT trigger), so a flush adds a
-- write to this one small page once per new minute and interface. The
-- counts are set, not added, so applying this file again is harmless.
INSERT INTO row_counts (tbl, n) VALUES
    ('fine', (SELECT count(*) FROM fine)),
    ('peaks', (SELECT count(*) FROM peaks)),
    ('events', (SELECT count(*) FROM events)),
    ('interfaces', (SELECT count(*) FROM interfaces))
    ON CONFLICT (tbl) DO UPDATE SET n = excluded.n;

CREATE TRIGGER IF NOT EXISTS fine_count_insert AFTER INSERT ON fine BEGIN
    UPDATE row_counts SET n = n + 1 WHERE tbl = 'fine';
END;
CREATE TRIGGER IF NOT EXISTS fine_count_delete AFTER DELETE ON fine BEGIN
    UPDATE row_counts SET n = n - 1 WHERE tbl = 'fine';
END;
CREATE TRIGGER IF NOT EXISTS peaks_count_insert AFTER INSERT ON peaks BEGIN
    UPDATE row_counts SET n = n + 1 WHERE tbl = 'peaks';
END;
CREATE TRIGGER IF NOT EXISTS peaks_count_delete AFTER DELETE ON peaks BEGIN
    UPDATE row_counts SET n = n - 1 WHERE tbl = 'peaks';
END;
CREATE TRIGGER IF NOT EXISTS events_count_insert AFTER INSERT ON events BEGIN
    UPDATE row_counts SET n = n + 1 WHERE tbl = 'events';
END;
CREATE TRIGGER IF NOT EXISTS events_count_delete AFTER DELETE ON events BEGIN
    UPDATE row_counts SET n = n - 1 WHERE tbl = 'events';
END;
CREATE TRIGGER IF NOT EXISTS interfaces_count_insert AFTER INSERT ON interfaces BEGIN
    UPDATE row_counts SET n = n + 1 WHERE tbl = 'interfaces';
END;
CREATE TRIGGER IF NOT EXISTS interfaces_count_delete AFTER DELETE ON interfaces BEGIN
    UPDATE row_counts SET n = n - 1 WHERE tbl = 'interfaces';
END;
