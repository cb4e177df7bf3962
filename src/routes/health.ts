/**
 * `GET /health`: liveness plus a timed round trip to every dependency, all at once: the control
 * D1 database, each merchant shard (named by its index only) and the MerchantGate Durable Object.
 * Each probe has PROBE_TIMEOUT_MS; a failure says `fail` and nothing about why. Unauthenticated,
 * so an isolate answers from its last probes for HEALTH_CACHE_MS: a caller hammering /health costs
 * every database one query per isolate per HEALTH_CACHE_MS, not one per request.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { controlDb, pingDb } from "../db/client";
import { allShards } from "../db/shards";
import { errorResponses, NoQuery, registerComponents } from "../lib/openapi";
import { probe } from "../lib/probe";
import type { App } from "../types";

const CheckSchema = z
  .object({
    status: z
      .enum(["ok", "fail"])
      .openapi({ description: "`fail` on an error or a timeout; never why.", example: "ok" }),
    latency_ms: z
      .int()
      .openapi({ description: "Milliseconds the round trip took (up to the 2 s timeout).", example: 3 }),
  })
  .openapi("HealthCheck", { description: "One dependency's probe." });

/** The health answer's schema. */
export const HealthSchema = z
  .object({
    status: z
      .enum(["ok", "degraded"])
      .openapi({ description: "`ok` when every check is `ok` (HTTP 200), else `degraded` (HTTP 503).", example: "ok" }),
    checks: z
      .object({
        d1: z
          .object({
            control: CheckSchema.openapi({ description: "The control database." }),
            shards: z
              .array(CheckSchema.extend({ shard: z.int().openapi({ description: "The shard's index, from 0." }) }))
              .openapi({ description: "Every merchant shard, by index." }),
          })
          .openapi({ description: "The D1 databases." }),
        durable_objects: z
          .object({ merchant_gate: CheckSchema.openapi({ description: "The MerchantGate Durable Object." }) })
          .openapi({ description: "The Durable Objects." }),
      })
      .openapi({ description: "Each dependency's probe." }),
  })
  .openapi("Health");

/** The health answer. */
export type HealthJson = z.infer<typeof HealthSchema>;

/** How long an isolate answers /health from its last probes, in milliseconds. */
export const HEALTH_CACHE_MS = 5_000;

const lastProbes = new WeakMap<Env, { at: number; body: HealthJson; ok: boolean }>();

/** Probes every dependency at once. */
async function probeAll(env: Env): Promise<{ body: HealthJson; ok: boolean }> {
  const ping = (db: ReturnType<typeof controlDb>) => () => pingDb(db).then(() => true);
  const [control, shards, gate] = await Promise.all([
    probe(ping(controlDb(env))),
    Promise.all(allShards(env).map((db, shard) => probe(ping(db)).then((r) => ({ shard, ...r })))),
    probe(async () => (await env.MERCHANT_GATE.getByName("health").ping()) === "pong"),
  ]);
  const ok = [control, gate, ...shards].every((check) => check.status === "ok");
  const body: HealthJson = {
    status: ok ? "ok" : "degraded",
    checks: { d1: { control, shards }, durable_objects: { merchant_gate: gate } },
  };
  return { body, ok };
}

const route = createRoute({
  method: "get",
  path: "/health",
  tags: ["Operations"],
  security: [],
  summary: "Check that the gateway, every D1 database and the Durable Objects answer, and how fast",
  request: { query: NoQuery },
  responses: {
    ...errorResponses(400),
    200: { description: "All dependencies answer", content: { "application/json": { schema: HealthSchema } } },
    503: { description: "A dependency failed", content: { "application/json": { schema: HealthSchema } } },
  },
});

/** Registers the health route. */
export function registerHealth(app: App): void {
  registerComponents(app, { HealthCheck: CheckSchema });
  app.openapi(route, async (c) => {
    const now = Date.now();
    let last = lastProbes.get(c.env);
    if (!last || now - last.at >= HEALTH_CACHE_MS) {
      last = { at: now, ...(await probeAll(c.env)) };
      lastProbes.set(c.env, last);
    }
    const { body, ok } = last;
    c.header("Cache-Control", "no-store");
    return c.json(body, ok ? 200 : 503);
  });
}
