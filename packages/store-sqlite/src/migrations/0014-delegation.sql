-- Sub-agents (#17): a child names its parent and may lapse; a binding may be delegable.
ALTER TABLE agents ADD COLUMN parent TEXT REFERENCES agents (handle);
ALTER TABLE agents ADD COLUMN expires_at INTEGER;
CREATE INDEX agents_by_parent ON agents (parent, handle) WHERE parent IS NOT NULL;
ALTER TABLE bindings ADD COLUMN delegable INTEGER;
-- Delegation rules (RFC 8693 may_act): one per (subject, actor).
CREATE TABLE delegations (
  subject TEXT NOT NULL REFERENCES agents (handle),
  actor TEXT NOT NULL,
  systems TEXT NOT NULL,
  scopes TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (subject, actor)
) STRICT;
