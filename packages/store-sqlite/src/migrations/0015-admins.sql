-- Admin principals and roles (#18): named admins (their token's SHA-256 only), console sessions
-- (their id's SHA-256 only), and the broker-wide settings (bootstrap retirement, the admin audit
-- chain's head). The admin chain's events live in audit_events under the handle '@admins',
-- which no agent can have.
CREATE TABLE admins (
  subject    TEXT PRIMARY KEY,
  roles      TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  expires_at INTEGER,
  revoked_at INTEGER
) STRICT;

CREATE TABLE admin_sessions (
  id_hash    TEXT PRIMARY KEY,
  subject    TEXT NOT NULL,
  roles      TEXT NOT NULL,
  via        TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) STRICT;

CREATE TABLE admin_settings (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;
