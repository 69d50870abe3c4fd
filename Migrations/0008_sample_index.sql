-- GuardDuty's generated sample findings are left out of queries and reports, and counted so
-- that the output can say how many. This small index holds only them, so that the count
-- starts from the few samples instead of re-running the whole filter.
CREATE INDEX versions_sample ON versions (version_id) WHERE sample = 1;
