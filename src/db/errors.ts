/** Recognising D1 constraint failures, which the storage layer turns into results (never HTTP errors). */

/** True when a D1 error is a UNIQUE (or PRIMARY KEY) violation on `table` (the message names the table). */
export function isUniqueViolation(err: unknown, table: string): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e.message.includes("UNIQUE constraint failed") && e.message.includes(`${table}.`)) return true;
  }
  return false;
}
