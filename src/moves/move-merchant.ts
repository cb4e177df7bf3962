/**
 * Moving a merchant from its shard to another (docs/scaling.md, "Moving a merchant"): freeze its
 * requests through its gate, wait for the requests admitted before the freeze, copy its rows,
 * compare both copies, switch the directory, wait until no isolate can still route to the source,
 * thaw. The step reached is recorded in `merchant_moves` (control database), and a move stopped
 * anywhere (a crash, a copy that differs) is finished by calling `moveMerchant` again with the
 * same target. The source copy is left in place (moving back is a plain move); `dropMovedSource`
 * deletes it later.
 *
 * While frozen, every request of the merchant gets a retryable `429 lock_timeout` and changes
 * nothing (middleware/gate.ts), and background jobs skip the merchant (`merchantsToSkip`). The
 * freeze has a deadline, so a mover that dies cannot freeze a merchant for ever; each step renews
 * it, and a copy made while the freeze lapsed is thrown away and made again.
 */
import { forgetMerchant, STATUS_CACHE_TTL_MS } from "../db/access-status";
import { controlDb } from "../db/client";
import { forgetConsumerRoute } from "../db/consumer-route";
import {
  claimMove,
  copyMerchantRows,
  deleteMerchantRows,
  getMove,
  isFinished,
  type MoveRow,
  merchantFootprint,
  recordMove,
  releaseMove,
  setMoveStep,
  switchDirectory,
} from "../db/merchant-move";
import { getMerchant, nowSeconds } from "../db/merchants";
import { shardBindings, shardDb } from "../db/shards";
import { LEASE_MS } from "../domain/idempotency";
import { bucketShardCount, MAX_RATE_LIMIT } from "../domain/limits";
import { bucketShardName, merchantGate } from "../durable/merchant-gate";
import { log } from "../lib/log";

/** How long a move waits and freezes, in milliseconds. */
export interface MoveTiming {
  /** After freezing: requests admitted just before may still write to the source (a keyed one holds its key at most LEASE_MS). */
  drainMs: number;
  /** After the switch: isolates may still route by the old directory entry for the status cache's TTL. */
  settleMs: number;
  /** Each freeze's deadline from when it is set; must outlast a step (drain and copy, or settle). */
  freezeMs: number;
  /** Added to when the directory switch resolved, for the clocks of other machines (see `runMove`). */
  switchMarginMs: number;
}

/** The timing of a real move. */
export const MOVE_TIMING: MoveTiming = {
  drainMs: LEASE_MS,
  settleMs: STATUS_CACHE_TTL_MS + 1_000,
  freezeMs: 10 * 60_000,
  switchMarginMs: 1_000,
};

/** Where a move stands after a step, for crash tests (`afterStep` may throw to stop the move there). */
export type MoveCheckpoint = "frozen" | "copied" | "switched" | "thawed";

/** What a call of `moveMerchant` achieved. */
export type MoveOutcome =
  | { ok: true; move: MoveRow }
  | { ok: false; reason: "no_such_merchant" | "no_such_shard" | "already_there" | "in_progress" }
  | { ok: false; reason: "other_move" | "source_not_dropped"; move: MoveRow }
  | { ok: false; reason: "copy_differs"; differences: string[] };

