/** The Worker entry exports only what workerd accepts as entrypoints: the default handler and Durable Object classes. */
import { DurableObject } from "cloudflare:workers";
import { expect, it } from "vitest";
import * as entry from "../src/index";

it("exports nothing but the default handler and Durable Object classes", () => {
  for (const [name, value] of Object.entries(entry)) {
    if (name === "default") continue;
    expect(typeof value === "function" && value.prototype instanceof DurableObject, name).toBe(true);
  }
});
