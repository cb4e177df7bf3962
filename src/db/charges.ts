/**
 * Storage of charges: the insert that joins the batch recording an authorization attempt's outcome
 * (its card facts and the intent's customer are read by subquery inside it, so it costs the batch
 * one statement and no round trip), and the reads of the Charges API, each charge with its intent
 * (whose money columns a charge shows). A charge row is never updated.
 */
import { and, eq, sql } from "drizzle-orm";
import type { RouteChoice } from "../domain/payment-state";
import type { PageRequest } from "../lib/pagination";
import type { Db } from "./client";
import { listPage, type PageResult } from "./pagination";
import type { IntentRow } from "./payment-intents";
import { type Bound, prepared1 } from "./prepared";
import { charges, paymentIntents, paymentMethods } from "./schema";

/** A charges row. */
export type ChargeRow = typeof charges.$inferSelect;

/** A charge with the intent it belongs to (its money columns are the charge's once it succeeded). */
export interface ChargeWithIntent {
  charge: ChargeRow;
  intent: IntentRow;
}

/** A new charge as the outcome of its authorization attempt decides it; the batch fills in the rest. */
export interface NewCharge {
  id: string;
  status: "succeeded" | "failed";
  amount: number;
  paymentMethod: string | null;
  failureCode: string | null;
  failureMessage: string | null;
  /** The decline code of a failed attempt. */
  outcomeReason: string | null;
  /** The request itself held the card's CVC for this attempt (read and cleared in its claim's batch). */
  cvcSent: boolean;
  /** The fraud screen's verdict (JSON of a FraudVerdict), or null when the attempt was not screened. */
  risk: string | null;
  /** Where the attempt went and which rule chose it; null for a claim made before routing. */
  route: RouteChoice | null;
}

/** Where a charge is recorded: the intent, its merchant and currency, and when. */
export interface ChargeAt {
  merchantId: string;
  intentId: string;
  currency: string;
  created: number;
}

/**
 * The insert of a new charge, for the outcome batch *before* any statement that forgets the card's
 * CVC: `payment_method_details` (the merchant-scoped card summary, and `checks.cvc_check` from the
 * decline code and whether a CVC was there to send) and `billing_details` come from the payment
 * method as the batch sees it (null when it is gone), `customer` from the intent.
 */
export function chargeInsert(db: Db, at: ChargeAt, charge: NewCharge): Bound {
  const statement = prepared1(db, "charges.insert", () => {
    const p = sql.placeholder;
    const pm = paymentMethods;
    const pi = paymentIntents;
    const card = and(eq(pm.id, p("paymentMethod")), eq(pm.merchantId, p("merchantId")));
    const cvcCheck = sql`case when ${p("outcomeReason")} = 'incorrect_cvc' then 'fail' when ${p("cvcSent")} = 1 or (${pm.cvcCiphertext} is not null and ${pm.cvcExpiresAt} > ${p("created")}) then 'pass' else 'unavailable' end`;
    const checks = sql`json_object('address_line1_check', null, 'address_postal_code_check', null, 'cvc_check', ${cvcCheck})`;
    const details = sql`json_object('type', 'card', 'card', json_object('brand', ${pm.brand}, 'checks', ${checks}, 'country', ${pm.country}, 'exp_month', ${pm.expMonth}, 'exp_year', ${pm.expYear}, 'fingerprint', ${pm.fingerprint}, 'funding', ${pm.funding}, 'last4', ${pm.last4}, 'network', ${pm.brand}))`;
    return db.insert(charges).values({
      id: p("id"),
      merchantId: p("merchantId"),
      paymentIntentId: p("intentId"),
      customer: sql`(select ${pi.customer} from ${pi} where ${pi.id} = ${p("intentId")} and ${pi.merchantId} = ${p("merchantId")})`,
      amount: p("amount"),
      currency: p("currency"),
      status: p("status"),
      paymentMethod: p("paymentMethod"),
      failureCode: p("failureCode"),
      failureMessage: p("failureMessage"),
      outcomeReason: p("outcomeReason"),
      paymentMethodDetails: sql`(select ${details} from ${pm} where ${card})`,
      billingDetails: sql`(select ${pm.billingDetails} from ${pm} where ${card})`,
      risk: p("risk"),
      connector: p("connector"),
      routingRule: p("routingRule"),
      routingVersion: p("routingVersion"),
      created: p("created"),
    });
  });
  const { route, ...fields } = charge;
  return statement.bind({
    ...at,
    ...fields,
    cvcSent: charge.cvcSent ? 1 : 0,
    connector: route?.connector ?? null,
    routingRule: route?.rule ?? null,
    routingVersion: route?.version ?? null,
  });
}

