/**
 * The benchmark floor: the least a Worker can do for each kind of work an authorize needs, so the
 * gateway's figures can be read as a ratio to what the platform itself costs on the same machine.
 *
 * - `GET /hello`: a constant response.
 * - `POST /do`: one Durable Object RPC that writes one row to the object's SQLite storage.
 * - `POST /d1`: one D1 batch of two inserts (the shape of an intent row plus a ledger row).
 * - `POST /all`: the RPC, then the batch: the least any correct authorize can cost.
 *
 * Never part of src/ and never deployed; bench/run.ts bundles it and applies FLOOR_SCHEMA to D1.
 */
import { DurableObject } from "cloudflare:workers";

/** Bindings of the floor Worker (bench/floor/wrangler.toml). */
interface FloorEnv {
  DB: D1Database;
  FLOOR: DurableObjectNamespace<FloorObject>;
}

/** A Durable Object whose one RPC method records one row, like an admission record. */
export class FloorObject extends DurableObject<FloorEnv> {
  constructor(ctx: DurableObjectState, env: FloorEnv) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS admits (id TEXT PRIMARY KEY, at INTEGER NOT NULL)");
  }

  /** Writes one row and returns the number of rows written. */
  async admit(id: string): Promise<number> {
    return this.ctx.storage.sql.exec("INSERT INTO admits (id, at) VALUES (?, ?)", id, Date.now()).rowsWritten;
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

export default {
  async fetch(request, env): Promise<Response> {
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
      default:
        return new Response("not found", { status: 404 });
    }
    return Response.json({ id });
  },
} satisfies ExportedHandler<FloorEnv>;
