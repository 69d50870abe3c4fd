-- One version, several forms. GuardDuty's API model (and so the `aws` CLI, boto3 and
-- `gdarchive pull`) drops the members it does not model and nulls, and carries
-- `service.additionalInfo` only as a JSON string: the CLI's form of a version the S3 export
-- already delivered has another body, but it is the same version. A body that differs from a
-- stored version of the same finding with the same updated_at, but whose API-model projection
-- (GuardDutyModel.projection: modelled members only, no nulls, numbers and timestamps
-- normalised) is the same, is another form of that version: it is kept here with its own
-- sightings, the version counts once, and the richer body (more JSON values) is the one shown.
CREATE TABLE version_forms (
    form_id         INTEGER PRIMARY KEY,
    version_id      INTEGER NOT NULL REFERENCES versions(version_id),
    hash            BLOB    NOT NULL UNIQUE,   -- SHA-256 of this body
    base_version_id INTEGER,                   -- as in version_blobs
    data            BLOB    NOT NULL,          -- one zstd frame
    shown           INTEGER NOT NULL DEFAULT 0 CHECK (shown IN (0, 1)),  -- 1: shown instead of the first body
    import_run_id   INTEGER NOT NULL REFERENCES import_runs(id)
);
CREATE INDEX version_forms_version ON version_forms (version_id);

-- Where each form was seen: NULL is the version's first body (version_blobs).
ALTER TABLE sightings ADD COLUMN form_id INTEGER REFERENCES version_forms(form_id);

-- A version's body is its richest form.
DROP VIEW version_bodies;
CREATE VIEW version_bodies AS
SELECT d.version_id,
       coalesce((SELECT gdarchive_body(f.data, (SELECT x.data FROM version_blobs x WHERE x.version_id = f.base_version_id))
                 FROM version_forms f WHERE f.version_id = d.version_id AND f.shown = 1),
                gdarchive_body(d.data, (SELECT x.data FROM version_blobs x WHERE x.version_id = d.base_version_id))) AS body
FROM version_blobs d;

-- Every form of every version: the first body (form_id NULL) and the others.
CREATE VIEW version_form_bodies AS
SELECT d.version_id, NULL AS form_id, v.hash,
       NOT EXISTS (SELECT 1 FROM version_forms f WHERE f.version_id = d.version_id AND f.shown = 1) AS shown,
       gdarchive_body(d.data, (SELECT x.data FROM version_blobs x WHERE x.version_id = d.base_version_id)) AS body
FROM version_blobs d JOIN versions v ON v.version_id = d.version_id
UNION ALL
SELECT f.version_id, f.form_id, f.hash, f.shown,
       gdarchive_body(f.data, (SELECT x.data FROM version_blobs x WHERE x.version_id = f.base_version_id)) AS body
FROM version_forms f;