/** The merchant's charge with this id and its intent, or undefined (another merchant's id is simply not found). */
export function getCharge(db: Db, merchantId: string, id: string): Promise<ChargeWithIntent | undefined> {
  // Not for a batch: the two tables share column names, which a batch's object rows would collapse.
  return db
    .select({ charge: charges, intent: paymentIntents })
    .from(charges)
    .innerJoin(paymentIntents, eq(paymentIntents.id, charges.paymentIntentId))
    .where(and(eq(charges.id, id), eq(charges.merchantId, merchantId)))
    .get();
}

/** What a charge list may be narrowed to. */
export interface ChargeFilter {
  paymentIntent?: string;
  customer?: string;
}

/** A page of the merchant's charges, newest first, filtered, each with its intent. */
export async function listCharges(
  db: Db,
  merchantId: string,
  filter: ChargeFilter,
  page: PageRequest,
): Promise<PageResult<ChargeWithIntent>> {
  const t = charges;
  const scope = and(
    eq(t.merchantId, merchantId),
    filter.paymentIntent === undefined ? undefined : eq(t.paymentIntentId, filter.paymentIntent),
    filter.customer === undefined ? undefined : eq(t.customer, filter.customer),
  );
  const cursorScope = eq(t.merchantId, merchantId);
  const result = await listPage(db, { table: t, id: t.id, created: t.created, scope, cursorScope }, page);
  if (!result.ok) return result;
  const ids = [...new Set(result.page.data.map((c) => c.paymentIntentId))];
  const intents =
    ids.length === 0
      ? []
      : await db
          .select()
          .from(paymentIntents)
          .where(
            and(
              eq(paymentIntents.merchantId, merchantId),
              // One bound JSON array, so a page of 100 fits D1's 100 bound values.
              sql`${paymentIntents.id} in (select value from json_each(${JSON.stringify(ids)}))`,
            ),
          )
          .all();
  const byId = new Map(intents.map((i) => [i.id, i]));
  const data = result.page.data.flatMap((charge) => {
    const intent = byId.get(charge.paymentIntentId);
    return intent ? [{ charge, intent }] : [];
  });
  return { ok: true, page: { data, hasMore: result.page.hasMore } };
}

/**
 * What a refund names, read in one query to share a batch: the merchant's intent (the charge's,
 * when a charge is named, else `paymentIntent`), with the named charge's status if the charge is
 * the merchant's (null otherwise). No row: neither names anything of the merchant. (No join: in a
 * batch D1 answers rows as objects, and two columns of one name would collapse.)
 */
export function refundTargetQuery(db: Db, merchantId: string, named: { paymentIntent?: string; charge?: string }) {
  const pi = paymentIntents;
  const ch = charges;
  const mine = and(eq(ch.id, sql`${named.charge ?? null}`), eq(ch.merchantId, merchantId));
  return db
    .select({
      intent: pi,
      chargeStatus: sql<ChargeRow["status"] | null>`(select ${ch.status} from ${ch} where ${mine})`.as("charge_status"),
    })
    .from(pi)
    .where(
      and(
        eq(pi.merchantId, merchantId),
        sql`${pi.id} = coalesce((select ${ch.paymentIntentId} from ${ch} where ${mine}), ${named.paymentIntent ?? null})`,
      ),
    )
    .limit(1);
}
