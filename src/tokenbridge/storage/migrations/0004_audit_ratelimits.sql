-- The audit log and the shared rate-limit counters. Portable SQL, as every migration.

-- One row per change of state, written in the transaction of the change. No token is
-- stored here: token_id is a prefix of the token's SHA-256 hash. Entries of one request
-- share `at` and `request_id` and are told apart by `seq`, their order in that request.
CREATE TABLE audit_log (
    at DOUBLE PRECISION NOT NULL,
    seq INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    request_id TEXT,
    item_id TEXT,
    account_id TEXT,
    token_id TEXT,
    processor TEXT,
    products TEXT NOT NULL,
    detail TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_item_id ON audit_log (item_id);

-- Fixed one-minute windows: `scope` names the operation and the Item or client counted,
-- `window_start` is the window's first second (Unix time). Every server over the database
-- increments the same row, so the limits hold across workers and servers.
CREATE TABLE rate_limit_counters (
    scope TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    hits INTEGER NOT NULL,
    PRIMARY KEY (scope, window_start)
);
CREATE INDEX rate_limit_counters_window ON rate_limit_counters (window_start);
