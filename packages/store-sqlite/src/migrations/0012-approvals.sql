-- Approvals (#15): an exchange that a binding's policy holds for a person records a request
-- here; the person's decision and the one grant it allows are written to the same row. The
-- binding keeps its policy, the grant the approval it spent (both JSON, NULL when none).
ALTER TABLE bindings ADD COLUMN approval TEXT;
ALTER TABLE grants ADD COLUMN approval TEXT;

CREATE TABLE approvals (
  id           TEXT PRIMARY KEY,
  handle       TEXT NOT NULL REFERENCES agents (handle),
  binding_id   TEXT NOT NULL,
  system       TEXT NOT NULL,
  scopes       TEXT NOT NULL,
  generation   INTEGER NOT NULL,
  approvers    TEXT NOT NULL,
  reason       TEXT,
  status       TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'spent', 'cancelled')),
  requested_at INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL,
  decided_by   TEXT,
  decided_at   INTEGER,
  note         TEXT,
  grant_id     TEXT,
  spent_at     INTEGER
) STRICT;
CREATE INDEX approvals_by_status ON approvals (status, requested_at, id);
CREATE INDEX approvals_by_agent ON approvals (handle, binding_id, status);
