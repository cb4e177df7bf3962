/**
 * The merchant's shard as operator routes find it (shared by route modules, not a route itself):
 * an unknown merchant is the 404 every `/admin/v1/merchants/:id/…` route gives, and a write to a
 * merchant being moved between shards is a 429 to retry once the move is done.
 */
import { controlDb, type Db } from "../db/client";
import { getMove, isFinished } from "../db/merchant-move";
import { getMerchant, type MerchantRow } from "../db/merchants";
import { merchantShard } from "../db/shards";
import { ApiError } from "../errors";
import { hasPrefix, noSuchMessage } from "../lib/ids";

/** The merchant's shard, or the 404 an unknown merchant gets. */
export async function shardOr404(env: Env, id: string): Promise<Db> {
  const db = await merchantShard(env, id);
  if (!db) throw new ApiError("resource_missing", noSuchMessage("merchant", id, "mer"), { param: "id" });
  return db;
}

/** The shard to write to; a merchant being moved is a 429 (a write could be left behind by the copy). */
export async function writableShard(env: Env, id: string): Promise<Db> {
  const db = await shardOr404(env, id);
  const move = await getMove(controlDb(env), id);
  if (move && !isFinished(move)) {
    throw new ApiError("lock_timeout", "This merchant is being moved between shards. Retry once the move is done.", {
      headers: { "Retry-After": "5" },
    });
  }
  return db;
}

/** The merchant, or a 404 (naming `param`) that names it only when the id is well formed. */
export async function merchantOr404(db: Db, id: string, param = "id"): Promise<MerchantRow> {
  const row = hasPrefix(id, "mer") ? await getMerchant(db, id) : undefined;
  if (!row) {
    throw new ApiError("resource_missing", noSuchMessage("merchant", id, "mer"), { param });
  }
  return row;
}
