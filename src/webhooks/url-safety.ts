/**
 * Which URLs the gateway may send webhooks to (SSRF protection). Pure checks of the URL itself,
 * plus one resolution step through a resolver passed in (DNS-over-HTTPS in production, a table in
 * tests), so the same function serves endpoint creation and every delivery (DNS can change).
 *
 * Live mode: `https:` only, no credentials in the URL, no local hostnames (`localhost`,
 * `*.localhost`, `*.local`, `*.internal`, `*.home.arpa`, single-label names), no IP literal outside
 * public unicast space (in any notation: the WHATWG URL parser turns `2130706433`, `0x7f.1`,
 * `0177.0.0.1` and `127.1` into `127.0.0.1`, and IPv6 into its canonical form), and a hostname
 * whose A and AAAA records are all public. Test mode: `http:` is allowed, and so are loopback
 * addresses and `localhost`, for local development; nothing is resolved.
 */

/** The deployment's mode (EDGEPAY_MODE). */
export type UrlMode = "test" | "live";

/** What a resolver answers: the addresses a hostname has (A and AAAA), or that it could not say. */
export type Resolution = { ok: true; addresses: readonly string[] } | { ok: false };

/** Resolves a hostname to its IPv4 and IPv6 addresses. */
export type Resolver = (hostname: string) => Promise<Resolution>;

/** Why a URL is refused. */
export type UrlRefusal =
  | "malformed"
  | "scheme"
  | "credentials"
  | "local_hostname"
  | "private_address"
  | "unresolvable"
  | "resolves_private";

/** A URL the gateway may deliver to (normalized), or why not. */
export type UrlCheck = { ok: true; url: string } | { ok: false; reason: UrlRefusal };

/** Longest endpoint URL accepted. */
export const MAX_URL_LENGTH = 2048;

/** Hostname suffixes that name local or private networks, never the public internet. */
const LOCAL_SUFFIXES = [".localhost", ".local", ".internal", ".home.arpa", ".lan", ".intranet", ".corp"];

/** The URL checks that need no network: scheme, credentials, local names, IP literals. */
export function checkUrlSyntax(raw: string, mode: UrlMode): UrlCheck {
  if (raw.length > MAX_URL_LENGTH) return { ok: false, reason: "malformed" };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: "malformed" };
  }
  const schemes = mode === "live" ? ["https:"] : ["https:", "http:"];
  if (!schemes.includes(url.protocol)) return { ok: false, reason: "scheme" };
  if (url.username !== "" || url.password !== "") return { ok: false, reason: "credentials" };
  const host = hostOf(url);
  if (host === "") return { ok: false, reason: "malformed" };
  const address = parseIp(host);
  if (address) {
    if (isPublic(address)) return { ok: true, url: url.href };
    if (mode === "test" && isLoopback(address)) return { ok: true, url: url.href };
    return { ok: false, reason: "private_address" };
  }
  if (isLocalName(host)) {
    const loopbackName = host === "localhost" || host.endsWith(".localhost");
    return mode === "test" && loopbackName ? { ok: true, url: url.href } : { ok: false, reason: "local_hostname" };
  }
  return { ok: true, url: url.href };
}

/**
 * The full check, at endpoint creation and again before each delivery: the syntax checks, and in
 * live mode the hostname's addresses, which must all be public (one private answer is enough to
 * refuse: a resolver may hand out either).
 */
export async function checkDeliveryUrl(raw: string, mode: UrlMode, resolve: Resolver): Promise<UrlCheck> {
  const syntax = checkUrlSyntax(raw, mode);
  if (!syntax.ok || mode === "test") return syntax;
  const host = hostOf(new URL(syntax.url));
  if (parseIp(host)) return syntax;
  let answer: Resolution;
  try {
    answer = await resolve(host);
  } catch {
    answer = { ok: false };
  }
  if (!answer.ok || answer.addresses.length === 0) return { ok: false, reason: "unresolvable" };
  for (const text of answer.addresses) {
    const address = parseIp(text);
    if (!address || !isPublic(address)) return { ok: false, reason: "resolves_private" };
  }
  return syntax;
}

