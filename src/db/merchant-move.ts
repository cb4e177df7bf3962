/**
 * The storage side of moving a merchant between shards (docs/scaling.md): the move's row in the
 * control database, the copy of every row of the merchant from one shard to another, what the two
 * copies are compared on, and the directory switch. The steps, the freeze and the waits are in
 * src/moves/move-merchant.ts.
 *
 * Rows are copied table by table in rowid order, one row per INSERT (the widest table has more
 * columns than a statement may bind twice), COPY_PAGE rows a batch, parents before children (a
 * token after its payment method). The copy is not resumed half-way: a resumed move deletes the
 * target's rows of the merchant and copies again, so a source that changed meanwhile is copied whole.
 */
import { and, count, eq, gt, inArray, lte, or, type SQL, sql, sum } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Db } from "./client";
import {
  authentications,
  balanceTransactions,
  charges,
  checkoutSessions,
  connectorAccounts,
  customers,
  events,
  ledgerBalances,
  ledgerEntries,
  merchantMoves,
  merchants,
  paymentIntents,
  paymentIntentVersions,
  paymentMethods,
  payouts,
  radarRules,
  radarValueListItems,
  radarValueLists,
  reconciliationItems,
  refunds,
  reviews,
  routingConfigs,
  settlementSettings,
  tokenRedemptions,
  tokens,
  webhookAttempts,
  webhookEndpoints,
} from "./schema";

/** A move's row as stored. */
export type MoveRow = typeof merchantMoves.$inferSelect;

/** Steps of a finished move: `done`, and `dropped` once its source copy is deleted. */
const FINISHED: readonly MoveRow["step"][] = ["done", "dropped"];

/** True when the move is over (the merchant works on its target), whether or not its source copy is dropped. */
export function isFinished(move: Pick<MoveRow, "step">): boolean {
  return FINISHED.includes(move.step);
}

/** Rows one copy batch carries. */
export const COPY_PAGE = 50;

interface Owned {
  name: string;
  table: SQLiteTable;
  /** The merchant's rows of `table`. */
  where: (merchantId: string) => SQL;
}

/** Every shard table, parents first; each with how to find one merchant's rows in it. */
const OWNED: readonly Owned[] = [
  { name: "customers", table: customers, where: (m) => eq(customers.merchantId, m) },
  { name: "payment_methods", table: paymentMethods, where: (m) => eq(paymentMethods.merchantId, m) },
  { name: "tokens", table: tokens, where: (m) => eq(tokens.merchantId, m) },
  { name: "token_redemptions", table: tokenRedemptions, where: (m) => eq(tokenRedemptions.merchantId, m) },
  { name: "payment_intents", table: paymentIntents, where: (m) => eq(paymentIntents.merchantId, m) },
  { name: "authentications", table: authentications, where: (m) => eq(authentications.merchantId, m) },
  { name: "checkout_sessions", table: checkoutSessions, where: (m) => eq(checkoutSessions.merchantId, m) },
  {
    name: "payment_intent_versions",
    table: paymentIntentVersions,
    where: (m) =>
      inArray(
        paymentIntentVersions.intentId,
        sql`(select ${paymentIntents.id} from ${paymentIntents} where ${paymentIntents.merchantId} = ${m})`,
      ),
  },
  { name: "charges", table: charges, where: (m) => eq(charges.merchantId, m) },
  { name: "refunds", table: refunds, where: (m) => eq(refunds.merchantId, m) },
  { name: "ledger_entries", table: ledgerEntries, where: (m) => eq(ledgerEntries.merchantId, m) },
  { name: "ledger_balances", table: ledgerBalances, where: (m) => eq(ledgerBalances.merchantId, m) },
  { name: "events", table: events, where: (m) => eq(events.merchantId, m) },
  { name: "webhook_endpoints", table: webhookEndpoints, where: (m) => eq(webhookEndpoints.merchantId, m) },
  { name: "webhook_attempts", table: webhookAttempts, where: (m) => eq(webhookAttempts.merchantId, m) },
  { name: "radar_value_lists", table: radarValueLists, where: (m) => eq(radarValueLists.merchantId, m) },
  { name: "radar_value_list_items", table: radarValueListItems, where: (m) => eq(radarValueListItems.merchantId, m) },
  { name: "radar_rules", table: radarRules, where: (m) => eq(radarRules.merchantId, m) },
  { name: "reviews", table: reviews, where: (m) => eq(reviews.merchantId, m) },
  { name: "settlement_settings", table: settlementSettings, where: (m) => eq(settlementSettings.merchantId, m) },
  { name: "balance_transactions", table: balanceTransactions, where: (m) => eq(balanceTransactions.merchantId, m) },
  { name: "payouts", table: payouts, where: (m) => eq(payouts.merchantId, m) },
  { name: "reconciliation_items", table: reconciliationItems, where: (m) => eq(reconciliationItems.merchantId, m) },
  { name: "connector_accounts", table: connectorAccounts, where: (m) => eq(connectorAccounts.merchantId, m) },
  { name: "routing_configs", table: routingConfigs, where: (m) => eq(routingConfigs.merchantId, m) },
];

