/** The control database's tables: merchants (with the shard directory), API clients, operators and the audit log. */
export * from "./merchants";
export * from "./operators";
