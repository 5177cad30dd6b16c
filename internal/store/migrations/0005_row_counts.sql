-- PacketBuddy schema 5: maintained row counts.
--
-- /api/health reports how many rows the tiers hold (the 1.x storage
-- fields) once a second; counting the 15-minute tier of ten years is tens
-- of milliseconds, so the counts of the tables that grow for ever are kept
-- here by triggers instead. A new coarse row is written once per quarter
-- hour and interface, a daily row once a day, so the triggers add a write
-- to this one small page only then. The 1-minute tier is bounded by its
-- retention and is counted when asked.
CREATE TABLE row_counts (
    tbl TEXT PRIMARY KEY,
    n   INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO row_counts (tbl, n) VALUES
    ('coarse', (SELECT count(*) FROM coarse)),
    ('daily', (SELECT count(*) FROM daily)),
    ('periods', (SELECT count(*) FROM periods));

CREATE TRIGGER coarse_count_insert AFTER INSERT ON coarse BEGIN
    UPDATE row_counts SET n = n + 1 WHERE tbl = 'coarse';
END;
CREATE TRIGGER coarse_count_delete AFTER DELETE ON coarse BEGIN
    UPDATE row_counts SET n = n - 1 WHERE tbl = 'coarse';
END;
CREATE TRIGGER daily_count_insert AFTER INSERT ON daily BEGIN
    UPDATE row_counts SET n = n + 1 WHERE tbl = 'daily';
END;
CREATE TRIGGER daily_count_delete AFTER DELETE ON daily BEGIN
    UPDATE row_counts SET n = n - 1 WHERE tbl = 'daily';
END;
CREATE TRIGGER periods_count_insert AFTER INSERT ON periods BEGIN
    UPDATE row_counts SET n = n + 1 WHERE tbl = 'periods';
END;
CREATE TRIGGER periods_count_delete AFTER DELETE ON periods BEGIN
    UPDATE row_counts SET n = n - 1 WHERE tbl = 'periods';
END;
