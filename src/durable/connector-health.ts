/**
 * ConnectorHealth: the health of one connector account (domain/connector-health.ts), from the results
 * the payment flow reports for its authorization attempts; the flow skips a connector while it cools
 * down. Typed RPC only; callers go through connectors/health.ts, which caches `status` per isolate.
 *
 * Addressing: one object per connector account, `getByName(connectorId)` (`mca_…`, or `builtin` for
 * the built-in simulator); connector account ids are unique across merchants. An object whose name
 * is not a connector id refuses every call (throws), so a wrong name is an error, not a fresh window.
 *
 * Storage layout (SQLite-backed, through the synchronous KV API; each method reads and writes
 * without awaiting in between, so concurrent records never lose an update):
 *
 *   `state` → HealthState   { buckets: [{ start, successes, errors }], coolUntil, trips }
 *                           at most WINDOW_SECONDS / 10 buckets (older ones are dropped on every record)
 *
 * Retention: an alarm at `idleAt` (the end of the cool-down, or when the newest bucket leaves the
 * window) drops what is out of the window; once nothing is left but the trip count, only that is
 * kept, and a connector that never tripped keeps nothing.
 *
 * Clock: `record` and `status` take an optional `nowMs` as a test seam only (so a test can reach the
 * end of a cool-down without waiting 60 s); the payment flow never passes it and the object uses
 * `Date.now()`.
 */
import { DurableObject } from "cloudflare:workers";
import {
  emptyHealth,
  type HealthState,
  type HealthStatus,
  idleAt,
  isConnectorId,
  record,
  settle,
  statusOf,
} from "../domain/connector-health";

const KEY = "state";

/** The health window and cool-down of one connector account. */
export class ConnectorHealth extends DurableObject<Env> {
  /** Records one authorization attempt's result: `ok` false for a connector error (see domain/connector-health.ts). */
  async record(ok: boolean, nowMs?: number): Promise<void> {
    this.#checkName();
    const next = record(this.#load(), ok, nowMs ?? Date.now());
    this.ctx.storage.kv.put<HealthState>(KEY, next);
    const idle = idleAt(next);
    if (idle !== null && (await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(idle);
  }

  /** Whether the connector may be used now (false while it cools down), with its window's counts. */
  async status(nowMs?: number): Promise<HealthStatus> {
    this.#checkName();
    return statusOf(this.#load(), nowMs ?? Date.now());
  }

  /** Forgets everything (window, cool-down, trip count): an operator's manual reset after a fix. */
  async reset(): Promise<void> {
    this.#checkName();
    this.ctx.storage.kv.delete(KEY);
    await this.ctx.storage.deleteAlarm();
  }

  /** Drops what left the window; re-arms while something still matters, else keeps only the trip count. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    const state = settle(this.#load(), now);
    const idle = idleAt(state);
    if (idle !== null && idle > now) {
      this.ctx.storage.kv.put<HealthState>(KEY, state);
      await this.ctx.storage.setAlarm(idle);
    } else if (state.trips > 0) {
      this.ctx.storage.kv.put<HealthState>(KEY, { ...emptyHealth(), trips: state.trips });
    } else {
      this.ctx.storage.kv.delete(KEY);
    }
  }

  #checkName(): void {
    const name = this.ctx.id.name;
    if (name === undefined || !isConnectorId(name)) throw new Error("ConnectorHealth: not a connector id");
  }

  #load(): HealthState {
    return this.ctx.storage.kv.get<HealthState>(KEY) ?? emptyHealth();
  }
}
