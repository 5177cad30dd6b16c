-- PacketBuddy schema 4: period totals.
--
-- Traffic known only as the whole of a local month or year (PacketBuddy
-- 1.x monthly_aggregates, vnStat month and year rows beyond their days) is
-- kept as such: one row per interface and period, [start, end) in unix
-- seconds of the local calendar bounds at import. It is in the lifetime
-- table and in month, year and lifetime views, never in a day, an hour, a
-- 15-minute bucket, top days, averages or forecasts: it has no day to land
-- on. kind is 'month' or 'year'.
CREATE TABLE periods (
    iface_id INTEGER NOT NULL REFERENCES interfaces (id),
    start    INTEGER NOT NULL,
    end      INTEGER NOT NULL,
    kind     TEXT    NOT NULL,
    rx       INTEGER NOT NULL,
    tx       INTEGER NOT NULL,
    PRIMARY KEY (start, end, iface_id)
) WITHOUT ROWID;
