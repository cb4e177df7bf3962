/**
 * The scenarios: the floor Worker's five, and the gateway's payment paths written against the
 * Stripe-shaped contract (form bodies, Bearer JWT, an Idempotency-Key on every POST as the stripe SDK
 * sends). A gateway scenario runs only when every route it needs is in the served /openapi.json
 * and one probe request answers 2xx; otherwise it is reported as missing or failing, never faked.
 *
 * Objects flow between scenarios at one concurrency: tokenization yields payment methods for the
 * authorizations, the manual-capture authorizations feed capture, the automatic ones feed refund.
 */
import type { FloorName, RequestSpec, Scenario } from "./load.ts";
import { CARD_FORM, type Seeded } from "./seed.ts";

/** The floor scenarios, in the order they run. */
export const FLOOR_SCENARIOS: readonly Scenario[] = [
  { name: "hello", expectStatus: 200, next: () => ({ method: "GET", path: "/hello" }) },
  { name: "do_write", expectStatus: 200, next: () => ({ method: "POST", path: "/do" }) },
  { name: "d1_batch", expectStatus: 200, next: () => ({ method: "POST", path: "/d1" }) },
  { name: "all_three", expectStatus: 200, next: () => ({ method: "POST", path: "/all" }) },
  { name: "authorize_floor", expectStatus: 200, next: () => ({ method: "POST", path: "/authorize" }) },
];

/** Objects created by one scenario and consumed by another. */
export interface Pools {
  paymentMethods: string[];
  manualIntents: string[];
  automaticIntents: string[];
  /** A payment method that may be charged repeatedly, if the gateway allows that. */
  reusablePaymentMethod: string | null;
}

/** A gateway scenario: the routes it needs and how to build it from the seeded merchant. */
export interface GatewayScenario {
  name: string;
  /** What it measures, for the table and the README. */
  title: string;
  floor: FloorName;
  /** `METHOD /path` with `{param}` placeholders, as in the OpenAPI document. */
  routes: readonly string[];
  /** Needs the seeded merchant's token. */
  authenticated: boolean;
  /** Returns the scenario, or why it cannot run now (e.g. an empty pool). */
  build(ctx: { seeded: Seeded | null; pools: Pools }): Scenario | string;
}

function idOf(body: string): string | null {
  try {
    const id = (JSON.parse(body) as { id?: unknown }).id;
    return typeof id === "string" ? id : null;
  } catch {
    return null;
  }
}

function bearer(seeded: Seeded | null): Record<string, string> {
  if (!seeded) throw new Error("scenario needs the seeded merchant");
  return { authorization: `Bearer ${seeded.token}` };
}

function basic(client: { clientId: string; clientSecret: string }): string {
  const pair = `${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`;
  return `Basic ${Buffer.from(pair).toString("base64")}`;
}

/** A scenario that takes one prepared id per request; bounded by how many were prepared. */
function fromPool(pool: string[], base: Omit<Scenario, "next" | "maxRequests">, build: (id: string) => RequestSpec) {
  if (pool.length === 0) return "no prepared objects (the scenario that creates them did not run)";
  return {
    ...base,
    maxRequests: () => pool.length,
    next: () => build(pool.shift() ?? "exhausted"),
  } satisfies Scenario;
}

function authorize(captureMethod: "manual" | "automatic"): GatewayScenario["build"] {
  return ({ seeded, pools }) => {
    const headers = bearer(seeded);
    const sink = captureMethod === "manual" ? pools.manualIntents : pools.automaticIntents;
    const form = (pm: string) => ({
      amount: "2000",
      currency: "usd",
      payment_method: pm,
      confirm: "true",
      capture_method: captureMethod,
    });
    const base = {
      name: captureMethod === "manual" ? "authorize_manual" : "authorize_automatic",
      expectStatus: 200,
      idempotencyKey: true,
      onBody: (body: string) => {
        const id = idOf(body);
        if (id) sink.push(id);
      },
    };
    const reusable = pools.reusablePaymentMethod;
    if (reusable) {
      return { ...base, next: () => ({ method: "POST", path: "/v1/payment_intents", headers, form: form(reusable) }) };
    }
    // Single-use payment methods: the manual run takes half of those tokenized, the automatic run the rest.
    const share = captureMethod === "manual" ? Math.ceil(pools.paymentMethods.length / 2) : pools.paymentMethods.length;
    return fromPool(pools.paymentMethods.splice(0, share), base, (pm) => ({
      method: "POST",
      path: "/v1/payment_intents",
      headers,
      form: form(pm),
    }));
  };
}

