/** Hono context types shared by the app factory, middleware and route modules. */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Db } from "./db/client";
import type { ExpandPlan } from "./expand/plan";
import type { PaymentDeps } from "./payments/deps";

/** What the caller authenticated with: an OAuth2 access token, or an API key of one kind. */
export type CredentialKind = "access_token" | "secret_key" | "restricted_key" | "publishable_key";

/** The authenticated merchant caller, set by the merchant auth middleware. */
export interface MerchantAuth {
  merchantId: string;
  /** The OAuth2 client (`cli_…`), or the API key (`key_…`). */
  clientId: string;
  scopes: ReadonlySet<string>;
  /** The access token's `jti`, or the API key's id. */
  tokenId: string;
  credential: CredentialKind;
  /** The merchant's operator-set requests/s (from the auth status cache); null or absent means RATE_LIMIT_DEFAULT. */
  rateLimit?: number | null;
  /** When the merchant's route (its shard) was read from the directory, in ms: the gate refuses it if older than a move. */
  routeReadAt: number;
}

/** The authenticated operator, set by the operator auth middleware on `/admin/v1`. */
export interface OperatorActor {
  /** `op_…` for a named operator, `root` for OPERATOR_TOKEN; recorded as the audit log's actor. */
  id: string;
}

/** Per-request variables set by middleware. */
export interface AppVariables {
  /** The `Request-Id` of this request (`req_…`). */
  requestId: string;
  /** The parsed request body: JSON and bracket-nested form bodies yield the same object. */
  body: Record<string, unknown>;
  /** Present on merchant routes once the access token has been verified. */
  auth: MerchantAuth;
  /** Present on operator routes once the operator credential has been verified. */
  operator: OperatorActor;
  /** The database holding the authenticated merchant's objects, set with `auth`. */
  merchantDb: Db;
  /** What the payment services run on (the merchant's db, processor, clock), built once per merchant request. */
  payments: PaymentDeps;
  /** The request's checked `expand[]` paths, set by the `expandable` route middleware; undefined when none were sent. */
  expand: ExpandPlan | undefined;
  /** The request's `Idempotency-Key`, once the idempotency layer has admitted it. */
  idempotencyKey: string | undefined;
  /** Set by a handler whose answer carries a secret, and whether it can be shown again: the gate never saves it (gate.ts). */
  answerCarriesSecret: "reopened" | "never" | undefined;
  /**
   * Set by the gate on a retry of a request whose answer carried a secret: the handler runs again
   * and must change nothing, only find its first run's effect and show it.
   */
  idempotentRerun: boolean | undefined;
}

/** Hono environment of the gateway: bindings from wrangler.toml plus per-request variables. */
export interface AppEnv {
  Bindings: Env;
  Variables: AppVariables;
}

/** The gateway's app type; route modules register themselves on it. */
export type App = OpenAPIHono<AppEnv>;