/** The message of a refusal: what the rule is, never the URL (it may carry anything). */
export function refusalMessage(reason: UrlRefusal, mode: UrlMode): string {
  switch (reason) {
    case "malformed":
      return `The URL is not a valid absolute URL of at most ${MAX_URL_LENGTH} characters.`;
    case "scheme":
      return mode === "live" ? "Webhook URLs must use https." : "Webhook URLs must use https or http.";
    case "credentials":
      return "Webhook URLs must not carry a username or password.";
    case "local_hostname":
      return "Webhook URLs must name a public host, not a local or private name.";
    case "private_address":
      return "Webhook URLs must not point at a private, loopback, link-local or otherwise reserved address.";
    case "unresolvable":
      return "The URL's hostname could not be resolved to an address.";
    case "resolves_private":
      return "The URL's hostname resolves to a private, loopback, link-local or otherwise reserved address.";
  }
}

/** The URL's hostname, lowercased, without IPv6 brackets or a trailing dot. */
function hostOf(url: URL): string {
  const host = url.hostname.toLowerCase().replace(/\.$/, "");
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

function isLocalName(host: string): boolean {
  if (host === "localhost" || !host.includes(".")) return true;
  return LOCAL_SUFFIXES.some((suffix) => host.endsWith(suffix));
}

/** A parsed address: 4 bytes (IPv4) or 16 bytes (IPv6). */
type Address = { v: 4; bytes: number[] } | { v: 6; bytes: number[] };

/** Parses a dotted-quad IPv4 or a textual IPv6 address (as URLs and resolvers write them); else null. */
export function parseIp(text: string): Address | null {
  const v4 = parseIpv4(text);
  if (v4) return { v: 4, bytes: v4 };
  const v6 = parseIpv6(text);
  return v6 ? { v: 6, bytes: v6 } : null;
}

function parseIpv4(text: string): number[] | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const bytes = parts.map((p) => (/^(0|[1-9]\d{0,2})$/.test(p) ? Number(p) : Number.NaN));
  return bytes.every((b) => b >= 0 && b <= 255) ? bytes : null;
}

function parseIpv6(text: string): number[] | null {
  if (!text.includes(":") || !/^[0-9a-f:.]+$/i.test(text)) return null;
  let head = text;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(":");
  if (text.slice(lastColon + 1).includes(".")) {
    const v4 = parseIpv4(text.slice(lastColon + 1));
    if (!v4) return null;
    tail.push(v4[0] as number, v4[1] as number, v4[2] as number, v4[3] as number);
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split("::");
  if (halves.length > 2) return null;
  const words = (part: string) => (part === "" ? [] : part.split(":"));
  const left = words(halves[0] as string);
  const right = halves.length === 2 ? words(halves[1] as string) : [];
  const missing = 8 - left.length - right.length;
  if ((halves.length === 2 && missing < 1) || (halves.length === 1 && missing !== 0)) return null;
  const all = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...right];
  const bytes: number[] = [];
  for (const word of all) {
    if (!/^[0-9a-f]{1,4}$/i.test(word)) return null;
    const n = Number.parseInt(word, 16);
    bytes.push(n >> 8, n & 0xff);
  }
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}

/** True when the first `bits` bits of `bytes` equal those of `prefix`. */
function inPrefix(bytes: readonly number[], prefix: readonly number[], bits: number): boolean {
  for (let i = 0; i < bits; i++) {
    const byte = i >> 3;
    const mask = 0x80 >> (i & 7);
    if (((bytes[byte] ?? 0) & mask) !== ((prefix[byte] ?? 0) & mask)) return false;
  }
  return true;
}

/** IPv4 ranges that are not public unicast (RFC 6890 and its updates). */
const V4_RESERVED: [number[], number][] = [
  [[0, 0, 0, 0], 8], // "this network", unspecified
  [[10, 0, 0, 0], 8], // private
  [[100, 64, 0, 0], 10], // CGNAT shared space
  [[127, 0, 0, 0], 8], // loopback
  [[169, 254, 0, 0], 16], // link-local
  [[172, 16, 0, 0], 12], // private
  [[192, 0, 0, 0], 24], // IETF protocol assignments
  [[192, 0, 2, 0], 24], // documentation TEST-NET-1
  [[192, 88, 99, 0], 24], // 6to4 relay anycast
  [[192, 168, 0, 0], 16], // private
  [[198, 18, 0, 0], 15], // benchmarking
  [[198, 51, 100, 0], 24], // documentation TEST-NET-2
  [[203, 0, 113, 0], 24], // documentation TEST-NET-3
  [[224, 0, 0, 0], 4], // multicast
  [[240, 0, 0, 0], 4], // reserved, and 255.255.255.255 broadcast
];

