/**
 * The benchmark floor: the least a Worker can do for each kind of work an authorize needs, so the
 * gateway's figures can be read as a ratio to what the platform itself costs on the same machine.
 *
 * - `GET /hello`: a constant response.
 * - `POST /do`: one Durable Object RPC that writes one row to the object's SQLite storage.
 * - `POST /d1`: one D1 batch of two inserts (the shape of an intent row plus a ledger row).
 * - `POST /all`: the RPC, then the batch.
 * - `POST /authorize`: the irreducible storage work of an authorize (issue 12), in the gateway's
 *   table and statement shapes: the key write (`begin`), a claim batch (intent and version rows,
 *   read back), an outcome batch (versioned update, version row, ledger postings, the accounts
 *   opened and their running balances in one update), each batch with its events (one multi-row
 *   insert whose snapshots are read from the intent row in the batch, as the gateway's outbox), the
 *   answer, then the response saved under its key (`complete`) in `ctx.waitUntil`.
 *
 * Never part of src/ and never deployed; bench/run.ts bundles it and applies schema.sql to D1.
 */
import { DurableObject } from "cloudflare:workers";

/** Bindings of the floor Worker (bench/floor/wrangler.toml). */
interface FloorEnv {
  DB: D1Database;
  FLOOR: DurableObjectNamespace<FloorObject>;
}

/** Key shards the authorize floor spreads its keys over, like the gate's KEY_SHARDS (src/domain/limits.ts). */
const KEY_SHARDS = 128;

/** A Durable Object whose RPCs each write one row, like the gate's admission and idempotency records. */
export class FloorObject extends DurableObject<FloorEnv> {
  constructor(ctx: DurableObjectState, env: FloorEnv) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS admits (id TEXT PRIMARY KEY, at INTEGER NOT NULL)");
    ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS idempotency_keys (scope TEXT PRIMARY KEY, state TEXT NOT NULL, lease_id TEXT, " +
        "status INTEGER, body BLOB, created INTEGER NOT NULL)",
    );
  }

  /** Writes one row and returns the number of rows written. */
  async admit(id: string): Promise<number> {
    return this.ctx.storage.sql.exec("INSERT INTO admits (id, at) VALUES (?, ?)", id, Date.now()).rowsWritten;
  }

  /** Records a running key under a lease, like the gate's `begin`. */
  async begin(scope: string): Promise<string> {
    const leaseId = crypto.randomUUID();
    this.ctx.storage.sql.exec(
      "INSERT OR REPLACE INTO idempotency_keys (scope, state, lease_id, created) VALUES (?, 'running', ?, ?)",
      scope,
      leaseId,
      Date.now(),
    );
    return leaseId;
  }

  /** Saves the response of a running key, like the gate's `complete`. */
  async complete(scope: string, leaseId: string, body: ArrayBuffer): Promise<void> {
    this.ctx.storage.sql.exec(
      "UPDATE idempotency_keys SET state = 'done', lease_id = NULL, status = 200, body = ? WHERE scope = ? AND lease_id = ?",
      body,
      scope,
      leaseId,
    );
  }
}

async function admit(env: FloorEnv, id: string): Promise<void> {
  await env.FLOOR.getByName("bench").admit(id);
}

async function writeBatch(env: FloorEnv, id: string): Promise<void> {
  const now = Date.now();
  await env.DB.batch([
    env.DB.prepare("INSERT INTO floor_rows (id, amount, created) VALUES (?, ?, ?)").bind(id, 1000, now),
    env.DB.prepare("INSERT INTO floor_entries (id, row_id, amount, created) VALUES (?, ?, ?, ?)").bind(
      `${id}_e`,
      id,
      1000,
      now,
    ),
  ]);
}

const MERCHANT = "mer_floor";
const AMOUNT = 2000;

/** The events of one batch: one insert of two rows, each with the intent row's JSON as the batch left it. */
function events(db: D1Database, id: string, types: readonly [string, string], now: number): D1PreparedStatement {
  const row =
    "(?, ?, ?, 'payment_intent', ?, (SELECT json_object('id', id, 'status', status, 'amount', amount, 'currency', currency, 'amount_capturable', amount_capturable, 'version', version) FROM payment_intents WHERE id = ?), ?)";
  return db
    .prepare(
      `INSERT INTO events (id, merchant_id, type, object_type, object_id, snapshot, created) VALUES ${row}, ${row}`,
    )
    .bind(...types.flatMap((type, i) => [`evt_${id}_${now}_${i}`, MERCHANT, type, id, id, now]));
}

