/** A shard database's tables: every per-merchant table (payments, ledger, vault), keyed by merchant_id. */
export * from "./payments";
export * from "./vault";
