-- Who made each Signal record. A client_transaction_id is the evaluating client's: its
-- decision and return reports must name one of its own evaluations, whichever form (the
-- developer's access token or a partner's processor token) made it. NULL on records made
-- before this column, all of them a partner's through a processor token.
ALTER TABLE signal_records ADD COLUMN client_id TEXT;

-- /signal/decision/report and /signal/return/report name an evaluation by its
-- client_transaction_id alone (no access token): it is looked up among the client's.
CREATE INDEX signal_records_client_transaction_id
    ON signal_records (client_transaction_id, client_id);
