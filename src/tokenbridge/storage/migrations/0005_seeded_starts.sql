-- How many times a seeded server (`tokenbridge serve --seed`) has started on this database.
-- Each start takes the next number and draws its ids and tokens from sequences of its own
-- (RandomSource.resume in domain/randomness.py), so that a restart never hands out again
-- what an earlier start did. One row, advanced once per start, never per request.
CREATE TABLE seeded_starts (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    starts BIGINT NOT NULL
);

-- Start 0 draws the seed's own sequence. Before this table, a start over a database without
-- Items drew that sequence too, so a database that already holds Items begins at 1.
INSERT INTO seeded_starts (singleton, starts)
SELECT 1, CASE WHEN EXISTS (SELECT 1 FROM items) THEN 1 ELSE 0 END;
