/** Helpers for webhook endpoint tests: create one, and send requests to an app running in live mode. */
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { createApp } from "../../src/app";
import type { Resolver } from "../../src/webhooks/url-safety";
import { BASE, type Target } from "./http";
import type { TestMerchant } from "./merchants";
import { post } from "./payments";

/** Creates an endpoint (every event, a public test URL unless given) and returns its body, secret included. */
export async function newEndpoint(
  m: Pick<TestMerchant, "headers">,
  fields: Record<string, string> = {},
  opts: { idempotencyKey?: string; app?: Target } = {},
) {
  const res = await post(
    m,
    "/v1/webhook_endpoints",
    { url: "https://hooks.example.com/edgepay", "enabled_events[0]": "*", ...fields },
    opts,
  );
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

/** A resolver answering from a table; unknown names are unresolvable. */
export function tableResolver(answers: Record<string, readonly string[]>): Resolver {
  return async (host) =>
    host in answers ? { ok: true, addresses: answers[host] as readonly string[] } : { ok: false };
}

/** An app as the Worker builds it, with `resolve` as its DNS, answering as a live-mode deployment. */
export function liveApp(resolve: Resolver): Target {
  const app = createApp({ resolve });
  const live = { ...env, EDGEPAY_MODE: "live" } as Env;
  return { request: (input, init) => app.request(input.startsWith("http") ? input : `${BASE}${input}`, init, live) };
}
