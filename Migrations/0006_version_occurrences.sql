-- Occurrences: how many times a version's `service.count` says the activity recurred since
-- the version before it (in the latest-version order: updated_at, then count, then the order
-- of import). The first version brings its whole count, and so does a version whose count is
-- lower than its predecessor's (a reset). Kept up to date at import, also when an older
-- version arrives after a newer one, so that timelines need no window over every version.
ALTER TABLE versions ADD COLUMN occurrences INTEGER;

UPDATE versions SET occurrences = x.o
FROM (
    SELECT version_id,
           CASE WHEN lag(count) OVER w IS NULL OR count < lag(count) OVER w THEN coalesce(count, 0)
                ELSE count - lag(count) OVER w END AS o
    FROM versions
    WINDOW w AS (PARTITION BY finding_key ORDER BY updated_at, count, version_id)
) x
WHERE x.version_id = versions.version_id;

-- finding_versions, with occurrences.
DROP VIEW finding_versions;
CREATE VIEW finding_versions AS
SELECT v.version_id, v.finding_key, v.id, v.arn, v.account_id, v.region, v.partition, v.type,
       v.title, v.severity, v.severity_label, v.confidence, v.created_at, v.updated_at,
       v.first_seen, v.last_seen, v.count, v.occurrences, v.archived, v.sample, v.resource_type,
       v.resource_role, v.action_type, v.detector_id, v.feature_name,
       (SELECT b.body FROM version_bodies b WHERE b.version_id = v.version_id) AS body,
       (v.version_id = f.latest_version_id) AS is_latest
FROM versions v JOIN findings f ON f.finding_key = v.finding_key;
