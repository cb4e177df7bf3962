/**
 * Structured JSON logging. Callers pass named, already-safe fields; never a request body,
 * header map, token, secret or card data. Workers Logs indexes the JSON fields.
 */

/** Log severity, mapped onto the console method of the same name. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Writes one JSON log line with an event name and explicit fields. */
export function log(
  level: LogLevel,
  event: string,
  fields: Record<string, string | number | boolean | null> = {},
): void {
  // biome-ignore lint/suspicious/noConsole: the structured logger is the one place that writes to the console.
  console[level](JSON.stringify({ level, event, ...fields }));
}
