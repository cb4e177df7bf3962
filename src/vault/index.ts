/**
 * The card vault: the only module that turns card data into sealed records and back. Routes use
 * `createPaymentMethod`, `createToken`, `getPaymentMethod` and `detachPaymentMethod`; the payment
 * flow uses `resolveForCharge` (a token is spent in the batch that claims the intent), and only the processor connector calls `detokenize` (no HTTP
 * route ever returns a PAN). Unknown, foreign, detached and used ids all throw the same 404.
 */

import type { BatchItem } from "drizzle-orm/batch";
import { openCard, sealCard } from "../crypto/envelope";
import { cardFingerprints } from "../crypto/fingerprint";
import { loadKeyring } from "../crypto/keyring";
import type { Db } from "../db/client";
import type { EventOrigin } from "../db/events";
import { nowSeconds } from "../db/merchants";
import { runAlone } from "../db/prepared";
import * as q from "../db/vault";
import { issuingCountry } from "../domain/bins";
import type { ValidCard } from "../domain/cards";
import { ApiError } from "../errors";
import { newId } from "../lib/ids";
import type { Metadata } from "../lib/params";
import { cardSummary } from "./objects";

export { isTokenSpent, type PaymentMethodRow, type TokenRow } from "../db/vault";
export { type RotationResult, rotateVault } from "./rotate";

/** What the vault runs on: the deployment's key bindings (`env`) and the merchant's database (`db`). */
export interface VaultDeps {
  env: Env;
  db: Db;
}

/** How long a CVC may be held, encrypted, before the first authorization attempt (PCI DSS 3.3). */
export const CVC_TTL_SECONDS = 30 * 60;

/** A card as the payment flow may see it: never the PAN or CVC. */
export interface ChargeablePaymentMethod {
  id: string;
  card: { brand: string; last4: string; exp_month: number; exp_year: number; fingerprint: string; funding: string };
}

/** Stripe's billing_details, every field present (null when unknown). */
export interface BillingDetails {
  address: {
    city: string | null;
    country: string | null;
    line1: string | null;
    line2: string | null;
    postal_code: string | null;
    state: string | null;
  };
  email: string | null;
  name: string | null;
  phone: string | null;
}

/** What a merchant hands in to tokenize a card (already validated). */
export interface NewCard {
  card: ValidCard;
  billingDetails: BillingDetails;
  metadata: Metadata;
}

/** The 404 for any id the merchant may not use; it never says whether the id exists elsewhere. */
export function noSuchPaymentMethod(param = "payment_method"): ApiError {
  // Thrown before anything is written, so an idempotency key saves nothing: a corrected request may follow.
  return new ApiError("resource_missing", "No such payment method.", { param, noEffect: true });
}

async function buildRecord(
  env: Env,
  merchantId: string,
  input: NewCard,
  singleUse: boolean,
  now: number,
  idempotencyKey: string | null,
) {
  const id = newId("pm");
  const { card } = input;
  const [sealed, fingerprints] = await Promise.all([
    loadKeyring(env.VAULT_KEKS).then((ring) =>
      sealCard(ring, { merchantId, paymentMethodId: id }, { pan: card.pan, cvc: card.cvc }),
    ),
    cardFingerprints(env.FINGERPRINT_KEY, merchantId, card.pan),
  ]);
  const row: q.PaymentMethodRow = {
    id,
    merchantId,
    type: "card",
    status: "active",
    singleUse,
    brand: card.brand,
    last4: card.last4,
    expMonth: card.expMonth,
    expYear: card.expYear,
    funding: card.funding,
    country: issuingCountry(card.pan, env.EDGEPAY_MODE === "live"),
    bin: card.pan.slice(0, 6),
    fingerprint: fingerprints.merchant,
    internalFingerprint: fingerprints.internal,
    billingDetails: JSON.stringify(input.billingDetails),
    metadata: JSON.stringify(input.metadata),
    keyVersion: sealed.keyVersion,
    wrappedKey: sealed.wrappedKey,
    panCiphertext: sealed.pan,
    cvcCiphertext: sealed.cvc,
    cvcExpiresAt: sealed.cvc === null ? null : now + CVC_TTL_SECONDS,
    created: now,
    detachedAt: null,
    idempotencyKey,
    customer: null,
  };
  return row;
}

/**
 * Tokenizes a card into a reusable payment method (`pm_…`) of the merchant. A re-run of the create
 * under the same `idempotencyKey` (its saved answer lost) returns the first one, sealing nothing.
 */
