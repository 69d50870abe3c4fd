-- Compressed bodies. Every version's canonical JSON is one zstd frame in version_blobs: the
-- first stored version of a finding (its base) compressed alone, every later version
-- compressed with its base's text as the dictionary (a zstd prefix), so that versions which
-- differ from the base in a few fields (count, updatedAt, eventLastSeen) cost a few dozen
-- bytes. A base never has a base of its own: any body is at most two decompressions away.
--
-- version_bodies stays, as a view with the same columns, so every query that read bodies
-- reads them still. Its body column calls gdarchive_body(data, base_data), which every
-- connection gdarchive opens registers (`gdarchive sql` included). Outside gdarchive the
-- frames are plain zstd: `zstd -d` for a base, `zstd -d --patch-from=BASE` for the others.
CREATE TABLE version_blobs (
    version_id      INTEGER PRIMARY KEY REFERENCES versions(version_id),
    base_version_id INTEGER,           -- NULL: compressed alone; else the base it was compressed against
    data            BLOB    NOT NULL   -- one zstd frame
);

-- Existing bodies: each finding's first version becomes its base.
INSERT INTO version_blobs (version_id, base_version_id, data)
SELECT b.version_id,
       CASE WHEN b.version_id = m.base THEN NULL ELSE m.base END,
       gdarchive_compress(b.body, CASE WHEN b.version_id = m.base THEN NULL
                                       ELSE (SELECT x.body FROM version_bodies x WHERE x.version_id = m.base) END)
FROM version_bodies b
JOIN versions v ON v.version_id = b.version_id
JOIN (SELECT finding_key, min(version_id) AS base FROM versions GROUP BY finding_key) m
  ON m.finding_key = v.finding_key;

DROP VIEW finding_versions;
DROP VIEW latest_findings;
DROP TABLE version_bodies;

-- Every stored body, as text.
CREATE VIEW version_bodies AS
SELECT d.version_id,
       gdarchive_body(d.data, (SELECT x.data FROM version_blobs x WHERE x.version_id = d.base_version_id)) AS body
FROM version_blobs d;

-- The two views of migration 1, unchanged (they read version_bodies, now the view above).
CREATE VIEW finding_versions AS
SELECT v.version_id, v.finding_key, v.id, v.arn, v.account_id, v.region, v.partition, v.type,
       v.title, v.severity, v.severity_label, v.confidence, v.created_at, v.updated_at,
       v.first_seen, v.last_seen, v.count, v.archived, v.sample, v.resource_type,
       v.resource_role, v.action_type, v.detector_id, v.feature_name,
       (SELECT b.body FROM version_bodies b WHERE b.version_id = v.version_id) AS body,
       (v.version_id = f.latest_version_id) AS is_latest
FROM versions v JOIN findings f ON f.finding_key = v.finding_key;

CREATE VIEW latest_findings AS
SELECT v.version_id, v.finding_key, v.id, v.arn, v.account_id, v.region, v.partition, v.type,
       v.title, v.severity, v.severity_label, v.confidence, v.created_at, v.updated_at,
       v.first_seen, v.last_seen, v.count, v.archived, v.sample, v.resource_type,
       v.resource_role, v.action_type, v.detector_id, v.feature_name,
       (SELECT b.body FROM version_bodies b WHERE b.version_id = v.version_id) AS body,
       f.version_count
FROM findings f JOIN versions v ON v.version_id = f.latest_version_id;
