-- Signed checkpoints over every agent's audit chain head (checkpoints.ts).
CREATE TABLE audit_checkpoints (
  id    TEXT PRIMARY KEY,
  at    INTEGER NOT NULL,
  root  TEXT NOT NULL,
  heads TEXT NOT NULL,
  token TEXT NOT NULL
) STRICT;

CREATE INDEX audit_checkpoints_at ON audit_checkpoints (at DESC, id DESC);
