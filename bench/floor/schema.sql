-- Tables of the floor's D1 database; bench/run.ts applies this before the first request.
CREATE TABLE IF NOT EXISTS floor_rows (id TEXT PRIMARY KEY, amount INTEGER NOT NULL, created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS floor_entries (id TEXT PRIMARY KEY, row_id TEXT NOT NULL, amount INTEGER NOT NULL, created INTEGER NOT NULL);
