-- The revocation outbox: events whose SETs are not yet enqueued for webhooks. A row is written
-- in the transaction that starts the revocation (`revocation.started`) or finishes its job
-- (`revocation.finished`) and deleted in the one that enqueues its deliveries, so no crash
-- between the two loses them. Revocations from before this migration get no rows: they were
-- announced, or not, by the release that ran them.
CREATE TABLE revocation_outbox (
  revocation_id TEXT NOT NULL REFERENCES revocations (id),
  type          TEXT NOT NULL CHECK (type IN ('revocation.started', 'revocation.finished')),
  PRIMARY KEY (revocation_id, type)
) STRICT;
