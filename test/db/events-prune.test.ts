/** The prune of events and webhook attempts past the 30-day window: bounded, and never a merchant being moved. */
import { eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { PRUNE_ROUNDS, pruneEvents } from "../../src/db/events";
import { events, webhookAttempts } from "../../src/db/schema";
import { newId } from "../../src/lib/ids";
import { shard } from "../helpers/shards";

const db = shard(1);

/** Stores `n` events and `n` attempts of the merchant created at `created` (rows only; the prune reads no snapshot). */
async function seed(merchantId: string, n: number, created: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = newId("evt");
    ids.push(id);
    await db.insert(events).values({
      id,
      merchantId,
      type: "payment_intent.created",
      objectType: "payment_intent",
      objectId: "pi_x",
      snapshot: "{}",
      created,
    });
    await db.insert(webhookAttempts).values({
      id: newId("whatt"),
      merchantId,
      endpointId: "we_x",
      eventId: id,
      attempt: 1,
      outcome: "succeeded",
      latencyMs: 5,
      created,
    });
  }
  return ids;
}

const left = async (merchantId: string) => ({
  events: (await db.select().from(events).where(eq(events.merchantId, merchantId)).all()).length,
  attempts: (await db.select().from(webhookAttempts).where(eq(webhookAttempts.merchantId, merchantId)).all()).length,
});

describe("pruneEvents", () => {
  it("deletes rows created before the cut-off, in bounded batches, and skips the merchants named", async () => {
    const [a, moving] = [newId("mer"), newId("mer")];
    const before = 1_000_000;
    await seed(a, 7, before - 10);
    const fresh = await seed(a, 2, before);
    await seed(moving, 3, before - 10);

    // Batches of 2, at most PRUNE_ROUNDS of them: 7 old rows of `a` need 4 rounds.
    const first = await pruneEvents(db, before, [moving], 2);
    expect(first.events).toBe(Math.min(7, 2 * PRUNE_ROUNDS));
    expect(await left(moving)).toEqual({ events: 3, attempts: 3 });
    const again = await pruneEvents(db, before, [moving], 2);
    expect(first.events + again.events).toBeGreaterThanOrEqual(7);
    expect(await left(a)).toEqual({ events: 2, attempts: 2 });
    const kept = await db.select({ id: events.id }).from(events).where(inArray(events.id, fresh)).all();
    expect(kept).toHaveLength(2);
    // Once the move is over, its rows go too.
    await pruneEvents(db, before);
    expect(await left(moving)).toEqual({ events: 0, attempts: 0 });
  });
});
