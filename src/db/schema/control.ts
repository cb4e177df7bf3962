/** The control database's tables: merchants (with the shard directory), API clients, operators, the audit log and alerting. */

export * from "./alerting";
export * from "./merchants";
export * from "./operators";
