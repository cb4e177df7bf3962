/**
 * The outbox insert stays within D1's limit of 100 bound values per statement at its widest shape
 * (a full multi-row insert of the widest snapshot), and the rows it writes carry their snapshots.
 */
import { describe, expect, it } from "vitest";
import { type EventSpec, eventInserts } from "../../src/db/events";
import type { Bound } from "../../src/db/prepared";
import type { EventObjectType } from "../../src/events/render";
import { newId } from "../../src/lib/ids";
import { shard } from "../helpers/shards";

/** D1's documented maximum of bound parameters in one statement. */
const D1_MAX_BOUND = 100;

function boundCount(item: Bound): number {
  const p = (item as unknown as { _prepare(): { getQuery(): { params: unknown[] } } })._prepare();
  return p.getQuery().params.length;
}

function spec(objectType: EventObjectType): EventSpec {
  return {
    id: newId("evt"),
    merchantId: "mer_bound",
    type: "payment_intent.created",
    objectType,
    objectId: "pi_x",
    created: 1,
    previous: { status: "pending" },
    origin: { requestId: "req_x", idempotencyKey: "k" },
  };
}

describe("event inserts", () => {
  it("bind at most 100 values per statement, whatever the number and kind of events", () => {
    const db = shard(0);
    for (const type of ["payment_intent", "charge", "refund", "payment_method"] as const) {
      for (let n = 1; n <= 20; n++) {
        const items = eventInserts(
          db,
          Array.from({ length: n }, () => spec(type)),
        );
        for (const item of items) expect(boundCount(item)).toBeLessThanOrEqual(D1_MAX_BOUND);
      }
    }
  });
});
