/**
 * `POST /admin/v1/vault/rotate`: operator-only, bounded batches, resumable, audited. The rotation
 * runs through the real app with the real D1, under a copy of the env whose VAULT_KEKS gained a
 * version 2, exactly like a deploy after `wrangler secret put VAULT_KEKS`.
 */
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { openCredentials } from "../../src/connectors/credentials";
import { toBase64Url } from "../../src/crypto/encoding";
import { controlDb } from "../../src/db/client";
import { getConnectorAccount } from "../../src/db/connector-accounts";
import { auditLog, paymentMethods } from "../../src/db/schema";
import { claimPaymentMethod, detokenize } from "../../src/vault";
import { CARDS, type PaymentMethodBody, pmForm, withAuth } from "../helpers/cards";
import { BASE, call, type ErrorBody, form, json } from "../helpers/http";
import { operator as asOperator, newMerchant } from "../helpers/merchants";
import { dbOf, vaultOf } from "../helpers/shards";

const v2 = { version: 2, key: toBase64Url(crypto.getRandomValues(new Uint8Array(32))) };
const envV12: Env = { ...env, VAULT_KEKS: JSON.stringify([...JSON.parse(env.VAULT_KEKS), v2]) };
const envV2: Env = { ...env, VAULT_KEKS: JSON.stringify([v2]) };
const app = createApp();
const request = (e: Env, path: string, init?: RequestInit) => app.request(`${BASE}${path}`, init, e);
const operator = { authorization: `Bearer ${env.OPERATOR_TOKEN}` };
const rotate = (body: Record<string, unknown>, headers: Record<string, string> = operator) =>
  request(envV12, "/admin/v1/vault/rotate", {
    ...json(body),
    headers: { "content-type": "application/json", ...headers },
  });

interface Rotation {
  object: string;
  key_version: number;
  rotated: number;
  failed: string[];
  remaining: number;
  has_more: boolean;
  next_starting_after: string | null;
  next_connector_accounts_starting_after: string | null;
}

describe("POST /admin/v1/vault/rotate", () => {
  it("refuses callers without the operator token, including merchants", async () => {
    const m = await newMerchant();
    const cases: Array<[Record<string, string>, string]> = [
      [{}, "authentication_required"],
      [{ authorization: "Bearer wrong" }, "invalid_token"],
      [{ authorization: `Bearer ${env.OPERATOR_TOKEN}x` }, "invalid_token"],
      [{ authorization: `Basic ${env.OPERATOR_TOKEN}` }, "invalid_token"],
      [m.headers, "invalid_token"],
    ];
    for (const [headers, code] of cases) {
      const res = await rotate({}, headers);
      expect(res.status).toBe(401);
      const body = await res.text();
      expect(JSON.parse(body)).toMatchObject({ error: { code } });
      expect(body).not.toContain(env.OPERATOR_TOKEN);
    }
  });

  it("validates the batch size", async () => {
    for (const batch_size of [0, 201, "ten"]) {
      const res = await rotate({ batch_size });
      expect(res.status).toBe(400);
      expect(((await res.json()) as ErrorBody).error.param).toBe("batch_size");
    }
    expect((await rotate({ batch: 1 })).status).toBe(400);
  });

  it("rotates end to end: new records use v2, old ones decrypt, batches resume, v1 can be retired", async () => {
    const m = await newMerchant();
    const old: PaymentMethodBody[] = [];
    for (const card of Object.values(CARDS)) {
      const res = await call("/v1/payment_methods", withAuth(form(pmForm(card.number, card.cvc)), m));
      old.push((await res.json()) as PaymentMethodBody);
    }
    // Deployed with v2: a new payment method is sealed under it.
    const fresh = await request(envV12, "/v1/payment_methods", withAuth(form(pmForm(CARDS.visa.number)), m));
    expect(fresh.status).toBe(200);
    const db = await dbOf(m.merchantId);
    const freshRow = await db
      .select()
      .from(paymentMethods)
      .where(eq(paymentMethods.id, ((await fresh.json()) as PaymentMethodBody).id))
      .get();
    expect(freshRow?.keyVersion).toBe(2);

    const seen: Rotation[] = [];
    let cursor: string | null = null;
    do {
      const res = await rotate({ batch_size: 3, ...(cursor ? { starting_after: cursor } : {}) });
      expect(res.status).toBe(200);
      const step = (await res.json()) as Rotation;
      seen.push(step);
      cursor = step.next_starting_after;
    } while (seen.at(-1)?.has_more);

    // Other test files' rows do not exist here (storage is per file), so the counts are exact.
    expect(seen.map((s) => s.rotated)).toEqual([3, 3, 2]);
    expect(seen.map((s) => s.remaining)).toEqual([5, 2, 0]);
    expect(seen.every((s) => s.object === "vault_rotation" && s.key_version === 2 && s.failed.length === 0)).toBe(true);
    // Retire v1: every card still opens and claims under v2 alone.
    const cards = Object.values(CARDS);
    for (const [i, pm] of old.entries()) {
      expect(await detokenize(await vaultOf(m.merchantId, envV2), m.merchantId, pm.id)).toMatchObject({
        number: cards[i]?.number,
        cvc: cards[i]?.cvc,
      });
      expect((await claimPaymentMethod(await vaultOf(m.merchantId, envV2), m.merchantId, pm.id)).id).toBe(pm.id);
    }
    const audits = await controlDb(env).select().from(auditLog).where(eq(auditLog.action, "vault.rotate")).all();
    expect(audits).toHaveLength(3);
    expect(JSON.parse(audits[0]?.details ?? "{}")).toMatchObject({ key_version: 2 });
  });

  it("re-seals connector credentials: an account sealed under v1 opens under v2 alone, and the key is never answered", async () => {
    const m = await newMerchant();
    const KEY = "sk_test_VaUlTrOtAtE987654321";
    const account = await asOperator<{ id: string }>(`/admin/v1/merchants/${m.merchantId}/connector_accounts`, {
      kind: "stripe",
      mode: "test",
      credentials: { secret_key: KEY },
    });
    const texts: string[] = [];
    let cursor: string | null = null;
    let step: Rotation;
    do {
      const res = await rotate({ batch_size: 1, ...(cursor ? { connector_accounts_starting_after: cursor } : {}) });
      expect(res.status).toBe(200);
      const text = await res.text();
      texts.push(text);
      step = JSON.parse(text) as Rotation;
      cursor = step.next_connector_accounts_starting_after;
    } while (step.has_more);
    expect(step).toMatchObject({ remaining: 0, failed: [], next_connector_accounts_starting_after: null });
    expect(texts.some((t) => (JSON.parse(t) as Rotation).rotated > 0)).toBe(true);
    for (const t of texts) expect(t).not.toContain(KEY);
    const row = await getConnectorAccount(await dbOf(m.merchantId), m.merchantId, account.id);
    expect(await openCredentials(envV2, m.merchantId, account.id, row?.credentialsSealed as string)).toBe(KEY);
  });
});
