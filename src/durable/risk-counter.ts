/**
 * RiskCounter: the velocity of one key (a card across the network, a card at one merchant, an IP
 * address, an email, a customer) over the last hour and day, for the risk score (domain/risk.ts).
 * Counting lives here, sharded by key, and never in D1: an authorization asks its keys' objects in
 * parallel, and each answers from its own memory.
 *
 * Addressing: one object per key, named `<scope>:<key digest>` (`riskCounterName`); the digest is
 * an HMAC, so no object name holds an email or an IP, and a card is named by its keyed fingerprint.
 *
 * Storage layout (SQLite-backed, `ctx.storage.sql`; each method runs to completion before the next):
 *
 *   attempts(id TEXT PRIMARY KEY, at INTEGER, card TEXT, small INTEGER, declined INTEGER, seen TEXT)
 *     one row per authorization attempt seen with this key: its time (unix seconds), the card's
 *     fingerprint (to count distinct cards), whether its amount was small, whether it was declined,
 *     whether it was approved (`approved`; an attempt waiting for its answer is neither),
 *     the counts its first observation answered (JSON), given again to a retry of the attempt, and
 *     (on the network counter) the first verdict given on it (`verdict`, JSON), for its retries. The
 *     network counter records an attempt only when it is sent to the processor (`pin`); the others
 *     record every attempt screened (`observe`)
 *
 * Retention: rows older than a day are deleted on every `observe`, except an attempt with a pinned
 * verdict, which is kept PINNED_DAYS (longer than an authorization lives: the sweep retries an
 * unknown authorization until it expires, and every retry must find its first verdict); the alarm
 * deletes the rest the same way and runs again while any row is left.
 */
import { DurableObject } from "cloudflare:workers";
import type { Counts } from "../domain/risk";

const HOUR = 3600;
const DAY = 24 * HOUR;
/** Days a pinned verdict is kept: more than the 7 days an authorization lives. */
export const PINNED_DAYS = 8;
/** Rows one key keeps at most (the newest); a key busier than this is already at every cap. */
const MAX_ROWS = 5000;

/** One authorization attempt, as a key's counter records it. */
export interface Attempt {
  /** Unique per attempt (the processor key of the authorization): a repeat is counted once. */
  id: string;
  /** Unix seconds. */
  at: number;
  /** The card's fingerprint (distinct cards are counted by it). */
  card: string;
  small: boolean;
}

/** The counts of one key in the last hour and day, before the attempt being observed. */
export interface Velocity {
  hour: Counts;
  day: Counts;
  /** On a repeated observation: the verdict pinned on the attempt (JSON), or null. */
  pinned?: string | null;
  /** On a repeated observation (a retried authorization): true. */
  repeat?: true;
}

