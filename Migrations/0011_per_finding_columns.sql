-- arn, partition and detector_id never differ between the versions of a finding (the ARN is
-- made of the Region, account, detector and finding id), so they are kept once, in findings
-- (migration 9 copied them there), instead of once per version. The view reads them from
-- findings with subqueries, which SQLite evaluates only where a query reads them (a join,
-- even a LEFT JOIN on the primary key, would be made for every row of an aggregate such as
-- a timeline's count over every version).
DROP VIEW finding_versions;
ALTER TABLE versions DROP COLUMN arn;
ALTER TABLE versions DROP COLUMN partition;
ALTER TABLE versions DROP COLUMN detector_id;

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
