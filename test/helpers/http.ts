/** Helpers that send requests through the real Worker entry (`exports.default.fetch`). */
import { env, exports } from "cloudflare:workers";

/** Base URL used for in-process requests. */
export const BASE = "http://127.0.0.1:8787";

/** Something that answers requests like the Worker: the real entry, or an app built by a test. */
export type Target = { request(input: string, init: RequestInit | undefined, env: Env): Response | Promise<Response> };

/** Sends a request to the Worker under test, or to `app` (e.g. one built with a failing processor). */
export function call(path: string, init?: RequestInit, app?: Target): Promise<Response> {
  if (app) return Promise.resolve(app.request(`${BASE}${path}`, init, env));
  return exports.default.fetch(new Request(`${BASE}${path}`, init));
}

/** Form-encodes a flat map of bracketed keys, the way the stripe SDK does. */
export function form(fields: Record<string, string>): RequestInit {
  return {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
  };
}

/** JSON-encodes a body for a POST. */
export function json(body: unknown): RequestInit {
  return { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

/** The error envelope's inner object, as tests read it. */
export interface ErrorBody {
  error: { type: string; code: string; message: string; param?: string; decline_code?: string; request_id: string };
}