export async function createPaymentMethod(
  vault: VaultDeps,
  merchantId: string,
  input: NewCard,
  idempotencyKey?: string,
): Promise<q.PaymentMethodRow> {
  const row = await buildRecord(vault.env, merchantId, input, false, nowSeconds(), idempotencyKey ?? null);
  const first = await q.insertPaymentMethod(vault.db, row);
  return first?.paymentMethod ?? row;
}

/** Tokenizes a card into a single-use token (`tok_…`) wrapping a payment method only the token can charge; a re-run under the same `idempotencyKey` returns the first. */
export async function createToken(
  vault: VaultDeps,
  merchantId: string,
  input: NewCard,
  idempotencyKey?: string,
): Promise<{ token: q.TokenRow; paymentMethod: q.PaymentMethodRow }> {
  const now = nowSeconds();
  const paymentMethod = await buildRecord(vault.env, merchantId, input, true, now, idempotencyKey ?? null);
  const token: q.TokenRow = {
    id: newId("tok"),
    merchantId,
    paymentMethodId: paymentMethod.id,
    used: false,
    created: now,
    usedAt: null,
  };
  const first = await q.insertPaymentMethod(vault.db, paymentMethod, token);
  if (first && !first.token) throw new Error("createToken: the first token of this key was not found");
  return first?.token ? { token: first.token, paymentMethod: first.paymentMethod } : { token, paymentMethod };
}

/** The merchant's payment method, detached ones included; 404 for unknown or foreign ids. */
export async function getPaymentMethod(vault: VaultDeps, merchantId: string, id: string): Promise<q.PaymentMethodRow> {
  const row = await q.findPaymentMethod(vault.db, merchantId, id);
  if (!row) throw noSuchPaymentMethod("id");
  return row;
}

/** The merchant's token and the payment method it wraps; 404 for unknown or foreign ids. */
export async function getToken(
  vault: VaultDeps,
  merchantId: string,
  id: string,
): Promise<{ token: q.TokenRow; paymentMethod: q.PaymentMethodRow }> {
  const { db } = vault;
  const token = await q.findToken(db, merchantId, id);
  const paymentMethod = token && (await q.findPaymentMethod(db, merchantId, token.paymentMethodId));
  if (!token || !paymentMethod) throw new ApiError("resource_missing", "No such token.", { param: "id" });
  return { token, paymentMethod };
}

/** Detaches the merchant's payment method for good and shreds its card secrets; repeating it is harmless. */
export async function detachPaymentMethod(
  vault: VaultDeps & { origin?: EventOrigin | null },
  merchantId: string,
  id: string,
): Promise<q.PaymentMethodRow> {
  const row = await q.detachPaymentMethod(vault.db, merchantId, id, nowSeconds(), vault.origin ?? null);
  if (!row) throw noSuchPaymentMethod("id");
  return row;
}

/** The card fields the payment flow may see. */
export function chargeable(row: q.PaymentMethodRow): ChargeablePaymentMethod {
  return { id: row.id, card: cardSummary(row) };
}

/** A payment method resolved for a charge, and what spending it takes. */
export interface ChargeCard {
  method: ChargeablePaymentMethod;
  /** The sealed record as read (ciphertexts only); the same request's `detokenize` may reuse it. */
  sealed: ClaimedCard;
  /** For a tok_: the statements that spend it, for the batch of the claim that uses it; else none. */
  spend: (usedBy: string, now: number) => BatchItem<"sqlite">[];
}

/**
 * Resolves a pm_ or tok_ id of merchantId for charging, without spending anything: a tok_ is spent
 * by `spend`'s statements in the batch that claims the intent, so a claim that loses spends nothing
 * (`isTokenSpent` recognises a batch that lost the token to another). Detached, spent, unknown or
 * other-merchant ids throw ApiError("resource_missing", …, { param: "payment_method" }), a 404 that
 * does not reveal whether the id exists elsewhere.
 */
export async function resolveForCharge(vault: VaultDeps, merchantId: string, id: string): Promise<ChargeCard> {
  const { db } = vault;
  let pmId: string | undefined;
  let spend: ChargeCard["spend"] = () => [];
  if (id.startsWith("tok_")) {
    const token = await q.findToken(db, merchantId, id);
    if (token && !token.used) {
      pmId = token.paymentMethodId;
      spend = (usedBy, now) => [...q.spendTokenStatements(db, merchantId, id, usedBy, now)];
    }
  } else if (id.startsWith("pm_")) pmId = id;
  const row = pmId === undefined ? undefined : await q.findPaymentMethod(db, merchantId, pmId);
  // A token's payment method is reachable only through the token it was claimed with.
  const usable = row && row.status === "active" && (!row.singleUse || id !== pmId);
  if (!row || !usable) throw noSuchPaymentMethod();
  return { method: chargeable(row), sealed: { record: row, ownsCvc: false }, spend };
}

