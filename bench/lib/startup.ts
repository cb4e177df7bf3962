/**
 * Global-scope startup cost, from `wrangler check startup`: it builds the Worker, starts it in a local
 * workerd with the inspector attached and records a CPU profile of the startup phase. The profile is
 * sampled coarsely and includes wrangler's own startup harness, so the harness reports the gateway's
 * active time next to the floor Worker's, and the difference is what the gateway's code adds.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { QUIET_ENV, wrangler } from "./workerd.ts";

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string } }[];
  samples: number[];
  timeDeltas: number[];
}

/** Startup profile of one Worker: CPU time not idle, and the window it was sampled over. */
export interface StartupProfile {
  activeMs: number;
  windowMs: number;
  samples: number;
}

/** Sums the sampled time that is not `(idle)` in a V8 CPU profile. */
export function activeTime(profile: CpuProfile): StartupProfile {
  const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === "(idle)").map((n) => n.id));
  let active = 0;
  let window = 0;
  profile.samples.forEach((node, i) => {
    const us = profile.timeDeltas[i + 1] ?? 0; // time until the next sample is spent where this one was
    window += us;
    if (!idle.has(node)) active += us;
  });
  return { activeMs: active / 1000, windowMs: window / 1000, samples: profile.samples.length };
}

/** Profiles the startup of the Worker of `configPath`, or returns why it could not. */
export function profileStartup(
  configPath: string,
  tmpDir: string,
  secretNames: readonly string[] = [],
): StartupProfile | string {
  const outfile = join(tmpDir, `startup-${Date.now()}.cpuprofile`);
  const env: NodeJS.ProcessEnv = { ...QUIET_ENV };
  for (const name of secretNames) env[name] ??= "bench-build-placeholder";
  const result = wrangler(["check", "startup", "--config", configPath, "--outfile", outfile], env, 60_000);
  if (!result.ok) return `wrangler check startup failed: ${result.output.trim().split("\n").pop() ?? ""}`;
  try {
    return activeTime(JSON.parse(readFileSync(outfile, "utf8")) as CpuProfile);
  } catch {
    return "wrangler check startup wrote no readable profile";
  }
}
