CREATE VIEW finding_indicators AS
SELECT k.kind, iv.value, v.version_id, v.finding_key, v.id, v.account_id, v.region,
       (v.version_id = f.latest_version_id) AS is_latest
FROM version_indicators vi
JOIN indicator_values iv ON iv.value_id = vi.value_id
JOIN indicator_kinds k ON k.kind_id = vi.kind_id
JOIN versions v ON v.version_id = vi.version_id
JOIN findings f ON f.finding_key = v.finding_key;

CREATE VIEW finding_versions AS
SELECT v.version_id, v.finding_key, v.id,
       (SELECT f.arn FROM findings f WHERE f.finding_key = v.finding_key) AS arn,
       v.account_id, v.region,
       (SELECT f.partition FROM findings f WHERE f.finding_key = v.finding_key) AS partition,
       v.type, v.title, v.severity, v.severity_label, v.confidence, v.created_at, v.updated_at,
       v.first_seen, v.last_seen, v.count, v.occurrences, v.archived, v.sample, v.resource_type,
       v.resource_role, v.action_type,
       (SELECT f.detector_id FROM findings f WHERE f.finding_key = v.finding_key) AS detector_id,
       v.feature_name,
       (SELECT b.body FROM version_bodies b WHERE b.version_id = v.version_id) AS body,
       (v.version_id = (SELECT f.latest_version_id FROM findings f WHERE f.finding_key = v.finding_key)) AS is_latest
FROM versions v;

CREATE VIEW indicators AS
SELECT k.kind, iv.value, vi.version_id
FROM version_indicators vi
JOIN indicator_values iv ON iv.value_id = vi.value_id
JOIN indicator_kinds k ON k.kind_id = vi.kind_id;

CREATE VIEW latest_findings AS
SELECT f.latest_version_id AS version_id, f.finding_key, f.id, f.arn, f.account_id, f.region,
       f.partition, f.type, f.title, f.severity, f.severity_label, f.confidence, f.created_at,
       f.updated_at, f.first_seen, f.last_seen, f.count, f.archived, f.sample,
       f.resource_type, f.resource_role, f.action_type, f.detector_id, f.feature_name,
       (SELECT b.body FROM version_bodies b WHERE b.version_id = f.latest_version_id) AS body,
       f.version_count
FROM findings f;

CREATE VIEW real_finding_versions AS
SELECT * FROM finding_versions
WHERE finding_key NOT IN (SELECT finding_key FROM findings WHERE sample = 1);

CREATE VIEW real_findings AS
SELECT * FROM latest_findings WHERE sample = 0;

CREATE VIEW version_bodies AS
SELECT d.version_id,
       coalesce((SELECT gdarchive_body(f.data, (SELECT x.data FROM version_blobs x WHERE x.version_id = f.base_version_id))
                 FROM version_forms f WHERE f.version_id = d.version_id AND f.shown = 1),
                gdarchive_body(d.data, (SELECT x.data FROM version_blobs x WHERE x.version_id = d.base_version_id))) AS body
FROM version_blobs d;

CREATE VIEW version_form_bodies AS
SELECT d.version_id, NULL AS form_id, v.hash,
       NOT EXISTS (SELECT 1 FROM version_forms f WHERE f.version_id = d.version_id AND f.shown = 1) AS shown,
       gdarchive_body(d.data, (SELECT x.data FROM version_blobs x WHERE x.version_id = d.base_version_id)) AS body
FROM version_blobs d JOIN versions v ON v.version_id = d.version_id
UNION ALL
SELECT f.version_id, f.form_id, f.hash, f.shown,
       gdarchive_body(f.data, (SELECT x.data FROM version_blobs x WHERE x.version_id = f.base_version_id)) AS body
FROM version_forms f;

CREATE TABLE body_dictionaries (
    dictionary_id INTEGER PRIMARY KEY,    -- the zstd dictionary id, as written in each frame
    data          BLOB    NOT NULL,       -- the dictionary (ZDICT format)
    trained_at    TEXT    NOT NULL,
    samples       INTEGER NOT NULL        -- how many bases it was trained on
);

CREATE TABLE derived_state (
    name    TEXT    PRIMARY KEY,
    version INTEGER NOT NULL
);

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

