-- What the bank keeps with an Item: the user's own data (a sandbox user_custom
-- configuration, later a production bank's records), as the JSON document the Bank wrote
-- when the Item was linked. NULL for an Item whose data the bank derives from its ids.
ALTER TABLE items ADD COLUMN profile TEXT;

-- Plaid's AccountBase.verification_status, for an account in a micro-deposit flow.
ALTER TABLE accounts ADD COLUMN verification_status TEXT;

-- Transactions added by /sandbox/transactions/create. Each call is one refresh round of the
-- Item's transactions (`generation`), so that a sync cursor from before it sees them added.
CREATE TABLE sandbox_transactions (
    item_id TEXT NOT NULL REFERENCES items (item_id),
    generation INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (account_id),
    date_transacted TEXT NOT NULL,
    date_posted TEXT NOT NULL,
    amount DOUBLE PRECISION NOT NULL,
    description TEXT NOT NULL,
    iso_currency_code TEXT NOT NULL,
    PRIMARY KEY (item_id, generation, seq)
);