/** The claim: a new intent with its first version row and its events, read back in the same batch. */
function claim(db: D1Database, id: string, now: number): D1PreparedStatement[] {
  return [
    db
      .prepare(
        "INSERT INTO payment_intents (id, merchant_id, amount, currency, status, capture_method, payment_method, " +
          "metadata, amount_capturable, pending_op, version, idempotency_key, created) " +
          "VALUES (?, ?, ?, 'usd', 'processing', 'manual', ?, '{}', 0, 'authorize', 1, ?, ?)",
      )
      .bind(id, MERCHANT, AMOUNT, `pm_${id}`, `key_${id}`, now),
    db
      .prepare(
        "INSERT INTO payment_intent_versions (intent_id, version, kind, amount, created) VALUES (?, 1, 'created', ?, ?)",
      )
      .bind(id, AMOUNT, now),
    db.prepare("SELECT * FROM payment_intents WHERE id = ?").bind(id),
    events(db, id, ["payment_intent.created", "payment_intent.processing"], now),
  ];
}

/** The outcome: the versioned update, its version row, and the authorization booked in the ledger. */
function outcome(db: D1Database, id: string, now: number): D1PreparedStatement[] {
  const postings = [
    ["authorized_holds", AMOUNT],
    ["authorization_clearing", -AMOUNT],
  ] as const;
  return [
    db
      .prepare(
        "UPDATE payment_intents SET status = 'requires_capture', amount_capturable = ?, pending_op = NULL, " +
          "authorized_at = ?, version = 2 WHERE id = ? AND version = 1",
      )
      .bind(AMOUNT, now, id),
    db
      .prepare(
        "INSERT INTO payment_intent_versions (intent_id, version, kind, amount, created) VALUES (?, 2, 'authorized', ?, ?)",
      )
      .bind(id, AMOUNT, now),
    db
      .prepare(
        "INSERT INTO ledger_entries (id, txn_id, merchant_id, currency, account, amount, kind, source_id, created) " +
          "VALUES (?, ?, ?, 'usd', ?, ?, 'authorize', ?, ?), (?, ?, ?, 'usd', ?, ?, 'authorize', ?, ?)",
      )
      .bind(
        ...postings.flatMap(([account, amount], i) => [
          `le_${id}_${i}`,
          `txn_${id}`,
          MERCHANT,
          account,
          amount,
          id,
          now,
        ]),
      ),
    db
      .prepare(
        "INSERT INTO ledger_balances (merchant_id, currency, account, balance) VALUES (?, 'usd', ?, 0), (?, 'usd', ?, 0) " +
          "ON CONFLICT DO NOTHING",
      )
      .bind(MERCHANT, postings[0][0], MERCHANT, postings[1][0]),
    db
      .prepare(
        "UPDATE ledger_balances SET balance = balance + (CASE account WHEN ? THEN ? WHEN ? THEN ? END) " +
          "WHERE merchant_id = ? AND currency = 'usd' AND account IN (?, ?)",
      )
      .bind(...postings.flat(), MERCHANT, postings[0][0], postings[1][0]),
    events(db, id, ["charge.succeeded", "payment_intent.amount_capturable_updated"], now),
  ];
}

/** One DO write, two D1 batches, the answer; the key's response is saved after it. */
async function authorize(env: FloorEnv, ctx: ExecutionContext, id: string): Promise<Response> {
  const scope = JSON.stringify(["POST", "/v1/payment_intents", id]);
  const gate = env.FLOOR.getByName(`k${Math.floor(Math.random() * KEY_SHARDS)}`);
  const leaseId = await gate.begin(scope);
  const now = Math.floor(Date.now() / 1000);
  const [, , read] = await env.DB.batch<Record<string, unknown>>(claim(env.DB, id, now));
  await env.DB.batch(outcome(env.DB, id, now));
  const json = JSON.stringify({ ...read?.results[0], status: "requires_capture", version: 2 });
  ctx.waitUntil(gate.complete(scope, leaseId, new TextEncoder().encode(json).buffer as ArrayBuffer));
  return new Response(json, { headers: { "content-type": "application/json" } });
}

export default {
  async fetch(request, env, ctx): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (request.method === "GET" && pathname === "/hello") return new Response("ok");
    if (request.method !== "POST") return new Response("not found", { status: 404 });
    const id = crypto.randomUUID();
    switch (pathname) {
      case "/do":
        await admit(env, id);
        break;
      case "/d1":
        await writeBatch(env, id);
        break;
      case "/all":
        await admit(env, id);
        await writeBatch(env, id);
        break;
      case "/authorize":
        return authorize(env, ctx, `pi_${id.replaceAll("-", "")}`);
      default:
        return new Response("not found", { status: 404 });
    }
    return Response.json({ id });
  },
} satisfies ExportedHandler<FloorEnv>;
