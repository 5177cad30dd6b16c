-- PacketBuddy schema 3: the data-plan alert history.
--
-- One row per alert fired (a threshold of a plan's cap reached, or the
-- forecast first passing the cap). Which alerts already fired in the
-- current cycle is kept separately, as JSON in state (key plan_alerts), so
-- deleting history never repeats an alert.

CREATE TABLE plan_alerts (
    id          INTEGER PRIMARY KEY,
    ts          INTEGER NOT NULL, -- when it fired, Unix seconds
    plan        TEXT    NOT NULL,
    kind        TEXT    NOT NULL, -- threshold | forecast
    threshold   INTEGER NOT NULL, -- percent of the cap; 0 for forecast
    used        INTEGER NOT NULL, -- bytes counted this cycle
    cap         INTEGER NOT NULL,
    forecast    INTEGER NOT NULL,
    cycle_start INTEGER NOT NULL, -- Unix seconds
    cycle_end   INTEGER NOT NULL,
    title       TEXT    NOT NULL,
    message     TEXT    NOT NULL
);
CREATE INDEX plan_alerts_ts ON plan_alerts (ts);
