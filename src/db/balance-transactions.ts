/**
 * Storage of balance transactions. Each is written by a statement in the batch of the movement it
 * records, computing its fee and availability in SQL from the merchant's settlement_settings row
 * (the rules of domain/fees.ts, with its defaults when there is no row), so the capture and refund
 * paths read nothing more; the ledger postings of the fee follow in the same batch, reading it from
 * the row just written. A balance transaction's id derives from its source's (`ch_X` → `txn_X`), so
 * a charge or refund names its balance transaction without a lookup.
 */
import { type AnyColumn, and, eq, type SQL, sql } from "drizzle-orm";
import { DAY, DEFAULT_TERMS } from "../domain/fees";
import type { PageRequest } from "../lib/pagination";
import type { Db } from "./client";
import { postMovementOf } from "./ledger";
import { listPage, type PageResult } from "./pagination";
import { type Bound, prepared1 } from "./prepared";
import { balanceTransactions, refunds, settlementSettings } from "./schema";

/** A balance_transactions row. */
export type BalanceTransactionRow = typeof balanceTransactions.$inferSelect;

/** The balance transaction of a charge or refund (`ch_X`/`re_X` → `txn_X`). */
export function balanceTransactionOf(sourceId: string): string {
  return `txn_${sourceId.slice(sourceId.indexOf("_") + 1)}`;
}

const p = sql.placeholder;
const s = settlementSettings;

/** A column of the merchant's settlement_settings row (null when it has none). */
const term = (column: SQL | AnyColumn) => sql`(select ${column} from ${s} where ${s.merchantId} = ${p("merchantId")})`;

/** An integer constant written into the SQL (a bound JS number would be a REAL, and divide as one). */
const int = (n: number) => sql.raw(String(Math.trunc(n)));

/** `captureFee` in SQL: half-up percentage plus the currency's fixed fee, capped at the amount. */
function feeSql(amount: SQL, currency: SQL): SQL {
  const bps = sql`coalesce(${term(s.feeBps)}, ${int(DEFAULT_TERMS.feeBps)})`;
  const fixed = sql`coalesce(${term(sql`json_extract(${s.feeFixed}, '$.' || ${currency})`)}, 0)`;
  return sql`min(${amount}, (${amount} * ${bps} * 2 + 10000) / 20000 + ${fixed})`;
}

/** `availableOn` in SQL: the first 00:00 UTC at or after `created` plus the merchant's delay. */
function availableOnSql(created: SQL): SQL {
  const delay = sql`coalesce(${term(s.delayDays)}, ${int(DEFAULT_TERMS.delayDays)})`;
  return sql`((${created} + ${delay} * ${int(DAY)} + ${int(DAY - 1)}) / ${int(DAY)}) * ${int(DAY)}`;
}

/** The fee of balance transaction `:btId` as SQL, and its currency: what the fee postings read. */
function postedFrom(sign: "" | "-") {
  const bt = balanceTransactions;
  const mine = sql`${bt.id} = ${p("btId")}`;
  return {
    amount: sql`(select ${sql.raw(sign)}${bt.fee} from ${bt} where ${mine})`,
    currency: sql`(select ${bt.currency} from ${bt} where ${mine})`,
  };
}

/**
 * The statements recording the capture of `amount` on charge `chargeId`: its `charge` balance
 * transaction (pending until the cut-off after the merchant's delay, with the merchant's fee),
 * then the `fee` movement moving that fee from the pending balance to the gateway's fees.
 */
export function chargeBalanceStatements(
  db: Db,
  at: { merchantId: string; currency: string; created: number },
  chargeId: string,
  amount: number,
): Bound[] {
  const insert = prepared1(db, "balance.charge", () => {
    // D1 binds a JS number as REAL: cast, so the divisions below are integer divisions.
    const fee = feeSql(sql`cast(${p("amount")} as integer)`, sql`${p("currency")}`);
    return db.insert(balanceTransactions).values({
      id: p("btId"),
      merchantId: p("merchantId"),
      currency: p("currency"),
      amount: p("amount"),
      fee,
      net: sql`${p("amount")} - ${fee}`,
      type: "charge",
      reportingCategory: "charge",
      source: p("source"),
      status: "pending",
      availableOn: availableOnSql(sql`cast(${p("created")} as integer)`),
      created: p("created"),
    });
  });
  const btId = balanceTransactionOf(chargeId);
  return [
    insert.bind({ ...at, amount, btId, source: chargeId }),
    ...postMovementOf(db, { merchantId: at.merchantId, sourceId: btId, created: at.created }, "fee", {
      key: "bt.fee",
      ...postedFrom(""),
      values: { btId },
    }),
  ];
}

/**
 * The statements recording refund `refundId` (inserted earlier in the batch): its `refund` balance
 * transaction (available at once, debiting the balance by the refund less any fee it returns),
 * then the `fee_refund` movement giving that fee back (0 unless the merchant's terms say so).
 */
