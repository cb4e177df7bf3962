/** Helpers that send requests through the real Worker entry (`exports.default.fetch`). */
import { exports } from "cloudflare:workers";

/** Base URL used for in-process requests. */
export const BASE = "http://127.0.0.1:8787";

/** Sends a request to the Worker under test. */
export function call(path: string, init?: RequestInit): Promise<Response> {
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
