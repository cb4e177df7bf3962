/** The whole Drizzle schema; drizzle-kit generates migrations/ from these modules. */
export * from "./merchants";
export * from "./operators";
export * from "./payments";
export * from "./vault";
