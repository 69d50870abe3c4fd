-- The default scope of every command as two views, for `gdarchive sql`: GuardDuty's generated
-- sample findings left out. A finding is a sample finding when its latest version is a sample
-- (findings.sample), and every version of it goes with it. latest_findings and
-- finding_versions keep holding everything.
CREATE VIEW real_findings AS
SELECT * FROM latest_findings WHERE sample = 0;

CREATE VIEW real_finding_versions AS
SELECT * FROM finding_versions
WHERE finding_key NOT IN (SELECT finding_key FROM findings WHERE sample = 1);
