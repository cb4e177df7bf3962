/**
 * Where the scripts find the gateway, shared by `npm start` (scripts/dev.ts), `npm run merchant`,
 * `operator` and `listen`: EDGEPAY_URL, else the local `npm start` on PORT, else 8787. A call that
 * cannot reach it fails with `GatewayUnreachable`, whose message names the URL and how to point the
 * scripts elsewhere. Also the `--help` check every script shares.
 */

/** The host `npm start` listens on. */
export const LOCAL_HOST = "127.0.0.1";
/** The port `npm start` listens on when PORT is not set. */
export const DEFAULT_PORT = 8787;

/** The port of the local gateway: PORT when it is a port number, else 8787; throws on anything else. */
export function localPort(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.PORT;
  if (raw === undefined || raw === "") return DEFAULT_PORT;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 1 || port > 65_535) throw new Error(`PORT must be a port number, not "${raw}"`);
  return port;
}

/** The origin of the local gateway on `port`, also its access tokens' issuer (see `localIssuerArgs`). */
export function localOrigin(port: number): string {
  return `http://${LOCAL_HOST}:${port}`;
}

/** The gateway to talk to: EDGEPAY_URL (without a trailing slash), else the local one on PORT, else on 8787. */
export function gatewayUrl(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.EDGEPAY_URL;
  if (explicit === undefined || explicit === "") return localOrigin(localPort(env));
  let url: URL;
  try {
    url = new URL(explicit);
  } catch {
    throw new Error(`EDGEPAY_URL must be an absolute http(s) URL, not "${explicit}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(`EDGEPAY_URL must be an absolute http(s) URL, not "${explicit}"`);
  }
  return explicit.replace(/\/+$/, "");
}

/**
 * `wrangler dev` arguments that make the local gateway on `origin` stamp and accept `origin` as its
 * access tokens' issuer (wrangler.toml's top-level JWT_ISSUER names 8787). Only the local scripts
 * pass them: a deployment's issuer is its `[env.<env>.vars] JWT_ISSUER`, never taken from a request.
 */
export function localIssuerArgs(origin: string): string[] {
  return ["--var", `JWT_ISSUER:${origin}`];
}

/** A gateway that did not answer at all (nothing listening, DNS, TLS), as opposed to an HTTP error. */
export class GatewayUnreachable extends Error {
  constructor(base: string, cause: unknown) {
    const why = cause instanceof Error ? ((cause.cause as Error | undefined)?.message ?? cause.message) : String(cause);
    super(
      `cannot reach the gateway at ${base} (${why}).\n` +
        "Start it with `npm start`, which prints the URL it serves, or point this script at the running one:\n" +
        "PORT=<port> for a local `PORT=<port> npm start` (e.g. PORT=8899 npm run …), or EDGEPAY_URL=<url> for any gateway.",
    );
    this.name = "GatewayUnreachable";
  }
}

/** `fetch(base + path)`, throwing `GatewayUnreachable` when the gateway does not answer. */
export async function gatewayFetch(base: string, path: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(`${base}${path}`, init);
  } catch (err) {
    throw new GatewayUnreachable(base, err);
  }
}

/** True when the arguments ask for the usage: `--help`, `-h` or a first positional `help`. */
export function wantsHelp(argv: string[]): boolean {
  return argv[0] === "help" || argv.some((a) => a === "--help" || a === "-h");
}
