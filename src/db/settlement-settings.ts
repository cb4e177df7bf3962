/**
 * Storage of a merchant's settlement terms (settlement_settings, on its shard). The operator writes
 * them (`PUT /admin/v1/merchants/:id/settlement`); the money paths read them only inside their own
 * batches, in SQL (db/balance-transactions.ts), and the payout run reads them per merchant.
 */
import { eq } from "drizzle-orm";
import { DEFAULT_TERMS } from "../domain/fees";
import type { Db } from "./client";
import { settlementSettings } from "./schema";

/** A settlement_settings row. */
export type SettlementSettingsRow = typeof settlementSettings.$inferSelect;

/** The merchant's settlement terms: its row, or the defaults (no fee, 2 days, daily, no bank account). */
export async function getSettlementSettings(db: Db, merchantId: string, now: number): Promise<SettlementSettingsRow> {
  const row = await db.select().from(settlementSettings).where(eq(settlementSettings.merchantId, merchantId)).get();
  return row ?? defaultSettings(merchantId, now);
}

/** The terms of a merchant the operator has not configured. */
export function defaultSettings(merchantId: string, now: number): SettlementSettingsRow {
  return {
    merchantId,
    feeBps: DEFAULT_TERMS.feeBps,
    feeFixed: JSON.stringify(DEFAULT_TERMS.feeFixed),
    refundFees: DEFAULT_TERMS.refundFees ? 1 : 0,
    delayDays: DEFAULT_TERMS.delayDays,
    payoutSchedule: "daily",
    weeklyAnchor: 1,
    bankLast4: null,
    bankBehaviour: null,
    updated: now,
  };
}

/** Writes the merchant's whole settlement terms (insert or replace); returns the row written. */
export async function putSettlementSettings(db: Db, row: SettlementSettingsRow): Promise<SettlementSettingsRow> {
  const { merchantId: _m, ...rest } = row;
  await db
    .insert(settlementSettings)
    .values(row)
    .onConflictDoUpdate({ target: settlementSettings.merchantId, set: rest });
  return row;
}