/** The attempts, declines, approvals, distinct cards and small attempts of one key. */
export class RiskCounter extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.createTables();
  }

  private createTables(): void {
    const sql = this.ctx.storage.sql;
    sql.exec(
      "create table if not exists attempts (id text primary key, at integer not null, card text not null, small integer not null, declined integer not null default 0, seen text not null)",
    );
    sql.exec("create index if not exists attempts_at on attempts (at)");
    // The first verdict given on the attempt (network counter only), pinned for its retries.
    if (
      !sql
        .exec<{ name: string }>("pragma table_info(attempts)")
        .toArray()
        .some((c) => c.name === "verdict")
    ) {
      sql.exec("alter table attempts add column verdict text");
    }
    // Whether the processor approved the attempt: one still waiting for its answer is not approved.
    if (
      !sql
        .exec<{ name: string }>("pragma table_info(attempts)")
        .toArray()
        .some((c) => c.name === "approved")
    ) {
      sql.exec("alter table attempts add column approved integer not null default 0");
    }
  }

  /**
   * Answers the key's velocity before `attempt`, then records it. A repeated attempt id (a retried
   * authorization) gets the answer its first observation got, so a retry scores as its first run did.
   */
  async observe(attempt: Attempt): Promise<Velocity> {
    return this.seen(attempt.id) ?? (await this.record(attempt));
  }

  /**
   * Answers as `observe` would, recording nothing: the network counter counts an attempt only once
   * it reaches the processor (`pin`), so a merchant's own blocks never move another's score.
   */
  async preview(attempt: Attempt): Promise<Velocity> {
    return this.seen(attempt.id) ?? { hour: this.counts(attempt.at - HOUR), day: this.counts(attempt.at - DAY) };
  }

  /**
   * Records the attempt (once) as sent to the processor and pins the first verdict given on it
   * (JSON), for its retries to reuse; a later verdict changes nothing.
   */
  async pin(attempt: Attempt, verdict: string): Promise<void> {
    if (!this.seen(attempt.id)) await this.record(attempt);
    this.ctx.storage.sql.exec("update attempts set verdict = ? where id = ? and verdict is null", verdict, attempt.id);
  }

  /** What the attempt `id` was answered when first recorded (marked `repeat`, with its pinned verdict), if it was. */
  private seen(id: string): Velocity | undefined {
    const row = this.ctx.storage.sql
      .exec<{ seen: string; verdict: string | null }>("select seen, verdict from attempts where id = ?", id)
      .toArray()[0];
    if (!row) return undefined;
    const first = { ...(JSON.parse(row.seen) as Velocity), repeat: true as const };
    return row.verdict === null ? first : { ...first, pinned: row.verdict };
  }

  /** Records a new attempt and answers the key's velocity before it. */
  private async record(attempt: Attempt): Promise<Velocity> {
    const sql = this.ctx.storage.sql;
    this.prune(attempt.at);
    const velocity = { hour: this.counts(attempt.at - HOUR), day: this.counts(attempt.at - DAY) };
    sql.exec(
      "insert into attempts (id, at, card, small, seen) values (?, ?, ?, ?, ?)",
      attempt.id,
      attempt.at,
      attempt.card,
      attempt.small ? 1 : 0,
      JSON.stringify(velocity),
    );
    sql.exec("delete from attempts where id in (select id from attempts order by at desc limit -1 offset ?)", MAX_ROWS);
    await this.ctx.storage.setAlarm(Date.now() + DAY * 1000);
    return velocity;
  }

  /** The key's velocity now, recording nothing (for an operator's investigation). */
  async peek(now: number): Promise<Velocity> {
    return { hour: this.counts(now - HOUR), day: this.counts(now - DAY) };
  }

  /** Records that the attempt `id` was declined (by the issuer, or blocked). */
  async declined(id: string): Promise<void> {
    this.ctx.storage.sql.exec("update attempts set declined = 1 where id = ?", id);
  }

  /** Records that the processor approved the attempt `id`. */
  async approved(id: string): Promise<void> {
    this.ctx.storage.sql.exec("update attempts set approved = 1 where id = ?", id);
  }

  /** Deletes rows older than a day, and pinned ones older than PINNED_DAYS. */
  private prune(now: number): void {
    this.ctx.storage.sql.exec(
      "delete from attempts where at <= ? and (verdict is null or at <= ?)",
      now - DAY,
      now - PINNED_DAYS * DAY,
    );
  }

  /**
   * A day after the last attempt (so every attempt is at least a day old): forgets every attempt but
   * the pinned ones younger than PINNED_DAYS, and everything once nothing is left.
   */
  override async alarm(): Promise<void> {
    this.ctx.storage.sql.exec(
      "delete from attempts where verdict is null or at <= ?",
      Math.floor(Date.now() / 1000) - PINNED_DAYS * DAY,
    );
    const left = this.ctx.storage.sql.exec<{ n: number }>("select count(*) as n from attempts").one().n;
    if (left === 0) {
      await this.ctx.storage.deleteAll();
      this.createTables();
    } else {
      await this.ctx.storage.setAlarm(Date.now() + DAY * 1000);
    }
  }

  private counts(since: number): Counts {
    const row = this.ctx.storage.sql
      .exec<{ attempts: number; declines: number; approvals: number; cards: number; small: number }>(
        "select count(*) as attempts, coalesce(sum(declined), 0) as declines, coalesce(sum(approved), 0) as approvals, count(distinct card) as cards, coalesce(sum(small), 0) as small from attempts where at > ?",
        since,
      )
      .one();
    return {
      attempts: row.attempts,
      declines: row.declines,
      approvals: row.approvals,
      cards: row.cards,
      small: row.small,
    };
  }
}