export function refundBalanceStatements(
  db: Db,
  at: { merchantId: string; created: number },
  refundId: string,
): Bound[] {
  const insert = prepared1(db, "balance.refund", () => {
    const r = refunds;
    const bt = balanceTransactions;
    const of = (col: SQL | AnyColumn) => sql`(select ${col} from ${r} where ${r.id} = ${p("source")})`;
    // The charge's balance transaction: `txn_` and the charge id's suffix.
    const charged = (col: AnyColumn) =>
      sql`(select ${col} from ${bt} where ${bt.id} = 'txn_' || substr(${of(r.charge)}, 4))`;
    const returned = sql`(case when coalesce(${term(s.refundFees)}, 0) = 1 then coalesce(${charged(bt.fee)} * ${of(r.amount)} / ${charged(bt.amount)}, 0) else 0 end)`;
    return db.insert(bt).values({
      id: p("btId"),
      merchantId: p("merchantId"),
      currency: of(r.currency),
      amount: sql`0 - ${of(r.amount)}`,
      fee: sql`0 - ${returned}`,
      net: sql`${returned} - ${of(r.amount)}`,
      type: "refund",
      reportingCategory: "refund",
      source: p("source"),
      status: "available",
      availableOn: p("created"),
      created: p("created"),
    });
  });
  const btId = balanceTransactionOf(refundId);
  return [
    insert.bind({ ...at, btId, source: refundId }),
    ...postMovementOf(db, { merchantId: at.merchantId, sourceId: btId, created: at.created }, "fee_refund", {
      key: "bt.feeRefund",
      ...postedFrom("-"),
      values: { btId },
    }),
  ];
}

/**
 * The statements recording the failure of refund `refundId`: a `refund_failure` balance transaction
 * `btId` (available at once) crediting back the refund's net, then the `fee_refund_reversal`
 * movement taking back any fee the refund had returned.
 */
export function refundFailureBalanceStatements(
  db: Db,
  at: { merchantId: string; created: number },
  refundId: string,
  btId: string,
): Bound[] {
  const insert = prepared1(db, "balance.refundFailure", () => {
    const bt = balanceTransactions;
    const of = (col: AnyColumn) => sql`(select ${col} from ${bt} where ${bt.id} = ${p("refundBt")})`;
    return db.insert(bt).values({
      id: p("btId"),
      merchantId: p("merchantId"),
      currency: of(bt.currency),
      amount: sql`0 - ${of(bt.amount)}`,
      fee: sql`0 - ${of(bt.fee)}`,
      net: sql`0 - ${of(bt.net)}`,
      type: "refund_failure",
      reportingCategory: "refund_failure",
      source: p("source"),
      status: "available",
      availableOn: p("created"),
      created: p("created"),
    });
  });
  return [
    insert.bind({ ...at, btId, source: refundId, refundBt: balanceTransactionOf(refundId) }),
    ...postMovementOf(db, { merchantId: at.merchantId, sourceId: btId, created: at.created }, "fee_refund_reversal", {
      key: "bt.feeRefundReversal",
      amount: sql`(select 0 - ${balanceTransactions.fee} from ${balanceTransactions} where ${balanceTransactions.id} = ${p("refundBt")})`,
      currency: sql`(select ${balanceTransactions.currency} from ${balanceTransactions} where ${balanceTransactions.id} = ${p("refundBt")})`,
      values: { refundBt: balanceTransactionOf(refundId) },
    }),
  ];
}

/** The merchant's balance transaction with this id, or undefined. */
export function getBalanceTransaction(db: Db, merchantId: string, id: string) {
  return db
    .select()
    .from(balanceTransactions)
    .where(and(eq(balanceTransactions.id, id), eq(balanceTransactions.merchantId, merchantId)))
    .get();
}

/** What a list of balance transactions may be narrowed to (each given filter must match). */
export interface BalanceTransactionFilter {
  type?: string;
  source?: string;
  payout?: string;
  currency?: string;
}

/** A page of the merchant's balance transactions, newest first. */
export function listBalanceTransactions(
  db: Db,
  merchantId: string,
  filter: BalanceTransactionFilter,
  page: PageRequest,
): Promise<PageResult<BalanceTransactionRow>> {
  const t = balanceTransactions;
  const scope = and(
    eq(t.merchantId, merchantId),
    filter.type === undefined ? undefined : eq(t.type, filter.type),
    filter.source === undefined ? undefined : eq(t.source, filter.source),
    filter.payout === undefined ? undefined : eq(t.payout, filter.payout),
    filter.currency === undefined ? undefined : eq(t.currency, filter.currency),
  );
  return listPage(
    db,
    { table: t, id: t.id, created: t.created, scope, cursorScope: eq(t.merchantId, merchantId) },
    page,
  );
}
