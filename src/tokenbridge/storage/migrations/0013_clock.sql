-- The virtual clock (docs/TESTING.md, "Time"). A client's clock_offset is how far the clock
-- of its world has been advanced, in seconds: the same on every client of an isolated world
-- (the client and its partners), so that each request's client carries it, and 0 on every
-- client of the shared world, whose clock is the real one.
ALTER TABLE clients ADD COLUMN clock_offset DOUBLE PRECISION NOT NULL DEFAULT 0;
-- When the user last logged in to the Item, on its client's clock: NULL for at its creation,
-- set when the Item is repaired. The Sandbox's 30-day ITEM_LOGIN_REQUIRED counts from it.
ALTER TABLE items ADD COLUMN logged_in_at DOUBLE PRECISION;
