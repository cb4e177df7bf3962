-- The floor's own D1 tables. The harness applies the gateway's migrations first (floorSqlFiles in
-- bench/lib/workerd.ts), so `authorize_floor` writes into the gateway's own payment tables.
CREATE TABLE IF NOT EXISTS floor_rows (id TEXT PRIMARY KEY, amount INTEGER NOT NULL, created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS floor_entries (id TEXT PRIMARY KEY, row_id TEXT NOT NULL, amount INTEGER NOT NULL, created INTEGER NOT NULL);
