-- Fault rules (the control API, docs/TESTING.md "Faults"): the next calls to a Plaid path
-- of a world answer an error, wait, or lose their connection. `world` is the key of the
-- client's world (Client.world, or the client_id of a shared-world client); `remaining` is
-- how many more calls the rule takes, NULL for every call until it is removed.
CREATE TABLE fault_rules (
    rule_id TEXT PRIMARY KEY,
    world TEXT NOT NULL,
    path TEXT NOT NULL,
    error_code TEXT,
    status INTEGER,
    latency_ms INTEGER NOT NULL,
    drop_connection INTEGER NOT NULL,
    remaining INTEGER,
    probability DOUBLE PRECISION NOT NULL,
    created_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX fault_rules_world ON fault_rules (world, created_at);

-- Set on every client of a world that has a live rule, so that a request of a client
-- without one costs one attribute check (Client.faulted), not a read of the rules.
ALTER TABLE clients ADD COLUMN faulted INTEGER NOT NULL DEFAULT 0;
