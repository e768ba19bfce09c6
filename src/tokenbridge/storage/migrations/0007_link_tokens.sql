-- Link tokens (/link/token/create, /link/token/get). Portable SQL, as every migration.
-- The token is stored only as its SHA-256 hash. `metadata` is the JSON of what the create
-- request asked for and /link/token/get echoes back (LinkTokenMetadata): the request's
-- own text, kept as JSON so that no character of it meets a column's rules.
CREATE TABLE link_tokens (
    token_hash TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    item_id TEXT,
    created_at DOUBLE PRECISION NOT NULL,
    expires_at DOUBLE PRECISION NOT NULL,
    metadata TEXT NOT NULL
);
