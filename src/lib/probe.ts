/**
 * Timed dependency probes for `GET /health`: one round trip raced against a timeout, reported as
 * `ok` or `fail` with the milliseconds it took. A probe never throws and never says why it failed
 * (an error message could name internals to an unauthenticated caller).
 */

/** One dependency's answer. */
export interface ProbeResult {
  status: "ok" | "fail";
  latency_ms: number;
}

/** How long a probe may take before it counts as failed, by default. */
export const PROBE_TIMEOUT_MS = 2000;

/**
 * Runs `work` (true: the dependency answered as expected) with `timeoutMs` to finish; a rejection,
 * a false or the timeout is `fail`. The latency is measured either way (capped by the timeout).
 */
export async function probe(work: () => Promise<boolean>, timeoutMs = PROBE_TIMEOUT_MS): Promise<ProbeResult> {
  const started = Date.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const answered = Promise.resolve()
    .then(work)
    .catch(() => false);
  const ok = await Promise.race([answered, timedOut]);
  clearTimeout(timer);
  return { status: ok ? "ok" : "fail", latency_ms: Date.now() - started };
}
