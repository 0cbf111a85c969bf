-- Lanyard's embedded store. Times are epoch milliseconds (INTEGER): compared in SQL (leases,
-- expiry, pending before) without parsing. JSON columns hold what the domain keeps as JSON:
-- labels, binding targets, scopes, upstream refs, attribution indexes, audit details.

CREATE TABLE agents (
  handle        TEXT PRIMARY KEY,
  owner         TEXT NOT NULL,
  status        TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'revoked')),
  tier          INTEGER NOT NULL,
  generation    INTEGER NOT NULL,
  labels        TEXT NOT NULL,
  status_reason TEXT,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX agents_by_owner ON agents (owner, handle);
CREATE INDEX agents_by_status ON agents (status, handle);

CREATE TABLE agent_keys (
  handle     TEXT NOT NULL REFERENCES agents (handle),
  kid        TEXT NOT NULL,
  alg        TEXT NOT NULL,
  jwk        TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (handle, kid)
) STRICT;

CREATE TABLE bindings (
  handle     TEXT NOT NULL REFERENCES agents (handle),
  system     TEXT NOT NULL,
  id         TEXT NOT NULL,
  target     TEXT NOT NULL,
  ceiling    TEXT NOT NULL,
  min_tier   INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (handle, system)
) STRICT;

CREATE TABLE grants (
  id             TEXT PRIMARY KEY,
  handle         TEXT NOT NULL REFERENCES agents (handle),
  binding_id     TEXT NOT NULL,
  system         TEXT NOT NULL,
  connector_type TEXT NOT NULL,
  scopes         TEXT NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('pending', 'live', 'failed', 'revoked', 'expired')),
  created_at     INTEGER NOT NULL,
  expires_at     INTEGER,
  ref            TEXT,
  attribution    TEXT NOT NULL,
  sealed_secret  TEXT,
  error          TEXT,
  ended_at       INTEGER
) STRICT;
CREATE INDEX grants_by_agent ON grants (handle, created_at, id);
CREATE INDEX grants_by_binding ON grants (binding_id, status);
CREATE INDEX grants_pending ON grants (created_at) WHERE status = 'pending';

-- Whois: one row per attribution key of a grant (GitHub hashed token, AWS access key id, ...).
CREATE TABLE grant_index (
  grant_id TEXT NOT NULL REFERENCES grants (id),
  key      TEXT NOT NULL,
  value    TEXT NOT NULL,
  PRIMARY KEY (grant_id, key)
) STRICT;
CREATE INDEX grant_index_lookup ON grant_index (key, value);

CREATE TABLE revocations (
  id          TEXT PRIMARY KEY,
  handle      TEXT NOT NULL,
  scope       TEXT NOT NULL,
  reason      TEXT NOT NULL,
  actor       TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('running', 'done')),
  finished_at INTEGER
) STRICT;
CREATE INDEX revocations_open ON revocations (created_at, id) WHERE status = 'running';

CREATE TABLE revocation_tasks (
  revocation_id    TEXT NOT NULL REFERENCES revocations (id),
  grant_id         TEXT NOT NULL,
  handle           TEXT NOT NULL,
  system           TEXT NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('pending', 'done')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  INTEGER NOT NULL,
  last_error       TEXT,
  outcome          TEXT,
  lease_owner      TEXT,
  lease_expires_at INTEGER,
  PRIMARY KEY (revocation_id, grant_id)
) STRICT;
CREATE INDEX revocation_tasks_due ON revocation_tasks (next_attempt_at) WHERE status = 'pending';

CREATE TABLE audit_events (
  handle    TEXT NOT NULL,
  seq       INTEGER NOT NULL,
  prev_hash TEXT NOT NULL,
  hash      TEXT NOT NULL,
  at        INTEGER NOT NULL,
  actor     TEXT NOT NULL,
  action    TEXT NOT NULL,
  target    TEXT NOT NULL,
  outcome   TEXT NOT NULL,
  details   TEXT NOT NULL,
  PRIMARY KEY (handle, seq)
) STRICT, WITHOUT ROWID;

CREATE TABLE used_once (
  key        TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX used_once_expiry ON used_once (expires_at);

CREATE TABLE revoked_tokens (
  jti        TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX revoked_tokens_expiry ON revoked_tokens (expires_at);

CREATE TABLE signing_keys (
  kid                TEXT PRIMARY KEY,
  alg                TEXT NOT NULL,
  public_jwk         TEXT NOT NULL,
  sealed_private_key TEXT NOT NULL,
  created_at         INTEGER NOT NULL,
  retired_at         INTEGER
) STRICT;
