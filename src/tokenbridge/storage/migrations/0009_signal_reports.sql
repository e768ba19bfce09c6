-- /signal/decision/report and /signal/return/report name an evaluation by its
-- client_transaction_id alone (no access token), so it is looked up across the client's Items.
CREATE INDEX signal_records_client_transaction_id ON signal_records (client_transaction_id);
