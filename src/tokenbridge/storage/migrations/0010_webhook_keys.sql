-- The P-256 keys that sign webhooks (the Plaid-Verification JWT), shared by every server over
-- the database, which all sign with the current key and publish every key through
-- /webhook_verification_key/get. `private_key` is the PKCS#8 PEM text; `x` and `y` the public
-- point, base64url. `is_current` is 1 on the key that signs and NULL on every other: the unique
-- constraint lets at most one key be current, so that servers starting at once over an empty
-- table store one key between them (INSERT ... ON CONFLICT (is_current) DO NOTHING).
CREATE TABLE webhook_keys (
    kid TEXT PRIMARY KEY,
    private_key TEXT NOT NULL,
    x TEXT NOT NULL,
    y TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    expired_at DOUBLE PRECISION,
    is_current INTEGER UNIQUE CHECK (is_current = 1)
);
