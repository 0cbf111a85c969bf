-- Earned trust (#15): one record of counters per agent (core's TierRecord, JSON), read and
-- written with the agent's tier in one transaction.
CREATE TABLE tier_records (
  handle TEXT PRIMARY KEY REFERENCES agents (handle),
  record TEXT NOT NULL
) STRICT;
