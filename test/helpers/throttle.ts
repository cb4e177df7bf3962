/**
 * Helpers for throttle tests: frozen gate clocks and source addresses no other test shares.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { MerchantGate } from "../../src/durable/merchant-gate";

/** Freezes the clocks of the named throttle objects together; returns a handle to move them. */
export async function freeze(...names: string[]): Promise<{ now: number }> {
  const clock = { now: Date.now() };
  for (const name of names) {
    await runInDurableObject(env.MERCHANT_GATE.getByName(name), (instance: MerchantGate) => {
      instance.clock = () => clock.now;
    });
  }
  return clock;
}

let seq = 0;
/** A source address of its own for each use (within `prefix`, e.g. "203.0"), so tests never share an `ip:` object. */
export function newIp(prefix: string): string {
  seq++;
  return `${prefix}.${Math.floor(Math.random() * 200)}.${seq % 250}`;
}
