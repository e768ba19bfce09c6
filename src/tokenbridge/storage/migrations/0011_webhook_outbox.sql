-- The webhook outbox. A webhook is written here in the transaction of the change that fires
-- it (as its audit entry is), so that nothing accepted is lost to a restart or a crash; the
-- delivery worker of every server over the database claims the rows that are due and posts
-- them (webhooks/outbox.py).
--
-- `body` is the JSON text posted, byte for byte, on every attempt (the signature covers
-- those bytes). `status` is `pending` while attempts remain, then `delivered`, `failed` (the
-- schedule ran out, or the URL cannot be used) or `refused` (TOKENBRIDGE_WEBHOOK_HOSTS does
-- not allow the destination). `attempts` counts the attempts of the current round (a
-- redelivery starts a new one at `round_started_at`); `next_attempt_at` is when the next is
-- due, NULL once the webhook is no longer pending. `claimed_until` is set by the worker
-- that is sending it: no other worker takes the row before then, and a worker that died
-- mid-attempt (kill -9) leaves a claim that lapses.
CREATE TABLE webhooks (
    webhook_id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    item_id TEXT,
    account_id TEXT,
    url TEXT NOT NULL,
    webhook_type TEXT NOT NULL,
    webhook_code TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    round_started_at DOUBLE PRECISION NOT NULL,
    next_attempt_at DOUBLE PRECISION,
    claimed_until DOUBLE PRECISION
);

-- The worker's question, "what is due?", reads only pending rows.
CREATE INDEX webhooks_due ON webhooks (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX webhooks_item ON webhooks (item_id, created_at);
CREATE INDEX webhooks_created ON webhooks (created_at);

-- Every attempt, as it ended: the HTTP status the receiver answered, or what went wrong
-- (no status), and how long it took. `attempt` counts from 1 across rounds.
CREATE TABLE webhook_attempts (
    webhook_id TEXT NOT NULL REFERENCES webhooks (webhook_id),
    attempt INTEGER NOT NULL,
    at DOUBLE PRECISION NOT NULL,
    status_code INTEGER,
    error TEXT,
    latency_ms DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (webhook_id, attempt)
);
