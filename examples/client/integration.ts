/**
 * A sample merchant integration written against the TypeScript types that openapi-typescript
 * generates from the gateway's own OpenAPI document, GET /openapi.json (`generated/edgepay.d.ts`,
 * git-ignored, written by `npm run lint:openapi`). It is only typechecked by that same step
 * (scripts/openapi-client.ts runs `tsc -p examples/client/tsconfig.json`), never run against a
 * network: its job is to fail the build when a change of the served schemas would break a client
 * generated from them (a renamed field, a removed route, a narrowed enum).
 * The typed fetch wrapper below is the whole client: request bodies, path and query parameters and
 * answers all come from the generated `paths` and `components`, with no runtime dependency.
 */
import type { components, paths } from "./generated/edgepay.js";

type Schemas = components["schemas"];
type Method = "get" | "post";
/** The generated operation of `path` and `method` (`never` where the path has none, so no call typechecks). */
type Operation<P extends keyof paths, M extends Method> = Extract<paths[P][M], { responses: unknown }>;
/** What a call passes: path parameters and a JSON body when the operation has them, its query. */
type Options<O> = (O extends { parameters: { path: infer T } } ? { path: T } : { path?: never }) &
  (O extends { requestBody: { content: { "application/json": infer B } } } ? { body: B } : { body?: never }) &
  (O extends { parameters: { query?: infer Q } } ? { query?: Q } : { query?: never }) & {
    idempotencyKey?: string;
    authorization?: string;
  };
/** The JSON of the operation's 200 answer. */
type Ok<O> = O extends { responses: { 200: { content: { "application/json": infer R } } } } ? R : never;

/** A non-2xx answer, with the gateway's error envelope (or the token endpoint's RFC 6749 body). */
export class EdgepayError extends Error {
  constructor(
    readonly status: number,
    readonly body: Schemas["Error"] | Schemas["OAuthError"],
  ) {
    super(`edgepay answered ${status}`);
  }
}

/** Where the gateway is and the access token of this session (set after `authenticate`). */
export interface Session {
  base: string;
  token?: string;
}

/** What the untyped implementation of `call` receives. */
interface RawOptions {
  path?: Record<string, string>;
  query?: Record<string, unknown>;
  body?: unknown;
  idempotencyKey?: string;
  authorization?: string;
}

/** One typed call: the path template is filled from `path`, `query` and `body` are sent as given. */
export async function call<M extends Method, P extends keyof paths>(
  session: Session,
  method: M,
  path: P,
  options: NoInfer<Options<Operation<P, M>>>,
): Promise<Ok<Operation<P, M>>> {
  const untyped: unknown = options;
  return (await send(session, method, path, untyped as RawOptions)) as Ok<Operation<P, M>>;
}

/** The untyped request behind `call`: a JSON body in, the JSON answer out, a non-2xx thrown. */
async function send(session: Session, method: Method, path: string, options: RawOptions): Promise<unknown> {
  const url = new URL(
    path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(options.path?.[name] ?? "")),
    session.base,
  );
  for (const [name, value] of Object.entries(options.query ?? {})) {
    for (const v of [value].flat()) if (v !== undefined) url.searchParams.append(name, String(v));
  }
  const headers = new Headers({ accept: "application/json" });
  const authorization = options.authorization ?? (session.token ? `Bearer ${session.token}` : undefined);
  if (authorization) headers.set("authorization", authorization);
  if (options.idempotencyKey) headers.set("idempotency-key", options.idempotencyKey);
  if (options.body !== undefined) headers.set("content-type", "application/json");
  const body = options.body === undefined ? null : JSON.stringify(options.body);
  const res = await fetch(url, { method: method.toUpperCase(), headers, body });
  const json: unknown = await res.json();
  if (!res.ok) throw new EdgepayError(res.status, json as Schemas["Error"] | Schemas["OAuthError"]);
  return json;
}

/** Exchanges the API client's credentials for an access token (client_secret_basic). */
export async function authenticate(base: string, clientId: string, clientSecret: string): Promise<Session> {
  const basic = btoa(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`);
  const token = await call({ base }, "post", "/v1/oauth/token", {
    authorization: `Basic ${basic}`,
    body: { grant_type: "client_credentials", scope: "payments:read payments:write events:read metrics:read" },
  });
  return { base, token: token.access_token };
}

/** What the shop keeps of one order: the intent, the refund and what the dashboard shows. */
export interface OrderSummary {
  intent: Schemas["PaymentIntent"];
  refund: Schemas["Refund"];
  recentEvents: string[];
  successRate: number | null;
}

/**
 * One order: a card payment method, a manual-capture intent confirmed with it, a partial capture
 * when the order ships, a partial refund of a returned item, then the recent events and the
 * authorization success rate for the merchant's dashboard.
 */
export async function fulfilOrder(session: Session, orderId: string): Promise<OrderSummary> {
  const card = await call(session, "post", "/v1/payment_methods", {
    body: { type: "card", card: { number: "4242424242424242", exp_month: 12, exp_year: 2030, cvc: "123" } },
  });
  const created = await call(session, "post", "/v1/payment_intents", {
    idempotencyKey: `order-${orderId}`,
    body: {
      amount: 4_500,
      currency: "eur",
      payment_method: card.id,
      capture_method: "manual",
      description: `Order ${orderId}`,
      metadata: { order_id: orderId },
    },
  });
  const confirmed = await call(session, "post", "/v1/payment_intents/{id}/confirm", {
    path: { id: created.id },
    idempotencyKey: `order-${orderId}-confirm`,
    body: {},
  });
  if (confirmed.status !== "requires_capture") {
    throw new Error(`order ${orderId}: ${confirmed.last_payment_error?.message ?? confirmed.status}`);
  }
  const captured = await call(session, "post", "/v1/payment_intents/{id}/capture", {
    path: { id: confirmed.id },
    body: { amount_to_capture: 4_000 },
  });
  const refund = await call(session, "post", "/v1/refunds", {
    idempotencyKey: `order-${orderId}-return-1`,
    body: { payment_intent: captured.id, amount: 1_500, reason: "requested_by_customer" },
  });
  const events = await call(session, "get", "/v1/events", { query: { limit: 10, "types[]": ["charge.refunded"] } });
  const metrics = await call(session, "get", "/v1/metrics", { query: { interval: 3600 } });
  return {
    intent: captured,
    refund,
    recentEvents: events.data.map((e) => `${e.type} ${e.id}`),
    successRate: metrics.totals.authorizations.success_rate,
  };
}
