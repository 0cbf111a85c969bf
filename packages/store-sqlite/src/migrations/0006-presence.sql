-- Agents' presence profiles (who answers at the handle, and what it shows) and the misuse
-- reports outsiders send about them (#21). Times are epoch ms, like 0001.

CREATE TABLE agent_presence (
  handle             TEXT PRIMARY KEY REFERENCES agents (handle),
  presence           TEXT NOT NULL CHECK (presence IN ('public', 'private')),
  display_name       TEXT,
  description        TEXT,
  escalation_contact TEXT,
  updated_at         INTEGER NOT NULL
) STRICT;

CREATE TABLE misuse_reports (
  handle        TEXT NOT NULL REFERENCES agents (handle),
  id            TEXT NOT NULL,
  received_at   INTEGER NOT NULL,
  source_digest TEXT NOT NULL,
  category      TEXT NOT NULL,
  text          TEXT NOT NULL,
  contact       TEXT,
  evidence      TEXT,
  PRIMARY KEY (handle, id)
) STRICT;
CREATE INDEX misuse_reports_by_time ON misuse_reports (handle, received_at DESC, id DESC);
