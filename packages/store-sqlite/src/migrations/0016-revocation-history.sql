-- The revocation history (GET /v1/revocations), newest first, read by time.
CREATE INDEX revocations_by_time ON revocations (created_at, id);
