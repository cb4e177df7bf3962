/** `GET /health`: liveness plus a real round trip to D1 and to a Durable Object. */
import { createRoute, z } from "@hono/zod-openapi";
import { controlDb, pingDb } from "../db/client";
import { errorResponses, NoQuery } from "../lib/openapi";
import type { App } from "../types";

const HealthSchema = z
  .object({
    status: z.enum(["ok", "degraded"]),
    checks: z.object({ d1: z.enum(["ok", "fail"]), durable_object: z.enum(["ok", "fail"]) }),
  })
  .openapi("Health");

const route = createRoute({
  method: "get",
  path: "/health",
  tags: ["Operations"],
  summary: "Check that the gateway, D1 and Durable Objects answer",
  request: { query: NoQuery },
  responses: {
    ...errorResponses(400),
    200: { description: "All dependencies answer", content: { "application/json": { schema: HealthSchema } } },
    503: { description: "A dependency failed", content: { "application/json": { schema: HealthSchema } } },
  },
});

/** Registers the health route. */
export function registerHealth(app: App): void {
  app.openapi(route, async (c) => {
    const [d1, durable] = await Promise.all([
      pingDb(controlDb(c.env))
        .then(() => "ok" as const)
        .catch(() => "fail" as const),
      c.env.MERCHANT_GATE.getByName("health")
        .ping()
        .then((pong) => (pong === "pong" ? ("ok" as const) : ("fail" as const)))
        .catch(() => "fail" as const),
    ]);
    const ok = d1 === "ok" && durable === "ok";
    c.header("Cache-Control", "no-store");
    return c.json({ status: ok ? "ok" : "degraded", checks: { d1, durable_object: durable } } as const, ok ? 200 : 503);
  });
}