/** Moves the merchant to shard `toShard`, or finishes its unfinished move there. */
export async function moveMerchant(
  env: Env,
  merchantId: string,
  toShard: number,
  options: { timing?: MoveTiming; afterStep?: (step: MoveCheckpoint) => Promise<void> | void } = {},
): Promise<MoveOutcome> {
  const timing = options.timing ?? MOVE_TIMING;
  const afterStep = options.afterStep ?? (() => undefined);
  const control = controlDb(env);
  const merchant = await getMerchant(control, merchantId);
  if (!merchant) return { ok: false, reason: "no_such_merchant" };
  if (!Number.isInteger(toShard) || toShard < 0 || toShard >= shardBindings(env).length) {
    return { ok: false, reason: "no_such_shard" };
  }
  let move = await getMove(control, merchantId);
  if (move && !isFinished(move) && move.toShard !== toShard) return { ok: false, reason: "other_move", move };
  if (!move || isFinished(move)) {
    if (merchant.shard === toShard) return { ok: false, reason: "already_there" };
    // The previous move's source copy would be forgotten by the new row (and swept as if live),
    // unless the merchant goes back onto it: the copy deletes the target's rows first.
    if (move?.step === "done" && move.fromShard !== toShard) return { ok: false, reason: "source_not_dropped", move };
    const now = nowSeconds();
    await recordMove(
      control,
      { merchantId, fromShard: merchant.shard, toShard, step: "copying", created: now, updated: now },
      Date.now(),
    );
    move = await getMove(control, merchantId);
    // Not recorded: a call holds the finished move (dropping its source copy).
    if (move?.step !== "copying" || move.toShard !== toShard) return { ok: false, reason: "in_progress" };
  }
  // One call at a time: a second one copying meanwhile could empty the target under the first.
  const claim = Date.now() + timing.freezeMs;
  if (!(await claimMove(control, merchantId, claim, Date.now()))) return { ok: false, reason: "in_progress" };
  try {
    // Read again under the claim: another call may have finished the move meanwhile.
    const claimed = await getMove(control, merchantId);
    if (!claimed || claimed.toShard !== toShard) return { ok: false, reason: "in_progress" };
    if (isFinished(claimed)) return { ok: true, move: claimed };
    return await runMove(env, claimed, claim, timing, afterStep);
  } finally {
    await releaseMove(control, merchantId, claim);
  }
}

/** The steps from where `move` stands to its end; the caller holds the move's claim. */
async function runMove(
  env: Env,
  start: MoveRow,
  claim: number,
  timing: MoveTiming,
  afterStep: (step: MoveCheckpoint) => Promise<void> | void,
): Promise<MoveOutcome> {
  let move = start;
  const { merchantId } = move;
  const control = controlDb(env);
  const gate = freezer(env, merchantId);
  let switchedAtMs: number | undefined;
  if (move.step === "copying") {
    await gate.freeze(timing.freezeMs);
    // Until the directory switches, the source is the truth: whatever stops the move before the
    // switch (a failed copy, D1 refusing) lets the merchant work again on it.
    let copied: number;
    try {
      await sleep(timing.drainMs);
      await afterStep("frozen");
      const from = shardDb(env, move.fromShard);
      const to = shardDb(env, move.toShard);
      await deleteMerchantRows(to, merchantId);
      copied = await copyMerchantRows(from, to, merchantId);
      const [before, after] = await Promise.all([
        merchantFootprint(from, merchantId),
        merchantFootprint(to, merchantId),
      ]);
      const differences = before
        .filter((line) => !after.includes(line))
        .concat(after.filter((l) => !before.includes(l)));
      // The copy counts only if the merchant stayed frozen the whole time; renewing the freeze tells.
      if (differences.length === 0 && !(await gate.freeze(timing.freezeMs))) differences.push("the freeze lapsed");
      if (differences.length > 0) {
        // Calling the move again starts the copy over.
        await gate.thaw();
        log("error", "merchant_move_copy_differs", { merchant: merchantId, differences: differences.join("; ") });
        return { ok: false, reason: "copy_differs", differences };
      }
      await afterStep("copied");
    } catch (err) {
      await gate.thaw().catch(() => log("error", "merchant_move_thaw_failed", { merchant: merchantId }));
      throw err;
    }
    // The switch: a batch that fails may still have landed, so the directory decides what follows.
    // Still the source: thaw there. The target: go on as switched. Unreadable: stay frozen (the
    // freeze's deadline bounds it) and let the next call find out.
    const switchedAt = nowSeconds();
    const switched = await switchDirectory(control, move, claim, switchedAt).catch(() => null);
    switchedAtMs = Date.now();
    if (switched !== true) {
      const now = await getMerchant(control, merchantId);
      if (now?.shard !== move.toShard) {
        if (now?.shard === move.fromShard) await gate.thaw();
        return { ok: false, reason: "in_progress" };
      }
      await setMoveStep(control, merchantId, "switched", switchedAt);
    }
    forgetMerchant(merchantId);
    forgetConsumerRoute(merchantId);
    log("info", "merchant_move_switched", { merchant: merchantId, from: move.fromShard, to: move.toShard, copied });
    move = { ...move, step: "switched", updated: switchedAt };
    await afterStep("switched");
  }
  if (move.step === "switched") {
    await gate.freeze(timing.freezeMs);
    await sleep(timing.settleMs);
    // From now on a request whose route was read before the switch landed is refused by its gate (a
    // stale cache entry in another isolate), never run. The switch landed before it resolved
    // (`switchedAtMs`; `switchMarginMs` for clocks of other machines); a resumed move does not know
    // when, and takes now, which only refuses more. Never later than now: a route read after the
    // thaw is fresh.
    const now = Date.now();
    await gate.thaw(Math.min(now, (switchedAtMs ?? now) + timing.switchMarginMs));
    await afterStep("thawed");
    await setMoveStep(control, merchantId, "done", nowSeconds());
    // This isolate's queue consumers deliver again at once; other isolates within ROUTE_CACHE_TTL_MS.
    forgetConsumerRoute(merchantId);
    move = { ...move, step: "done" };
  }
  return { ok: true, move };
}