/** Every gateway scenario of the issue, in the order they run at each concurrency. */
export const GATEWAY_SCENARIOS: readonly GatewayScenario[] = [
  {
    name: "health",
    title: "GET /health (one D1 query per database and one DO RPC, in parallel)",
    floor: "all_three",
    routes: ["GET /health"],
    authenticated: false,
    build: () => ({
      name: "health",
      expectStatus: 200,
      next: () => ({ method: "GET", path: "/health" }),
    }),
  },
  {
    name: "token",
    title: "token issuance (POST /v1/oauth/token, client_secret_basic, rotating over 16 clients)",
    floor: "d1_batch",
    routes: ["POST /v1/oauth/token"],
    authenticated: true,
    build: ({ seeded }) => {
      if (!seeded) return "needs the seeded merchant";
      const authorizations = seeded.tokenClients.map(basic);
      let turn = 0;
      return {
        name: "token",
        expectStatus: 200,
        next: () => ({
          method: "POST",
          path: "/v1/oauth/token",
          headers: { authorization: authorizations[turn++ % authorizations.length] ?? "" },
          form: { grant_type: "client_credentials" },
        }),
      };
    },
  },
  {
    name: "tokenize",
    title: "tokenization (POST /v1/payment_methods)",
    floor: "all_three",
    routes: ["POST /v1/payment_methods"],
    authenticated: true,
    build: ({ seeded, pools }) => {
      const headers = bearer(seeded);
      return {
        name: "tokenize",
        expectStatus: 200,
        idempotencyKey: true,
        onBody: (body) => {
          const id = idOf(body);
          if (id) pools.paymentMethods.push(id);
        },
        next: () => ({ method: "POST", path: "/v1/payment_methods", headers, form: { ...CARD_FORM } }),
      };
    },
  },
  {
    name: "authorize_manual",
    title: "authorize: create with confirm=true, capture_method=manual",
    floor: "authorize_floor",
    routes: ["POST /v1/payment_intents", "POST /v1/payment_methods"],
    authenticated: true,
    build: authorize("manual"),
  },
  {
    name: "authorize_automatic",
    title: "authorize with automatic capture",
    floor: "authorize_floor",
    routes: ["POST /v1/payment_intents", "POST /v1/payment_methods"],
    authenticated: true,
    build: authorize("automatic"),
  },
  {
    name: "capture",
    title: "capture (POST /v1/payment_intents/{id}/capture) of a manual authorization",
    floor: "all_three",
    routes: ["POST /v1/payment_intents/{id}/capture"],
    authenticated: true,
    build: ({ seeded, pools }) => {
      const headers = bearer(seeded);
      return fromPool(pools.manualIntents, { name: "capture", expectStatus: 200, idempotencyKey: true }, (id) => ({
        method: "POST",
        path: `/v1/payment_intents/${id}/capture`,
        headers,
      }));
    },
  },
  {
    name: "refund",
    title: "refund (POST /v1/refunds, full amount) of a captured payment",
    floor: "all_three",
    routes: ["POST /v1/refunds"],
    authenticated: true,
    build: ({ seeded, pools }) => {
      const headers = bearer(seeded);
      return fromPool(pools.automaticIntents, { name: "refund", expectStatus: 200, idempotencyKey: true }, (id) => ({
        method: "POST",
        path: "/v1/refunds",
        headers,
        form: { payment_intent: id },
      }));
    },
  },
  {
    name: "list",
    title: "list (GET /v1/payment_intents?limit=10)",
    floor: "all_three",
    routes: ["GET /v1/payment_intents"],
    authenticated: true,
    build: ({ seeded }) => {
      const headers = bearer(seeded);
      return {
        name: "list",
        expectStatus: 200,
        next: () => ({ method: "GET", path: "/v1/payment_intents?limit=10", headers }),
      };
    },
  },
];

/** `METHOD /path` keys of an OpenAPI document, with path parameters normalized to `{}`. */
export function openApiRoutes(doc: unknown): Set<string> {
  const routes = new Set<string>();
  const paths = (doc as { paths?: Record<string, Record<string, unknown>> } | null)?.paths ?? {};
  for (const [path, item] of Object.entries(paths)) {
    for (const method of Object.keys(item)) routes.add(routeKey(`${method.toUpperCase()} ${path}`));
  }
  return routes;
}

/** Normalizes `POST /v1/x/{id}` and `POST /v1/x/:id` to one key. */
export function routeKey(route: string): string {
  return route.replace(/\{[^}]+\}|:[A-Za-z_]+/g, "{}");
}
