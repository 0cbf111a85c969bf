-- Trust rules (#16): which platform tokens sign in as an agent. Times are epoch ms, like 0001.
-- `claims` is the JSON of the claim conditions. Looked up by issuer when a platform token
-- arrives (subjects are patterns: the broker scans that issuer's rules), by agent for the API.

CREATE TABLE trust_rules (
  id         TEXT PRIMARY KEY,
  handle     TEXT NOT NULL REFERENCES agents (handle),
  issuer     TEXT NOT NULL,
  audience   TEXT NOT NULL,
  subject    TEXT NOT NULL,
  claims     TEXT NOT NULL,
  shape      TEXT,
  created_at INTEGER NOT NULL
) STRICT;

CREATE INDEX trust_rules_by_handle ON trust_rules (handle, created_at);
CREATE INDEX trust_rules_by_issuer ON trust_rules (issuer, created_at);
