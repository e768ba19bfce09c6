-- Isolated sandbox clients (the control API, docs/TESTING.md). A client's world is '' (the
-- shared one: every client made by the command line) or the client_id of the isolated
-- client it belongs to (that client, and the partners made for it). A processor token keeps
-- the world of the client that made it, and only the processor's partners of that world may
-- use it.
ALTER TABLE clients ADD COLUMN world TEXT NOT NULL DEFAULT '';
ALTER TABLE processor_tokens ADD COLUMN world TEXT NOT NULL DEFAULT '';
CREATE INDEX clients_world ON clients (world);

-- Webhook inboxes: URLs served by tokenbridge itself, whose deliveries (headers and the raw
-- body, UTF-8) a test reads back through the control API.
CREATE TABLE inboxes (
    inbox_id TEXT PRIMARY KEY,
    world TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL
);
CREATE TABLE inbox_deliveries (
    inbox_id TEXT NOT NULL REFERENCES inboxes (inbox_id),
    seq INTEGER NOT NULL,
    received_at DOUBLE PRECISION NOT NULL,
    headers TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (inbox_id, seq)
);
