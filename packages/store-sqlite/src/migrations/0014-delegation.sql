-- Sub-agents (#17): a child names its parent and may lapse; a binding may be delegable.
ALTER TABLE agents ADD COLUMN parent TEXT REFERENCES agents (handle);
ALTER TABLE agents ADD COLUMN expires_at INTEGER;
CREATE INDEX agents_by_parent ON agents (parent, handle) WHERE parent IS NOT NULL;
ALTER TABLE bindings ADD COLUMN delegable INTEGER;