/** The payment method a token of the merchant wraps, spent or not (undefined for an unknown token). */
export async function tokenPaymentMethod(
  vault: VaultDeps,
  merchantId: string,
  tokenId: string,
): Promise<string | undefined> {
  return (await q.findToken(vault.db, merchantId, tokenId))?.paymentMethodId;
}

/**
 * Resolves a pm_ or tok_ id for use and spends a tok_ at once, in its own batch (two concurrent
 * claims: exactly one wins). For a use that has no batch of its own to join.
 */
export async function claimPaymentMethod(
  vault: VaultDeps,
  merchantId: string,
  id: string,
): Promise<ChargeablePaymentMethod> {
  const card = await resolveForCharge(vault, merchantId, id);
  const statements = card.spend(card.method.id, nowSeconds());
  if (statements.length > 0) {
    const [first, ...rest] = statements as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]];
    await vault.db.batch([first, ...rest]).catch((err: unknown) => {
      throw q.isTokenSpent(err) ? noSuchPaymentMethod() : err;
    });
  }
  return card.method;
}

/**
 * A card record a request read for an authorization it claimed. `ownsCvc`: it was read in the
 * claim batch that also cleared the stored CVC (`insertClaimed`), so this request alone holds it.
 */
export interface ClaimedCard {
  record: q.PaymentMethodRow;
  ownsCvc: boolean;
}

/**
 * The processor connector's only way to read card data; the CVC is null once forgotten or expired.
 * `claimed` is a record this request read earlier: it is used instead of a fresh read when the
 * request owns its CVC or it holds none (the sealed PAN never changes), so a CVC forgotten
 * meanwhile by another authorization attempt is never used.
 */
export async function detokenize(
  vault: VaultDeps,
  merchantId: string,
  paymentMethodId: string,
  claimed?: ClaimedCard,
): Promise<{ number: string; exp_month: number; exp_year: number; cvc: string | null }> {
  const c = claimed?.record;
  const reuse =
    c?.id === paymentMethodId && c.merchantId === merchantId && (claimed?.ownsCvc === true || c.cvcCiphertext === null);
  const row = reuse ? c : await q.findPaymentMethod(vault.db, merchantId, paymentMethodId);
  if (row?.status !== "active" || row.keyVersion === null || !row.wrappedKey || !row.panCiphertext) {
    throw noSuchPaymentMethod();
  }
  const cvcLive = row.cvcCiphertext !== null && (row.cvcExpiresAt ?? 0) > nowSeconds();
  const secrets = await openCard(
    await loadKeyring(vault.env.VAULT_KEKS),
    { merchantId, paymentMethodId },
    {
      keyVersion: row.keyVersion,
      wrappedKey: row.wrappedKey,
      pan: row.panCiphertext,
      cvc: cvcLive ? row.cvcCiphertext : null,
    },
  );
  return { number: secrets.pan, exp_month: row.expMonth, exp_year: row.expYear, cvc: secrets.cvc };
}

/** Clears every CVC past its expiry in one database (a shard), in bounded batches; the cron trigger runs it on every shard so expiry holds without traffic. */
export async function sweepExpiredCvcs(db: Db, maxBatches = 50): Promise<number> {
  let total = 0;
  for (let i = 0; i < maxBatches; i++) {
    const cleared = await q.purgeExpiredCvcs(db, nowSeconds());
    total += cleared.length;
    if (cleared.length < q.CVC_PURGE_BATCH) break;
  }
  return total;
}

/** Discards the held CVC after the first authorization attempt (PCI DSS 3.3). */
export async function forgetCvc(vault: VaultDeps, merchantId: string, paymentMethodId: string): Promise<void> {
  await runAlone(forgetCvcStatement(vault, merchantId, paymentMethodId));
}

/** `forgetCvc` as a statement, to join the batch that records the authorization attempt's outcome. */
export function forgetCvcStatement(vault: VaultDeps, merchantId: string, paymentMethodId: string) {
  return q.clearCvc(vault.db, merchantId, paymentMethodId);
}
