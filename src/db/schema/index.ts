/** The whole Drizzle schema: the control tables and the shard tables (docs/schema.md says which is where). */
export * from "./control";
export * from "./shard";
