-- arn, partition and detector_id never differ between the versions of a finding (the ARN is
-- made of the Region, account, detector and finding id), so they are kept once, in findings
-- (migration 9 copied them there), instead of once per version. The views read them from
-- findings; a LEFT JOIN on its primary key, which SQLite leaves out of queries that read
-- nothing from findings (a timeline's scan over every version).
DROP VIEW finding_versions;
ALTER TABLE versions DROP COLUMN arn;
ALTER TABLE versions DROP COLUMN partition;
ALTER TABLE versions DROP COLUMN detector_id;

CREATE VIEW finding_versions AS
SELECT v.version_id, v.finding_key, v.id, f.arn, v.account_id, v.region, f.partition, v.type,
       v.title, v.severity, v.severity_label, v.confidence, v.created_at, v.updated_at,
       v.first_seen, v.last_seen, v.count, v.occurrences, v.archived, v.sample, v.resource_type,
       v.resource_role, v.action_type, f.detector_id, v.feature_name,
       (SELECT b.body FROM version_bodies b WHERE b.version_id = v.version_id) AS body,
       (v.version_id = f.latest_version_id) AS is_latest
FROM versions v LEFT JOIN findings f ON f.finding_key = v.finding_key;
