-- finding_versions without a join to findings: `is_latest` becomes a subquery that SQLite
-- evaluates only where a query reads it, so that a scan over every version (a timeline over
-- a year, `--all-versions`) no longer looks up each version's finding.
DROP VIEW finding_versions;
CREATE VIEW finding_versions AS
SELECT v.version_id, v.finding_key, v.id, v.arn, v.account_id, v.region, v.partition, v.type,
       v.title, v.severity, v.severity_label, v.confidence, v.created_at, v.updated_at,
       v.first_seen, v.last_seen, v.count, v.occurrences, v.archived, v.sample, v.resource_type,
       v.resource_role, v.action_type, v.detector_id, v.feature_name,
       (SELECT b.body FROM version_bodies b WHERE b.version_id = v.version_id) AS body,
       (v.version_id = (SELECT f.latest_version_id FROM findings f WHERE f.finding_key = v.finding_key)) AS is_latest
FROM versions v;
