-- The first schema. Portable SQL: the same text runs on SQLite and PostgreSQL.
-- Tokens and secrets are stored only as SHA-256 hashes (hex).

CREATE TABLE clients (
    client_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    processor TEXT,
    created_at DOUBLE PRECISION NOT NULL
);

CREATE TABLE items (
    item_id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES clients (client_id),
    institution_id TEXT NOT NULL,
    products TEXT NOT NULL,
    webhook TEXT,
    created_at DOUBLE PRECISION NOT NULL,
    removed_at DOUBLE PRECISION
);
CREATE INDEX items_client_id ON items (client_id);

CREATE TABLE accounts (
    account_id TEXT PRIMARY KEY,
    item_id TEXT NOT NULL REFERENCES items (item_id),
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    official_name TEXT,
    mask TEXT,
    type TEXT NOT NULL,
    subtype TEXT,
    available DOUBLE PRECISION,
    current_balance DOUBLE PRECISION,
    credit_limit DOUBLE PRECISION,
    iso_currency_code TEXT,
    unofficial_currency_code TEXT,
    holder_category TEXT,
    UNIQUE (item_id, position)
);

CREATE TABLE public_tokens (
    token_hash TEXT PRIMARY KEY,
    item_id TEXT NOT NULL REFERENCES items (item_id),
    client_id TEXT NOT NULL,
    expires_at DOUBLE PRECISION NOT NULL,
    exchanged_at DOUBLE PRECISION
);

CREATE TABLE access_tokens (
    token_hash TEXT PRIMARY KEY,
    item_id TEXT NOT NULL REFERENCES items (item_id),
    client_id TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX access_tokens_item_id ON access_tokens (item_id);

CREATE TABLE processor_tokens (
    token_hash TEXT PRIMARY KEY,
    item_id TEXT NOT NULL REFERENCES items (item_id),
    account_id TEXT NOT NULL REFERENCES accounts (account_id),
    client_id TEXT NOT NULL,
    processor TEXT,
    products TEXT NOT NULL,
    webhook TEXT,
    created_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX processor_tokens_item_id ON processor_tokens (item_id);

CREATE TABLE bank_account_tokens (
    token_hash TEXT PRIMARY KEY,
    item_id TEXT NOT NULL REFERENCES items (item_id),
    account_id TEXT NOT NULL REFERENCES accounts (account_id),
    client_id TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX bank_account_tokens_item_id ON bank_account_tokens (item_id);
