/**
 * SimulatorMemory: what the built-in simulator (processor/simulator.ts) remembers, and only for its
 * scripted failure cards (timeout after processing, timeout before processing, and every follow-up
 * call on an authorization made with one of them). Ordinary cards never reach this object: their
 * answers are derived from the request alone.
 *
 * Addressing: one object per scripted authorization, named by the authorization's digest (the hex
 * part of its `auth_…` reference), so an authorization and its captures, voids and refunds share one
 * object and nothing else does. Typed RPC only.
 *
 * Storage layout (SQLite-backed, through the synchronous KV API; each method runs to completion
 * before the next, so a read-then-write is atomic):
 *
 *   `k:<processor key>` → { answer: string | null }   the JSON answer given for that key, or null
 *                                                      while its only attempt was "lost" before
 *                                                      the processor acted
 *
 * Retention: every new key re-arms an alarm RETENTION_MS ahead; the alarm deletes the whole object.
 * Forgetting is harmless: the simulator's answers are deterministic, so a key arriving after that
 * gets the same answer (after one more lost first attempt, as the card scripts).
 */
import { DurableObject } from "cloudflare:workers";

/** How long an authorization's memory is kept after its last new key: past any retry or sweep the gateway makes. */
export const RETENTION_MS = 30 * 24 * 3600 * 1000;

interface Entry {
  answer: string | null;
}

/** Memory of one scripted authorization's processor calls, by processor idempotency key. */
export class SimulatorMemory extends DurableObject<Env> {
  /**
   * Records an attempt at `key` whose answer, if processed, is `answer`. Returns the answer to give
   * now, or null when this is the key's first attempt and its answer is lost (the caller times
   * out). `lost`: the first attempt is lost before the processor acts, so it records no answer and
   * the next attempt is processed (and recorded) instead. A repeated key gets the first recorded answer.
   */
  async attempt(key: string, answer: string, lost: boolean): Promise<string | null> {
    const kv = this.ctx.storage.kv;
    const seen = kv.get<Entry>(`k:${key}`);
    if (seen?.answer) return seen.answer;
    if (seen) {
      kv.put<Entry>(`k:${key}`, { answer });
      return answer;
    }
    kv.put<Entry>(`k:${key}`, { answer: lost ? null : answer });
    await this.ctx.storage.setAlarm(Date.now() + RETENTION_MS);
    return null;
  }

  /** The answer recorded for `key`, or null if it has none (never seen, or lost before processing). */
  async recall(key: string): Promise<string | null> {
    return this.ctx.storage.kv.get<Entry>(`k:${key}`)?.answer ?? null;
  }

  /** Forgets the authorization: deletes the object's storage. */
  override async alarm(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }
}
