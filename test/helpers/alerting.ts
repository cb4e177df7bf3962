/**
 * Alerting test helpers: the operator API's `/admin/v1/alerting` called as root, and a reset of
 * the alerting tables (a test file's databases are shared by its tests; the hook is one row).
 */
import { env } from "cloudflare:workers";
import { controlDb } from "../../src/db/client";
import { alertHook, alertStates } from "../../src/db/schema";
import type { AlertingJson } from "../../src/routes/admin-alerting";
import { call, json, type Target } from "./http";
import { operatorHeaders } from "./merchants";

/** A request to /admin/v1/alerting: GET without a body, POST (JSON) with one; status and parsed body. */
export async function alerting(
  body?: unknown,
  headers: Record<string, string> = operatorHeaders(),
  app?: Target,
  // biome-ignore lint/suspicious/noExplicitAny: tests read error bodies and answers alike.
): Promise<{ status: number; body: any }> {
  const init = body === undefined ? { method: "GET" } : json(body);
  const res = await call("/admin/v1/alerting", { ...init, headers: { ...init.headers, ...headers } }, app);
  return { status: res.status, body: await res.json() };
}

/** Configures the hook at `url` through the API and returns the answer, its secret included. */
export async function configureHook(url: string): Promise<AlertingJson & { secret: string }> {
  const res = await alerting({ url });
  if (res.status !== 200 || typeof res.body.secret !== "string") {
    throw new Error(`alerting: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return res.body;
}

/** Deletes the hook and every rule state. */
export async function resetAlerting(): Promise<void> {
  const db = controlDb(env);
  await db.batch([db.delete(alertHook), db.delete(alertStates)]);
}