/**
 * The merchant's freeze over every bucket shard it could have (sized for MAX_RATE_LIMIT, so a rate
 * limit changed during the move leaves no shard unfrozen). `freeze` answers whether every shard was
 * still frozen before it.
 */
function freezer(env: Env, merchantId: string) {
  const stubs = Array.from({ length: bucketShardCount(MAX_RATE_LIMIT) }, (_, i) =>
    merchantGate(env, bucketShardName(merchantId, i)),
  );
  return {
    async freeze(forMs: number): Promise<boolean> {
      const until = Date.now() + forMs;
      const held = await Promise.all(stubs.map((s) => s.freeze(until)));
      return held.every(Boolean);
    },
    async thaw(movedAt?: number): Promise<void> {
      await Promise.all(stubs.map((s) => s.thaw(movedAt)));
    },
  };
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

/** What a call of `dropMovedSource` did. */
export type DropOutcome =
  | { ok: true; move: MoveRow }
  | { ok: false; reason: "no_such_merchant" | "no_finished_move" | "in_progress" };

/**
 * Deletes the stale copy a finished move left on its source shard. Only for a move that is `done`
 * while the directory names its target, and under the move's claim, so it never races a new move
 * (which would first record itself and copy into that shard). Repeating it deletes nothing more.
 */
export async function dropMovedSource(env: Env, merchantId: string, timing = MOVE_TIMING): Promise<DropOutcome> {
  const control = controlDb(env);
  const merchant = await getMerchant(control, merchantId);
  if (!merchant) return { ok: false, reason: "no_such_merchant" };
  const claim = Date.now() + timing.freezeMs;
  if (!(await claimMove(control, merchantId, claim, Date.now()))) {
    return { ok: false, reason: (await getMove(control, merchantId)) ? "in_progress" : "no_finished_move" };
  }
  try {
    const move = await getMove(control, merchantId);
    const current = await getMerchant(control, merchantId);
    const finished = move && isFinished(move) && current?.shard === move.toShard && move.fromShard !== move.toShard;
    if (!move || !finished) return { ok: false, reason: "no_finished_move" };
    if (move.step === "done") {
      await deleteMerchantRows(shardDb(env, move.fromShard), merchantId);
      // Background jobs stop skipping the merchant on its old shard: nothing of it is left there.
      await setMoveStep(control, merchantId, "dropped", nowSeconds());
      log("info", "merchant_move_source_dropped", { merchant: merchantId, shard: move.fromShard });
    }
    return { ok: true, move };
  } finally {
    await releaseMove(control, merchantId, claim);
  }
}
