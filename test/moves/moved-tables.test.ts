/** A merchant move copies every table a shard has: a new per-merchant table cannot be forgotten. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { MOVED_TABLES } from "../../src/db/merchant-move";

describe("merchant moves", () => {
  it("copy every table of the shard schema", async () => {
    const { results } = await env.SHARD_0.prepare(
      "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '_cf_%' and name not like 'd1_%'",
    ).all<{ name: string }>();
    expect([...MOVED_TABLES].sort()).toEqual(results.map((r) => r.name).sort());
  });
});
