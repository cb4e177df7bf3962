/**
 * SimulatorLedger: what the built-in simulator says it settled for one merchant, from which it
 * produces the merchant's daily settlement file (processor/settlement-file.ts). The simulator
 * records each capture and refund it approves here in the background (the gateway never waits
 * for it; see processor/index.ts). Typed RPC only.
 *
 * Addressing: one object per merchant (`getByName(merchantId)`), so a merchant's lines live
 * together and a retried key lands on the row its first attempt wrote, whatever the day.
 *
 * Storage layout (SQLite-backed):
 *
 *   lines(key PRIMARY KEY, date, type, reference, operation, amount, currency, settled)
 *     key        the gateway's processor idempotency key (capture op key, refund id)
 *     date       the UTC day (yyyy-mm-dd) of the first approval: the day the line settles on
 *     type       `capture` | `refund`
 *     reference  the authorization reference the operation was made against
 *     operation  the processor's reference of the operation (`capture_<h>`, `refund_<h>`)
 *     amount     minor units, positive for a capture, negative for a refund
 *     settled    unix seconds of the first approval
 *   index lines_date (date, key): a day's file, in key order
 *
 * A repeated key keeps its first row (INSERT OR IGNORE): the processor settles an operation once.
 * Retention: a daily alarm deletes lines older than RETENTION_DAYS. No card data is ever stored.
 */
import { DurableObject } from "cloudflare:workers";

/** How many days of lines an object keeps: past any reconciliation rerun. */
export const RETENTION_DAYS = 90;

/** One line of a settlement file: an operation the processor settled. */
export interface SettlementLine {
  key: string;
  date: string;
  type: "capture" | "refund";
  reference: string;
  operation: string;
  amount: number;
  currency: string;
  settled: number;
}

const DAY_MS = 24 * 3600 * 1000;

/** A merchant's settled operations, by processor key. */
export class SimulatorLedger extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(
      `CREATE TABLE IF NOT EXISTS lines (key TEXT PRIMARY KEY, date TEXT NOT NULL, type TEXT NOT NULL,
        reference TEXT NOT NULL, operation TEXT NOT NULL, amount INTEGER NOT NULL, currency TEXT NOT NULL,
        settled INTEGER NOT NULL);
       CREATE INDEX IF NOT EXISTS lines_date ON lines (date, key);`,
    );
  }

  /** Records a settled operation; a key already recorded keeps its first line. */
  async record(line: SettlementLine): Promise<void> {
    this.ctx.storage.sql.exec(
      "INSERT OR IGNORE INTO lines (key, date, type, reference, operation, amount, currency, settled) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      line.key,
      line.date,
      line.type,
      line.reference,
      line.operation,
      line.amount,
      line.currency,
      line.settled,
    );
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + DAY_MS);
  }

  /** Up to `limit` lines of day `date` with a key after `after` (null: from the start), in key order. */
  async file(date: string, after: string | null, limit: number): Promise<SettlementLine[]> {
    return this.ctx.storage.sql
      .exec<Record<string, SqlStorageValue>>(
        "SELECT key, date, type, reference, operation, amount, currency, settled FROM lines WHERE date = ? AND key > ? ORDER BY key LIMIT ?",
        date,
        after ?? "",
        limit,
      )
      .toArray() as unknown as SettlementLine[];
  }

  /** Deletes lines past retention; re-arms while lines remain (the table itself stays). */
  override async alarm(): Promise<void> {
    const cutoff = new Date(Date.now() - RETENTION_DAYS * DAY_MS).toISOString().slice(0, 10);
    this.ctx.storage.sql.exec("DELETE FROM lines WHERE date < ?", cutoff);
    const left = this.ctx.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM lines").one().n;
    // An empty table is left in place: deleteAll would drop it under an instance still in memory.
    if (left > 0) await this.ctx.storage.setAlarm(Date.now() + DAY_MS);
  }
}
