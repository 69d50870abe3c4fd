-- `gdarchive pull`: for each detector, the instant up to which its findings have been pulled
-- and stored. The next pull asks for findings updated since then (minus a small overlap). A
-- cursor only moves forward, and only after everything up to it was stored.
CREATE TABLE pull_cursors (
    region        TEXT    NOT NULL,
    detector_id   TEXT    NOT NULL,
    pulled_to_ms  INTEGER NOT NULL,   -- epoch milliseconds
    last_pull_at  TEXT    NOT NULL,   -- ISO 8601 UTC
    PRIMARY KEY (region, detector_id)
);
