-- The time index also carries what a timeline counts (the finding, sample, occurrences), so
-- that a timeline over a year reads the index alone instead of every version's row.
DROP INDEX versions_updated_at;
CREATE INDEX versions_updated_at ON versions (updated_at, finding_key, sample, occurrences);
