-- Each finding's row carries a copy of its latest version's columns, so that queries and
-- reports over the latest versions (the default) read one compact row per finding, in
-- findings' own indexes, instead of one scattered row per finding among every version.
-- The writer keeps the copy in step whenever the latest version changes; `check` compares
-- it with the latest version's row.
ALTER TABLE findings ADD COLUMN arn            TEXT;
ALTER TABLE findings ADD COLUMN partition      TEXT;
ALTER TABLE findings ADD COLUMN type           TEXT;
ALTER TABLE findings ADD COLUMN title          TEXT;
ALTER TABLE findings ADD COLUMN severity       REAL;
ALTER TABLE findings ADD COLUMN severity_label TEXT;
ALTER TABLE findings ADD COLUMN confidence     REAL;
ALTER TABLE findings ADD COLUMN created_at     TEXT;
ALTER TABLE findings ADD COLUMN updated_at     TEXT;
ALTER TABLE findings ADD COLUMN first_seen     TEXT;
ALTER TABLE findings ADD COLUMN last_seen      TEXT;
ALTER TABLE findings ADD COLUMN count          INTEGER;
ALTER TABLE findings ADD COLUMN archived       INTEGER;
ALTER TABLE findings ADD COLUMN sample         INTEGER NOT NULL DEFAULT 0;
ALTER TABLE findings ADD COLUMN resource_type  TEXT;
ALTER TABLE findings ADD COLUMN resource_role  TEXT;
ALTER TABLE findings ADD COLUMN action_type    TEXT;
ALTER TABLE findings ADD COLUMN detector_id    TEXT;
ALTER TABLE findings ADD COLUMN feature_name   TEXT;

UPDATE findings SET
    arn = v.arn, partition = v.partition, type = v.type, title = v.title,
    severity = v.severity, severity_label = v.severity_label, confidence = v.confidence,
    created_at = v.created_at, updated_at = v.updated_at, first_seen = v.first_seen,
    last_seen = v.last_seen, count = v.count, archived = v.archived, sample = v.sample,
    resource_type = v.resource_type, resource_role = v.resource_role,
    action_type = v.action_type, detector_id = v.detector_id, feature_name = v.feature_name
FROM versions v
WHERE v.version_id = findings.latest_version_id;

-- The indexes of `versions` that filters on the latest versions use, plus the finding id
-- (`id = '…'`, `gdarchive show`).
CREATE INDEX findings_id            ON findings (id);
CREATE INDEX findings_updated_at    ON findings (updated_at);
CREATE INDEX findings_resource_type ON findings (resource_type, severity);
CREATE INDEX findings_severity      ON findings (severity);
CREATE INDEX findings_type          ON findings (type);
CREATE INDEX findings_sample        ON findings (finding_key) WHERE sample = 1;

-- The latest versions, now from findings alone (the body from the latest version).
DROP VIEW latest_findings;
CREATE VIEW latest_findings AS
SELECT f.latest_version_id AS version_id, f.finding_key, f.id, f.arn, f.account_id, f.region,
       f.partition, f.type, f.title, f.severity, f.severity_label, f.confidence, f.created_at,
       f.updated_at, f.first_seen, f.last_seen, f.count, f.archived, f.sample,
       f.resource_type, f.resource_role, f.action_type, f.detector_id, f.feature_name,
       (SELECT b.body FROM version_bodies b WHERE b.version_id = f.latest_version_id) AS body,
       f.version_count
FROM findings f;
