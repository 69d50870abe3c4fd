-- What each import changed (the change feed: `gdarchive changes`, `import --emit-changes`).
-- Written by the writer in the transaction that stores the version, computed from the
-- finding's own history in the latest-version order: only a version that becomes the
-- finding's latest in that order has changes (one delivered again, another form of a stored
-- version, or an older version filled in late has none). One version may have several
-- (a recurrence that also escalated is two rows).
--   new            the first version of a finding the archive never held
--   recurred       the count grew: previous_count, and the version's count
--   escalated      the severity value grew: previous_severity, and the version's severity
--   deescalated    the severity value fell
--   archived       service.archived became true
--   unarchived     service.archived became false
--   new_indicator  an indicator value the archive never held before, in any finding:
--                  indicator_kind, indicator_value
CREATE TABLE finding_changes (
    change_id         INTEGER PRIMARY KEY,
    import_run_id     INTEGER NOT NULL REFERENCES import_runs(id),
    version_id        INTEGER NOT NULL REFERENCES versions(version_id),
    kind              TEXT    NOT NULL CHECK (kind IN ('new', 'recurred', 'escalated', 'deescalated', 'archived', 'unarchived', 'new_indicator')),
    previous_count    INTEGER,
    previous_severity REAL,
    indicator_kind    TEXT,
    indicator_value   TEXT
);
CREATE INDEX finding_changes_run ON finding_changes (import_run_id);
CREATE INDEX finding_changes_version ON finding_changes (version_id);
