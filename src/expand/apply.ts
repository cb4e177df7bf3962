/**
 * Applies a checked expand plan to an answer, one level at a time: the ids every object of a level
 * holds in its fields to expand are read in one D1 batch (one query per type and run of ids, never
 * one per object), and each id the merchant owns is replaced by that object, rendered by the API's
 * own serializer. An id that finds nothing (another merchant's, or gone) stays a plain id.
 */
import type { BatchItem } from "drizzle-orm/batch";
import { idChunks } from "../db/by-ids";
import type { Db } from "../db/client";
import type { ExpandNode, ExpandPlan } from "./plan";
import { LOADERS, type ObjectType, type Rendered } from "./registry";

type Json = Record<string, unknown>;

/** An expandable field of one object at the current level: where its id sits and what to expand below it. */
interface Slot {
  holder: Json;
  key: string;
  id: string;
  node: ExpandNode;
}

/** The object (or list page's objects) of `answer` with the plan's fields expanded in place. */
export async function applyPlan(db: Db, merchantId: string, livemode: boolean, plan: ExpandPlan, answer: Json) {
  const top = plan.list ? (answer.data as Json[]) : [answer];
  let level = top.map((obj) => ({ obj, node: plan.root }));
  while (level.length > 0) {
    const slots = slotsOf(level);
    if (slots.length === 0) return;
    const found = await readLevel(db, merchantId, livemode, slots);
    level = [];
    for (const slot of slots) {
      const object = found.get(slot.node.type)?.get(slot.id);
      if (!object) continue;
      // A copy per place: one object may sit under two branches that expand different fields.
      const copy = structuredClone(object);
      slot.holder[slot.key] = copy;
      if (slot.node.children.size > 0) level.push({ obj: copy, node: slot.node });
    }
  }
}

/** The fields to expand on this level's objects that hold an id of a type with a loader. */
function slotsOf(level: { obj: Json; node: ExpandNode }[]): Slot[] {
  const slots: Slot[] = [];
  for (const { obj, node } of level) {
    for (const { field, node: child } of node.children.values()) {
      if (!LOADERS[child.type]) continue;
      let holder: unknown = obj;
      for (const part of field.path.slice(0, -1)) holder = (holder as Json | null)?.[part];
      const key = field.path[field.path.length - 1] as string;
      const id = (holder as Json | null | undefined)?.[key];
      if (typeof id === "string") slots.push({ holder: holder as Json, key, id, node: child });
    }
  }
  return slots;
}

/** Reads every slot's object in one batch: by type, then by id. */
async function readLevel(db: Db, merchantId: string, livemode: boolean, slots: Slot[]) {
  const idsByType = new Map<ObjectType, Set<string>>();
  for (const { node, id } of slots) {
    const ids = idsByType.get(node.type) ?? new Set<string>();
    ids.add(id);
    idsByType.set(node.type, ids);
  }
  const reads: { type: ObjectType; query: BatchItem<"sqlite"> }[] = [];
  for (const [type, ids] of idsByType) {
    const loader = LOADERS[type];
    if (!loader) continue;
    for (const chunk of idChunks([...ids])) reads.push({ type, query: loader.read(db, merchantId, chunk) });
  }
  const results = await db.batch(reads.map((r) => r.query) as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
  const found = new Map<ObjectType, Map<string, Rendered>>();
  results.forEach((rows, i) => {
    const { type } = reads[i] as (typeof reads)[number];
    const byId = found.get(type) ?? new Map<string, Rendered>();
    for (const row of rows as unknown[]) {
      const object = LOADERS[type]?.render(row, livemode);
      if (object?.id) byId.set(object.id, object);
    }
    found.set(type, byId);
  });
  return found;
}
