/** A shard database's tables: every per-merchant table (customers, payments, charges, ledger, settlement, vault, events and webhooks), keyed by merchant_id. */
export * from "./charges";
export * from "./customers";
export * from "./events";
export * from "./payments";
export * from "./radar";
export * from "./settlement";
export * from "./vault";
