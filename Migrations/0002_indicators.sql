-- Indicators: the IOCs (IP addresses, domains, access keys, principals, user names, instances,
-- images, buckets, clusters, container images, functions, databases, SHA-256 hashes) and a few
-- searchable attributes (remote country, API name, ports) that each version carries, wherever
-- in the finding they appear. Filled at import; recomputed for older versions when the
-- extractor that fills them is newer than the one recorded in derived_state.
CREATE TABLE indicators (
    kind       TEXT    NOT NULL,
    value      TEXT    NOT NULL,
    version_id INTEGER NOT NULL REFERENCES versions(version_id),
    PRIMARY KEY (kind, value, version_id)
) WITHOUT ROWID;
CREATE INDEX indicators_version ON indicators (version_id, kind);

-- Derived data and the version of the code that derived it.
CREATE TABLE derived_state (
    name    TEXT    PRIMARY KEY,
    version INTEGER NOT NULL
);

-- Every indicator with its finding and whether its version is the finding's latest.
CREATE VIEW finding_indicators AS
SELECT i.kind, i.value, v.version_id, v.finding_key, v.id, v.account_id, v.region,
       (v.version_id = f.latest_version_id) AS is_latest
FROM indicators i
JOIN versions v ON v.version_id = i.version_id
JOIN findings f ON f.finding_key = v.finding_key;
