/** A shard database's tables: every per-merchant table (checkout sessions, connector accounts, routing configurations, customers, payments, charges, ledger, settlement, reconciliation, vault, events and webhooks), keyed by merchant_id. */
export * from "./authentications";
export * from "./charges";
export * from "./checkout";
export * from "./connectors";
export * from "./customers";
export * from "./events";
export * from "./payments";
export * from "./radar";
export * from "./reconciliation";
export * from "./routing";
export * from "./settlement";
export * from "./vault";
