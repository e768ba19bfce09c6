-- The dashboard's lists (src/tokenbridge/dashboard): each page is read newest (or oldest)
-- first with a keyset on an indexed column, so a page of a large database costs what a
-- page of a small one does. Items by age (all of them, and a client's); clients by age; the
-- audit log by who acted and by what was done, each in time order (audit_log_at and
-- audit_log_item_id exist).
CREATE INDEX items_created ON items (created_at, item_id);
CREATE INDEX items_client_created ON items (client_id, created_at, item_id);
CREATE INDEX clients_created ON clients (created_at, client_id);
CREATE INDEX audit_log_actor ON audit_log (actor, at);
CREATE INDEX audit_log_action ON audit_log (action, at);
