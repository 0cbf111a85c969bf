-- Binding lifecycle (#12). A binding revoke ends the binding (`status` 'revoked') until an admin
-- binds the system again; `exclusive_key` is the connector's exclusive target key (the OAuth
-- client id), held by at most one active binding per system: the unique index is the rule.
-- Existing bindings stay active and hold no key (they were bound before the rule).
ALTER TABLE bindings ADD COLUMN status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked'));
ALTER TABLE bindings ADD COLUMN revoked_at INTEGER;
ALTER TABLE bindings ADD COLUMN exclusive_key TEXT;
CREATE UNIQUE INDEX bindings_exclusive ON bindings (system, exclusive_key) WHERE exclusive_key IS NOT NULL AND status = 'active';

-- A binding revoke or replacement takes every open grant of the agent on the system, whichever
-- binding version issued it.
CREATE INDEX grants_by_agent_system ON grants (handle, system, status);
