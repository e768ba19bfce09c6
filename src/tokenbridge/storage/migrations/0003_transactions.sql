-- Transactions state per Item. The transactions themselves are not stored: the sandbox
-- computes them from the Item, the days of history and the refresh dates, so these rows
-- are all that two servers (or one server after a restart) need to agree on them.

CREATE TABLE transactions_items (
    item_id TEXT PRIMARY KEY REFERENCES items (item_id),
    days_requested INTEGER NOT NULL,
    generation INTEGER NOT NULL,
    initialized_at DOUBLE PRECISION NOT NULL
);

-- One row per /processor/transactions/refresh: round `generation` happened at `refreshed_at`.
CREATE TABLE transactions_refreshes (
    item_id TEXT NOT NULL REFERENCES items (item_id),
    generation INTEGER NOT NULL,
    refreshed_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (item_id, generation)
);

-- Who has called /transactions/sync on the Item: '' for the Item's developer, otherwise the
-- hash of the processor token used. Decides SYNC_UPDATES_AVAILABLE over DEFAULT_UPDATE.
CREATE TABLE transactions_sync_users (
    item_id TEXT NOT NULL REFERENCES items (item_id),
    subject TEXT NOT NULL,
    first_synced_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (item_id, subject)
);