/** IPv6 ranges inside 2000::/3 that are still not public unicast. */
const V6_RESERVED: [number[], number][] = [
  [[0x20, 0x01, 0x00, 0x00], 23], // IETF protocol assignments (Teredo, benchmarking, ORCHID)
  [[0x20, 0x01, 0x0d, 0xb8], 32], // documentation
  [[0x3f, 0xff], 20], // documentation (RFC 9637)
];

function isPublicV4(bytes: readonly number[]): boolean {
  return !V4_RESERVED.some(([prefix, bits]) => inPrefix(bytes, prefix, bits));
}

/** The IPv4 address an IPv6 address carries, for the forms that reach it: mapped, NAT64 and 6to4. */
function embeddedV4(bytes: readonly number[]): number[] | null {
  if (inPrefix(bytes, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff], 96)) return bytes.slice(12);
  if (inPrefix(bytes, [0, 0x64, 0xff, 0x9b], 96)) return bytes.slice(12);
  if (inPrefix(bytes, [0x20, 0x02], 16)) return bytes.slice(2, 6);
  return null;
}

/** True for a public unicast address: never private, loopback, link-local, CGNAT, multicast, unspecified or documentation space. */
export function isPublic(address: Address): boolean {
  if (address.v === 4) return isPublicV4(address.bytes);
  const v4 = embeddedV4(address.bytes);
  if (v4) return isPublicV4(v4);
  // Global unicast is 2000::/3; everything else (::, ::1, fc00::/7, fe80::/10, ff00::/8, …) is not.
  if (!inPrefix(address.bytes, [0x20], 3)) return false;
  return !V6_RESERVED.some(([prefix, bits]) => inPrefix(address.bytes, prefix, bits));
}

function isLoopback(address: Address): boolean {
  if (address.v === 4) return address.bytes[0] === 127;
  const v4 = embeddedV4(address.bytes);
  if (v4) return v4[0] === 127;
  return address.bytes.every((b, i) => b === (i === 15 ? 1 : 0));
}

/** How long one DNS-over-HTTPS query may take. */
const DOH_TIMEOUT_MS = 3000;

/** DNS answer record types: A and AAAA. */
const A = 1;
const AAAA = 28;

/**
 * A resolver over DNS-over-HTTPS (Cloudflare's JSON API): A and AAAA in parallel. A name with
 * neither is unresolvable; so is any failure of the service, which makes the check fail closed.
 */
export function dohResolver(
  fetcher: typeof fetch = (input, init) => fetch(input, init),
  endpoint = "https://cloudflare-dns.com/dns-query",
): Resolver {
  const query = async (name: string, type: "A" | "AAAA"): Promise<string[] | null> => {
    const url = `${endpoint}?name=${encodeURIComponent(name)}&type=${type}`;
    const res = await fetcher(url, {
      headers: { accept: "application/dns-json" },
      signal: AbortSignal.timeout(DOH_TIMEOUT_MS),
    });
    if (!res.ok) return null;
    const body = (await res.json()) as { Status?: number; Answer?: { type?: number; data?: string }[] };
    // 0 NOERROR, 3 NXDOMAIN (no addresses); anything else is a failure to answer.
    if (body.Status !== 0 && body.Status !== 3) return null;
    const wanted = type === "A" ? A : AAAA;
    return (body.Answer ?? [])
      .filter((r) => r.type === wanted && typeof r.data === "string")
      .map((r) => r.data as string);
  };
  return async (hostname) => {
    const [v4, v6] = await Promise.all([query(hostname, "A"), query(hostname, "AAAA")]);
    if (v4 === null || v6 === null) return { ok: false };
    return { ok: true, addresses: [...v4, ...v6] };
  };
}