CREATE TABLE findings (
    finding_key       INTEGER PRIMARY KEY,
    account_id        TEXT    NOT NULL,
    region            TEXT    NOT NULL,
    id                TEXT    NOT NULL,
    latest_version_id INTEGER NOT NULL,         -- versions.version_id of the latest version
    version_count     INTEGER NOT NULL, arn            TEXT, partition      TEXT, type           TEXT, title          TEXT, severity       REAL, severity_label TEXT, confidence     REAL, created_at     TEXT, updated_at     TEXT, first_seen     TEXT, last_seen      TEXT, count          INTEGER, archived       INTEGER, sample         INTEGER NOT NULL DEFAULT 0, resource_type  TEXT, resource_role  TEXT, action_type    TEXT, detector_id    TEXT, feature_name   TEXT,
    UNIQUE (account_id, region, id)
);

CREATE TABLE import_errors (
    id           INTEGER PRIMARY KEY,
    file_id      INTEGER NOT NULL REFERENCES source_files(id),
    line         INTEGER NOT NULL,
    record_index INTEGER NOT NULL,               -- position inside the JSON value; 0 for a lone record
    kind         TEXT    NOT NULL,               -- bad-json, not-a-finding, missing-field, damaged-input, ...
    message      TEXT    NOT NULL,
    excerpt      TEXT,                           -- the first 200 bytes of the offending input
    first_run_id INTEGER NOT NULL REFERENCES import_runs(id),
    last_run_id  INTEGER NOT NULL REFERENCES import_runs(id),
    UNIQUE (file_id, line, record_index, kind, message)
);

CREATE TABLE import_runs (
    id             INTEGER PRIMARY KEY,
    started_at     TEXT    NOT NULL,             -- ISO 8601 UTC
    finished_at    TEXT,                         -- NULL while running, or if the run was killed
    status         TEXT    NOT NULL DEFAULT 'running'
                   CHECK (status IN ('running', 'completed', 'failed', 'interrupted')),
    command        TEXT,                         -- the command line, for the record
    files          INTEGER NOT NULL DEFAULT 0,   -- input files committed
    records        INTEGER NOT NULL DEFAULT 0,   -- finding records read
    new_findings   INTEGER NOT NULL DEFAULT 0,
    new_versions   INTEGER NOT NULL DEFAULT 0,
    known_versions INTEGER NOT NULL DEFAULT 0,   -- records whose version was already stored
    skipped        INTEGER NOT NULL DEFAULT 0,   -- events that are not findings
    errors         INTEGER NOT NULL DEFAULT 0    -- rejected records and damaged input
, unchanged_files INTEGER NOT NULL DEFAULT 0);

CREATE TABLE indicator_kinds (
    kind_id INTEGER PRIMARY KEY,
    kind    TEXT    NOT NULL UNIQUE
);

CREATE TABLE indicator_values (
    value_id INTEGER PRIMARY KEY,
    kind_id  INTEGER NOT NULL REFERENCES indicator_kinds(kind_id),
    value    TEXT    NOT NULL,
    UNIQUE (kind_id, value)
);

CREATE TABLE pull_cursors (
    region        TEXT    NOT NULL,
    detector_id   TEXT    NOT NULL,
    pulled_to_ms  INTEGER NOT NULL,   -- epoch milliseconds
    last_pull_at  TEXT    NOT NULL,   -- ISO 8601 UTC
    PRIMARY KEY (region, detector_id)
);

CREATE TABLE schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    checksum   TEXT NOT NULL,
    applied_at TEXT NOT NULL
);

CREATE TABLE sightings (
    version_id    INTEGER NOT NULL REFERENCES versions(version_id),
    file_id       INTEGER NOT NULL REFERENCES source_files(id),
    line          INTEGER NOT NULL,
    record_index  INTEGER NOT NULL,
    import_run_id INTEGER NOT NULL REFERENCES import_runs(id), form_id INTEGER REFERENCES version_forms(form_id),  -- the run that first saw it
    PRIMARY KEY (version_id, file_id, line, record_index)
) WITHOUT ROWID;

