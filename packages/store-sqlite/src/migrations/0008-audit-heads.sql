-- Each agent's audit chain head (seq and hash of its newest event), kept on the agent record
-- and written in the same transaction as every event (audit.ts appendEvent). Verification
-- checks the chain reaches it, so deleting the newest rows of audit_events is caught.
-- seq 0 with the genesis hash: no event yet.
ALTER TABLE agents ADD COLUMN audit_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE agents ADD COLUMN audit_hash TEXT NOT NULL DEFAULT '0000000000000000000000000000000000000000000000000000000000000000';

UPDATE agents SET
  audit_seq = (SELECT e.seq FROM audit_events e WHERE e.handle = agents.handle ORDER BY e.seq DESC LIMIT 1),
  audit_hash = (SELECT e.hash FROM audit_events e WHERE e.handle = agents.handle ORDER BY e.seq DESC LIMIT 1)
WHERE EXISTS (SELECT 1 FROM audit_events e WHERE e.handle = agents.handle);
