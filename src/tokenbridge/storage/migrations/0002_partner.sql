-- What partners report to Signal, and which Items are prepared for it. Rows are only
-- appended; an Item's rows are read back in time order.
CREATE TABLE signal_records (
    item_id TEXT NOT NULL REFERENCES items (item_id),
    account_id TEXT NOT NULL REFERENCES accounts (account_id),
    kind TEXT NOT NULL,
    client_transaction_id TEXT,
    data TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX signal_records_item_id ON signal_records (item_id, kind);