/** The names of the tables a move copies (every shard table; a test holds them equal to the shard's). */
export const MOVED_TABLES: readonly string[] = OWNED.map((o) => o.name);

const rowid = sql<number>`rowid`;

/** Deletes every row of the merchant on `db`, children first. */
export async function deleteMerchantRows(db: Db, merchantId: string): Promise<void> {
  const [first, ...rest] = [...OWNED].reverse().map((o) => db.delete(o.table).where(o.where(merchantId)));
  if (first) await db.batch([first, ...rest]);
}

/** Copies every row of the merchant from `from` to `to` (which must hold none of them); returns the rows copied. */
export async function copyMerchantRows(from: Db, to: Db, merchantId: string): Promise<number> {
  let copied = 0;
  for (const o of OWNED) {
    let after = 0;
    for (;;) {
      const page = await from
        .select({ rowid, row: o.table })
        .from(o.table)
        .where(and(o.where(merchantId), gt(rowid, after)))
        .orderBy(rowid)
        .limit(COPY_PAGE)
        .all();
      const inserts = page.map((p) => to.insert(o.table).values(p.row as never) as BatchItem<"sqlite">);
      const [first, ...rest] = inserts;
      if (first) await to.batch([first, ...rest]);
      copied += page.length;
      const last = page.at(-1);
      if (!last || page.length < COPY_PAGE) break;
      after = last.rowid;
    }
  }
  return copied;
}

/**
 * What two copies of a merchant are compared on: its row count in every table, the sum of its
 * ledger postings per currency and account, and its running balances. Equal footprints on both
 * shards mean the copy holds every object and every ledger sum.
 */
export async function merchantFootprint(db: Db, merchantId: string): Promise<string[]> {
  const lines: string[] = [];
  for (const o of OWNED) {
    const row = await db.select({ n: count() }).from(o.table).where(o.where(merchantId)).get();
    lines.push(`${o.name} rows ${row?.n ?? 0}`);
  }
  const sums = await db
    .select({ currency: ledgerEntries.currency, account: ledgerEntries.account, total: sum(ledgerEntries.amount) })
    .from(ledgerEntries)
    .where(eq(ledgerEntries.merchantId, merchantId))
    .groupBy(ledgerEntries.currency, ledgerEntries.account)
    .orderBy(ledgerEntries.currency, ledgerEntries.account)
    .all();
  for (const s of sums) lines.push(`ledger ${s.currency} ${s.account} ${s.total}`);
  const balances = await db
    .select()
    .from(ledgerBalances)
    .where(eq(ledgerBalances.merchantId, merchantId))
    .orderBy(ledgerBalances.currency, ledgerBalances.account)
    .all();
  for (const b of balances) lines.push(`balance ${b.currency} ${b.account} ${b.balance}`);
  return lines;
}