CREATE TABLE source_files (
    id            INTEGER PRIMARY KEY,
    path          TEXT    NOT NULL UNIQUE,
    first_run_id  INTEGER NOT NULL REFERENCES import_runs(id),
    last_run_id   INTEGER NOT NULL REFERENCES import_runs(id)
, size INTEGER, mtime_ns INTEGER, content_sha256 TEXT);

CREATE TABLE version_blobs (
    version_id      INTEGER PRIMARY KEY REFERENCES versions(version_id),
    base_version_id INTEGER,           -- NULL: compressed alone; else the base it was compressed against
    data            BLOB    NOT NULL   -- one zstd frame
);

CREATE TABLE version_forms (
    form_id         INTEGER PRIMARY KEY,
    version_id      INTEGER NOT NULL REFERENCES versions(version_id),
    hash            BLOB    NOT NULL UNIQUE,   -- SHA-256 of this body
    base_version_id INTEGER,                   -- as in version_blobs
    data            BLOB    NOT NULL,          -- one zstd frame
    shown           INTEGER NOT NULL DEFAULT 0 CHECK (shown IN (0, 1)),  -- 1: shown instead of the first body
    import_run_id   INTEGER NOT NULL REFERENCES import_runs(id)
);

CREATE TABLE version_indicators (
    value_id   INTEGER NOT NULL REFERENCES indicator_values(value_id),
    version_id INTEGER NOT NULL REFERENCES versions(version_id),
    kind_id    INTEGER NOT NULL,             -- the value's kind (indicator_values.kind_id)
    PRIMARY KEY (value_id, version_id)
) WITHOUT ROWID;

CREATE TABLE versions (
    version_id     INTEGER PRIMARY KEY,
    finding_key    INTEGER NOT NULL REFERENCES findings(finding_key),
    hash           BLOB    NOT NULL UNIQUE,      -- SHA-256 of its body
    import_run_id  INTEGER NOT NULL REFERENCES import_runs(id),  -- the run that first stored it
    id             TEXT    NOT NULL,
    account_id     TEXT    NOT NULL,
    region         TEXT    NOT NULL,
    type           TEXT,
    title          TEXT,
    severity       REAL,
    severity_label TEXT CHECK (severity_label IN ('low', 'medium', 'high', 'critical')),
    confidence     REAL,
    created_at     TEXT,                         -- timestamps: 'YYYY-MM-DDTHH:MM:SS.sssZ' (UTC)
    updated_at     TEXT,
    first_seen     TEXT,                         -- service.eventFirstSeen
    last_seen      TEXT,                         -- service.eventLastSeen
    count          INTEGER,                      -- service.count
    archived       INTEGER,                      -- 0/1, service.archived
    sample         INTEGER NOT NULL DEFAULT 0,   -- 0/1, GuardDuty-generated sample finding
    resource_type  TEXT,
    resource_role  TEXT,
    action_type    TEXT,
    feature_name   TEXT
, occurrences INTEGER);

CREATE INDEX finding_changes_run ON finding_changes (import_run_id);

CREATE INDEX finding_changes_version ON finding_changes (version_id);

CREATE INDEX findings_id            ON findings (id);

CREATE INDEX findings_latest ON findings (latest_version_id);

CREATE INDEX findings_resource_type ON findings (resource_type, severity);

CREATE INDEX findings_sample        ON findings (finding_key) WHERE sample = 1;

CREATE INDEX findings_severity      ON findings (severity);

CREATE INDEX findings_type          ON findings (type);

CREATE INDEX findings_updated_at    ON findings (updated_at);

CREATE INDEX sightings_file ON sightings (file_id);

CREATE INDEX version_forms_version ON version_forms (version_id);

CREATE INDEX version_indicators_version ON version_indicators (version_id, kind_id);

CREATE INDEX versions_finding ON versions (finding_key, updated_at);

CREATE INDEX versions_resource_type ON versions (resource_type, severity);

CREATE INDEX versions_sample ON versions (version_id) WHERE sample = 1;

CREATE INDEX versions_severity ON versions (severity);

CREATE INDEX versions_type ON versions (type);

CREATE INDEX versions_updated_at ON versions (updated_at, finding_key, sample, occurrences);
