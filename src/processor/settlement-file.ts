/**
 * The processor's daily settlement file, as reconciliation reads it: what the processor says it
 * settled for a merchant on a UTC day (captures positive, refunds negative), page by page in key
 * order. `ProcessorReports` is the seam: the gateway reads the simulator's file (its
 * SimulatorLedger objects); tests wrap it to drop, add or alter a line. A line carries no card
 * data: keys, references, amounts and currency only.
 */
import type { SettlementLine } from "../durable/simulator-ledger";

export type { SettlementLine } from "../durable/simulator-ledger";

/** A processor's reports, as reconciliation reads them. */
export interface ProcessorReports {
  /**
   * Up to `limit` lines of merchant `merchantId`'s settlement file for `date` (yyyy-mm-dd), in key
   * order, after key `after` (null: from the first).
   */
  settlementFile(merchantId: string, date: string, after: string | null, limit: number): Promise<SettlementLine[]>;
}

/** Builds the reports for an environment; tests replace it through `AppOptions.payments.reports`. */
export type ReportsFactory = (env: Env) => ProcessorReports;

/** The built-in simulator's reports: its SimulatorLedger object of each merchant. */
export const simulatorReports: ReportsFactory = (env) => ({
  settlementFile: (merchantId, date, after, limit) =>
    env.SIMULATOR_LEDGER.getByName(merchantId).file(date, after, limit),
});

/** The key a line and a balance transaction are matched on: the authorization for a capture, the refund's own key. */
export function matchKeyOf(line: Pick<SettlementLine, "type" | "key" | "reference">): string {
  return line.type === "capture" ? line.reference : line.key;
}
