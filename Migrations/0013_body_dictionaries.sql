-- Dictionaries the first version of each finding (its base) is compressed with. Findings share
-- most of their structure and wording, so a zstd dictionary trained on an archive's first
-- bases compresses the next ones to about a sixth of their size alone (on the benchmark corpus,
-- 850 -> 140 bytes). The writer trains one on the first 1,000 bases stored without one; each
-- frame names its dictionary (dictionary_id is zstd's own dictionary id), so `zstd -d -D FILE`
-- reads a base given the dictionary written to FILE. Later versions stay compressed against
-- their base's text.
CREATE TABLE body_dictionaries (
    dictionary_id INTEGER PRIMARY KEY,    -- the zstd dictionary id, as written in each frame
    data          BLOB    NOT NULL,       -- the dictionary (ZDICT format)
    trained_at    TEXT    NOT NULL,
    samples       INTEGER NOT NULL        -- how many bases it was trained on
);