/** The merchant's move, finished or not; undefined when it was never moved. */
export async function getMove(control: Db, merchantId: string): Promise<MoveRow | undefined> {
  return control.select().from(merchantMoves).where(eq(merchantMoves.merchantId, merchantId)).get();
}

/** Records a new move at its first step, unclaimed, replacing a finished one no call holds (at `nowMs`). */
export async function recordMove(control: Db, row: Omit<MoveRow, "claimedUntil">, nowMs: number): Promise<void> {
  await control
    .insert(merchantMoves)
    .values({ ...row, claimedUntil: 0 })
    .onConflictDoUpdate({
      target: merchantMoves.merchantId,
      set: { ...row, claimedUntil: 0 },
      where: and(inArray(merchantMoves.step, [...FINISHED]), lte(merchantMoves.claimedUntil, nowMs)),
    });
}

/** Claims the move for one call until `untilMs`, unless another call holds it; true when claimed. */
export async function claimMove(control: Db, merchantId: string, untilMs: number, nowMs: number): Promise<boolean> {
  const rows = await control
    .update(merchantMoves)
    .set({ claimedUntil: untilMs })
    .where(and(eq(merchantMoves.merchantId, merchantId), lte(merchantMoves.claimedUntil, nowMs)))
    .returning({ id: merchantMoves.merchantId });
  return rows.length > 0;
}

/** Lets another call run the move, if `claim` still holds it. */
export async function releaseMove(control: Db, merchantId: string, claim: number): Promise<void> {
  await control
    .update(merchantMoves)
    .set({ claimedUntil: 0 })
    .where(and(eq(merchantMoves.merchantId, merchantId), eq(merchantMoves.claimedUntil, claim)));
}

/** Sets the move's step. */
export async function setMoveStep(control: Db, merchantId: string, step: MoveRow["step"], now: number): Promise<void> {
  await control.update(merchantMoves).set({ step, updated: now }).where(eq(merchantMoves.merchantId, merchantId));
}

/**
 * Switches the directory to the move's target and records the step, in one batch; only if the
 * directory still names the source and the move is still claimed by `claim` (the claiming call's
 * `claimMove` deadline). True when the directory now names the target.
 */
export async function switchDirectory(control: Db, move: MoveRow, claim: number, now: number): Promise<boolean> {
  const stillOurs = sql`exists (select 1 from ${merchantMoves} where ${merchantMoves.merchantId} = ${move.merchantId} and ${merchantMoves.claimedUntil} = ${claim})`;
  const [switched] = await control.batch([
    control
      .update(merchants)
      .set({ shard: move.toShard })
      .where(and(eq(merchants.id, move.merchantId), eq(merchants.shard, move.fromShard), stillOurs))
      .returning({ id: merchants.id }),
    control
      .update(merchantMoves)
      .set({ step: "switched", updated: now })
      .where(and(eq(merchantMoves.merchantId, move.merchantId), eq(merchantMoves.claimedUntil, claim))),
  ]);
  return switched.length > 0;
}

/**
 * Merchants whose rows on `shard` background jobs must leave alone at `nowMs`: on a move's source,
 * while a call works on the move (claimed) and once the directory names the target (a stale copy,
 * until `drop_source` marks the move `dropped`); on its target, while a call works on the move and
 * while the copy is unfinished (`copying`: partial or unverified rows). A failed move leaves its
 * source swept, and a switched one its target: no merchant goes unswept where it lives.
 */
export async function merchantsToSkip(control: Db, shard: number, nowMs: number): Promise<string[]> {
  const m = merchantMoves;
  const claimed = gt(m.claimedUntil, nowMs);
  const rows = await control
    .select({ id: m.merchantId })
    .from(m)
    .where(
      or(
        and(eq(m.fromShard, shard), or(claimed, inArray(m.step, ["switched", "done"]))),
        and(eq(m.toShard, shard), or(claimed, eq(m.step, "copying"))),
      ),
    )
    .all();
  return rows.map((r) => r.id);
}
