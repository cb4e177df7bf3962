/**
 * Global-scope startup cost, from `wrangler check startup`: it builds the Worker, starts it in a local
 * workerd with the inspector attached and records a CPU profile of the startup phase. The profile is
 * sampled coarsely and includes wrangler's own startup harness, so the harness reports the gateway's
 * active time next to the floor Worker's, and the difference is what the gateway's code adds.
 * A second, coarser view: the workerd CPU and wall time from a fresh start to the first answer.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type CpuProfile, selfTimes } from "./profile-report.ts";
import { type Bundle, cpuMs, QUIET_ENV, type RunningWorker, serveBundle, wrangler } from "./workerd.ts";

/** Startup profile of one Worker: CPU time not idle, and the window it was sampled over. */
export interface StartupProfile {
  /** How many profiles were taken (the median one is reported). */
  runs?: number;
  activeMs: number;
  windowMs: number;
  samples: number;
}

/** Sums the sampled time that is not `(idle)` in a V8 CPU profile. */
export function activeTime(profile: CpuProfile): StartupProfile {
  const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === "(idle)").map((n) => n.id));
  let active = 0;
  let window = 0;
  for (const [node, us] of selfTimes(profile)) {
    window += us;
    if (!idle.has(node)) active += us;
  }
  return { activeMs: active / 1000, windowMs: window / 1000, samples: profile.samples.length };
}

/** Profiles the startup of the Worker of `configPath` `runs` times; the run with the median active time. */
export function profileStartup(
  configPath: string,
  tmpDir: string,
  runs: number,
  secretNames: readonly string[] = [],
): StartupProfile | string {
  const env: NodeJS.ProcessEnv = { ...QUIET_ENV };
  for (const name of secretNames) env[name] ??= "bench-build-placeholder";
  const profiles: StartupProfile[] = [];
  for (let i = 0; i < runs; i++) {
    const outfile = join(tmpDir, `startup-${Date.now()}-${i}.cpuprofile`);
    const result = wrangler(["check", "startup", "--config", configPath, "--outfile", outfile], env, 60_000);
    if (!result.ok) return `wrangler check startup failed: ${result.output.trim().split("\n").pop() ?? ""}`;
    try {
      profiles.push(activeTime(JSON.parse(readFileSync(outfile, "utf8")) as CpuProfile));
    } catch {
      return "wrangler check startup wrote no readable profile";
    }
  }
  profiles.sort((a, b) => a.activeMs - b.activeMs);
  return { ...(profiles[Math.floor(profiles.length / 2)] as StartupProfile), runs };
}

/** Cost of a fresh workerd up to its first answer: wall time from `new Miniflare()` and workerd CPU. */
export interface ColdStart {
  runs: number;
  /** Median wall time to the first response, ms (includes workerd's own boot). */
  firstResponseMs: number;
  /** Median utime+stime of the workerd process at that moment, ms (clock-tick resolution). */
  cpuMs: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};

/** Starts the bundle `runs` times in a fresh workerd, sends one request, and stops it again. */
export async function coldStarts(
  configPath: string,
  bundle: Bundle,
  secrets: Record<string, string>,
  firstPath: string,
  runs: number,
  tmpDir: string,
  running: RunningWorker[],
): Promise<ColdStart> {
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const worker = await serveBundle(configPath, bundle, secrets, join(tmpDir, `cold-${Date.now()}-${i}`));
    running.push(worker);
    await (await fetch(new URL(firstPath, worker.url))).arrayBuffer();
    walls.push(performance.now() - t0);
    cpus.push(cpuMs(worker.pids));
    await worker.mf.dispose();
    running.splice(running.indexOf(worker), 1);
  }
  return { runs, firstResponseMs: median(walls), cpuMs: median(cpus) };
}
