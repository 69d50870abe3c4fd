-- Incremental import: what each input file looked like when it was last read completely, so
-- that an unchanged file is skipped without being opened. A file whose size or modification
-- time changed is hashed; the same content is still skipped, other content is read again.
ALTER TABLE source_files ADD COLUMN size INTEGER;
ALTER TABLE source_files ADD COLUMN mtime_ns INTEGER;
ALTER TABLE source_files ADD COLUMN content_sha256 TEXT;

-- Files an import skipped because they were unchanged.
ALTER TABLE import_runs ADD COLUMN unchanged_files INTEGER NOT NULL DEFAULT 0;
