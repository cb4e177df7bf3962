/**
 * Creating, rolling and revoking a merchant's API keys, and their API representation: the one path
 * both the operator API (routes/admin-api-keys.ts) and the merchant's own `/v1/api_keys` take.
 * Each change is one `db.batch` with its audit entry; a roll or revoke drops the key from this
 * isolate's status cache at once (other isolates follow within STATUS_CACHE_TTL_MS).
 */
import { eq } from "drizzle-orm";
import { generateApiKey, hashClientSecret } from "../crypto/secrets";
import { forgetKey } from "../db/access-status";
import { type ApiKeyRow, insertApiKey, insertReplacementIfRolled, markRolled, revokeApiKey } from "../db/api-keys";
import type { Db } from "../db/client";
import { type AuditEntry, insertAudit, insertAuditIfChanged, nowSeconds } from "../db/merchants";
import { apiKeys } from "../db/schema";
import { type ApiKeyKind, keyMode, keyPrefix, keyScopes, redactedKey } from "../domain/api-keys";
import { isScope, type Scope } from "../domain/scopes";
import { newId } from "../lib/ids";

/** Builds the audit entry of a key change (the operator's, or the merchant credential's); `details` never holds a key. */
export type AuditFor = (action: string, details: Record<string, unknown>) => AuditEntry;

/** A key just issued: its row and the key itself, to be shown once and never again. */
export interface IssuedKey {
  row: ApiKeyRow;
  secret: string;
}

/** The scopes a stored key carries (its kind's, or its stored subset). */
export function scopesOf(row: Pick<ApiKeyRow, "kind" | "scopes">): readonly Scope[] {
  return keyScopes(row.kind, row.scopes.split(" ").filter(isScope));
}

/** The API representation of a key: never the key or its hash, only its prefix and last four characters. */
export function keyObject(row: ApiKeyRow, now = nowSeconds()) {
  const expired = row.expiresAt !== null && row.expiresAt <= now;
  return {
    id: row.id,
    object: "api_key" as const,
    type: row.kind,
    livemode: row.prefix.includes("_live_"),
    redacted_key: redactedKey(row.prefix, row.last4),
    scopes: [...scopesOf(row)],
    status: row.status === "revoked" ? ("revoked" as const) : expired ? ("expired" as const) : ("active" as const),
    expires_at: row.expiresAt,
    rolled_to: row.rolledTo,
    created: row.created,
  };
}

/** A fresh row and key of `kind` for the merchant; `scopes` is stored for restricted keys only. */
async function newKey(env: Env, merchantId: string, kind: ApiKeyKind, scopes: readonly Scope[]): Promise<IssuedKey> {
  const prefix = keyPrefix(kind, keyMode(env.EDGEPAY_MODE));
  const secret = generateApiKey(prefix);
  const row: ApiKeyRow = {
    keyHash: await hashClientSecret(env.CLIENT_SECRET_PEPPER, secret),
    id: newId("key"),
    merchantId,
    kind,
    scopes: kind === "restricted" ? scopes.join(" ") : "",
    prefix,
    last4: secret.slice(-4),
    status: "active",
    expiresAt: null,
    rolledTo: null,
    created: nowSeconds(),
  };
  return { row, secret };
}

/** Issues a key of `kind` (with `scopes` when restricted) and records `api_key.created`. */
export async function createKey(
  env: Env,
  db: Db,
  merchantId: string,
  kind: ApiKeyKind,
  scopes: readonly Scope[],
  audit: AuditFor,
): Promise<IssuedKey> {
  const issued = await newKey(env, merchantId, kind, scopes);
  const details = { key_id: issued.row.id, type: kind, scopes: [...scopesOf(issued.row)] };
  await db.batch([insertApiKey(db, issued.row), insertAudit(db, audit("api_key.created", details))]);
  return issued;
}

/**
 * Rolls `current`: a new key of the same kind and scopes, and the old one expires `expiresIn`
 * seconds from now (0: at once). Undefined when the old key is revoked, expired or rolled already
 * (also when a concurrent roll won: the conditional batch issues exactly one replacement).
 */
export async function rollKey(
  env: Env,
  db: Db,
  current: ApiKeyRow,
  expiresIn: number,
  audit: AuditFor,
): Promise<{ issued: IssuedKey; old: ApiKeyRow } | undefined> {
  const now = nowSeconds();
  const issued = await newKey(env, current.merchantId, current.kind, scopesOf(current));
  const expiresAt = now + expiresIn;
  const details = { key_id: current.id, replacement: issued.row.id, expires_at: expiresAt };
  const [updated] = await db.batch([
    markRolled(db, current.merchantId, current.id, issued.row.id, expiresAt, now),
    insertReplacementIfRolled(db, issued.row),
    insertAuditIfChanged(db, audit("api_key.rolled", details), apiKeys, eq(apiKeys.id, issued.row.id)),
  ]);
  forgetKey(current.keyHash);
  const old = updated[0];
  return old ? { issued, old } : undefined;
}

/** Revokes `current` (again, harmlessly, if it was) and records `api_key.revoked`; returns the updated row. */
export async function revokeKey(db: Db, current: ApiKeyRow, audit: AuditFor): Promise<ApiKeyRow> {
  const [rows] = await db.batch([
    revokeApiKey(db, current.merchantId, current.id),
    insertAudit(db, audit("api_key.revoked", { key_id: current.id, from: current.status })),
  ]);
  forgetKey(current.keyHash);
  return rows[0] ?? { ...current, status: "revoked" };
}
