-- Indicator values stored once and referenced by number. The same IP address, domain or access
-- key recurs in every version of a finding and in many findings: 438,000 indicator rows of the
-- 100k benchmark corpus hold 36,000 distinct values. Each kind is now one row of
-- indicator_kinds, each (kind, value) one row of indicator_values, and a version's indicators
-- are (value_id, version_id) pairs, kept in both orders: by value (which versions carry this
-- indicator?) and by version and kind (what does this version carry?, `report by remote_ip`),
-- so each pair repeats its value's kind, a small number. The archive is about 12 % smaller, and
-- a LIKE over values reads the distinct values instead of every version's.
--
-- The view `indicators` keeps the old table's columns (kind, value, version_id) for SQL that
-- reads them.
CREATE TABLE indicator_kinds (
    kind_id INTEGER PRIMARY KEY,
    kind    TEXT    NOT NULL UNIQUE
);

-- The kinds the extractor knows; a kind it learns later is added when first stored.
INSERT INTO indicator_kinds (kind) VALUES
    ('remote_ip'), ('local_ip'), ('domain'), ('access_key_id'), ('principal_id'), ('user_name'),
    ('instance_id'), ('image_id'), ('bucket'), ('eks_cluster'), ('ecs_cluster'), ('container_image'),
    ('lambda_function'), ('rds_instance'), ('sha256'), ('remote_country'), ('api'), ('local_port'),
    ('remote_port');
INSERT OR IGNORE INTO indicator_kinds (kind) SELECT DISTINCT kind FROM indicators ORDER BY kind;

CREATE TABLE indicator_values (
    value_id INTEGER PRIMARY KEY,
    kind_id  INTEGER NOT NULL REFERENCES indicator_kinds(kind_id),
    value    TEXT    NOT NULL,
    UNIQUE (kind_id, value)
);

CREATE TABLE version_indicators (
    value_id   INTEGER NOT NULL REFERENCES indicator_values(value_id),
    version_id INTEGER NOT NULL REFERENCES versions(version_id),
    kind_id    INTEGER NOT NULL,             -- the value's kind (indicator_values.kind_id)
    PRIMARY KEY (value_id, version_id)
) WITHOUT ROWID;

INSERT INTO indicator_values (kind_id, value)
SELECT k.kind_id, i.value
FROM (SELECT DISTINCT kind, value FROM indicators) i JOIN indicator_kinds k ON k.kind = i.kind
ORDER BY k.kind_id, i.value;

INSERT INTO version_indicators (value_id, version_id, kind_id)
SELECT iv.value_id, i.version_id, iv.kind_id
FROM indicators i
JOIN indicator_kinds k ON k.kind = i.kind
JOIN indicator_values iv ON iv.kind_id = k.kind_id AND iv.value = i.value
ORDER BY 1, 2;

-- With the primary key appended: (version_id, kind_id, value_id).
CREATE INDEX version_indicators_version ON version_indicators (version_id, kind_id);

DROP VIEW finding_indicators;
DROP TABLE indicators;

CREATE VIEW indicators AS
SELECT k.kind, iv.value, vi.version_id
FROM version_indicators vi
JOIN indicator_values iv ON iv.value_id = vi.value_id
JOIN indicator_kinds k ON k.kind_id = vi.kind_id;

-- As in migration 2, over the new tables.
CREATE VIEW finding_indicators AS
SELECT k.kind, iv.value, v.version_id, v.finding_key, v.id, v.account_id, v.region,
       (v.version_id = f.latest_version_id) AS is_latest
FROM version_indicators vi
JOIN indicator_values iv ON iv.value_id = vi.value_id
JOIN indicator_kinds k ON k.kind_id = vi.kind_id
JOIN versions v ON v.version_id = vi.version_id
JOIN findings f ON f.finding_key = v.finding_key;
