/**
 * What the operator's and the merchant's API-key routes share: the `ApiKey` object, the create and
 * roll parameters and their checks, the path parameter and its lookup.
 */
import { z } from "@hono/zod-openapi";
import { type ApiKeyRow, getApiKey } from "../db/api-keys";
import type { Db } from "../db/client";
import {
  API_KEY_KINDS,
  type ApiKeyKind,
  looksLikeApiKey,
  ROLL_DEFAULT_EXPIRES_IN,
  ROLL_MAX_EXPIRES_IN,
} from "../domain/api-keys";
import { parseScopes, SCOPES, type Scope } from "../domain/scopes";
import { ApiError, invalidParam } from "../errors";
import { mayEcho } from "../lib/echo";
import { hasPrefix, noSuchMessage } from "../lib/ids";
import { intParam } from "../lib/params";

/** An API key as the API shows it: never the key, only `redacted_key`. */
export const ApiKeySchema = z
  .object({
    id: z.string().openapi({ description: "The key's id (`key_…`), which names it in the API; not the key." }),
    object: z.literal("api_key").openapi({ description: "String representing the object's type: always `api_key`." }),
    type: z
      .enum(API_KEY_KINDS)
      .openapi({ description: "`secret` (sk_), `restricted` (rk_) or `publishable` (pk_).", example: "secret" }),
    livemode: z.boolean().openapi({ description: "True for a live key, false for a test key." }),
    redacted_key: z.string().openapi({ example: "sk_test_…4xQz", description: "The prefix and last four characters." }),
    scopes: z.array(z.string()).openapi({
      description: "What the key may do: every scope (secret), its own (restricted), or tokenizing (publishable).",
    }),
    status: z.enum(["active", "expired", "revoked"]).openapi({
      description: "`active`; `expired` once a rolled key's `expires_at` has passed; `revoked` when revoked.",
      example: "active",
    }),
    expires_at: z
      .int()
      .nullable()
      .openapi({ description: "When a rolled key stops working (unix seconds); null: never." }),
    rolled_to: z
      .string()
      .nullable()
      .openapi({ description: "The key (`key_…`) that replaced this one in a roll; null when not rolled." }),
    created: z.int().openapi({ description: "Time of creation, in unix seconds.", example: 1733097600 }),
  })
  .openapi("ApiKey");

/** An API key in the one response that carries the key itself. */
export const NewApiKeySchema = ApiKeySchema.extend({
  secret: z.string().openapi({ description: "The key. Shown once; only a keyed hash is stored." }),
}).openapi("NewApiKey");

/** `POST …/api_keys` parameters. */
export const CreateApiKey = z
  .strictObject({
    type: z.enum(API_KEY_KINDS).openapi({ description: "`secret` (sk_), `restricted` (rk_) or `publishable` (pk_)." }),
    scopes: z
      .union([z.string(), z.array(z.string())])
      .optional()
      .openapi({
        description: `Restricted keys only, and required for them: space-separated string or array of ${SCOPES.join(", ")}.`,
      }),
  })
  .openapi("CreateApiKeyParams");

/** `POST …/api_keys/{key}/roll` parameters. */
export const RollApiKey = z
  .strictObject({
    expires_in: intParam()
      .pipe(z.int().min(0).max(ROLL_MAX_EXPIRES_IN))
      .optional()
      .openapi({
        description: `Seconds the old key keeps working: 0 (now) to ${ROLL_MAX_EXPIRES_IN} (7 days); default ${ROLL_DEFAULT_EXPIRES_IN} (24 h).`,
      }),
  })
  .openapi("RollApiKeyParams");

/** The `{key}` path parameter (the key's id). */
export const KeyParam = z.object({
  key: z
    .string()
    .openapi({ param: { name: "key", in: "path" }, description: "The API key's id (`key_…`), not the key." }),
});

/** The kind and scopes a create asks for, or a 400 naming `scopes`. */
export function requestedKey(params: z.infer<typeof CreateApiKey>): { kind: ApiKeyKind; scopes: Scope[] } {
  const kind = params.type;
  if (kind !== "restricted") {
    if (params.scopes !== undefined) {
      throw invalidParam("parameter_invalid", `A ${kind} key takes no scopes; only restricted keys do.`, "scopes");
    }
    return { kind, scopes: [] };
  }
  if (params.scopes === undefined) {
    throw invalidParam("parameter_missing", "A restricted key needs its scopes.", "scopes");
  }
  const parsed = parseScopes(params.scopes);
  if (!parsed.ok) {
    const shown = mayEcho(parsed.unknown, 64) && !looksLikeApiKey(parsed.unknown) ? `: ${parsed.unknown}` : "";
    throw invalidParam("parameter_invalid", `Unknown scope${shown}.`, "scopes");
  }
  if (parsed.scopes.length === 0) throw invalidParam("parameter_invalid", "Give the key at least one scope.", "scopes");
  return { kind, scopes: parsed.scopes };
}

/** 400 for a roll of a key that is revoked, expired or already rolled. */
export function notRollable(): ApiError {
  return new ApiError("api_key_inactive", "Only an active key that was not rolled before can be rolled.", {
    param: "key",
  });
}

/** The merchant's key named `id`, or 404 `resource_missing` (another merchant's key is just as missing). */
export async function keyOr404(db: Db, merchantId: string, id: string): Promise<ApiKeyRow> {
  const row = hasPrefix(id, "key") ? await getApiKey(db, merchantId, id) : undefined;
  if (!row) throw new ApiError("resource_missing", noSuchMessage("API key", id, "key"), { param: "key" });
  return row;
}
