/** Webhook URL safety: schemes, credentials, local names, IP literals in every notation, resolution (no network: a table resolver). */
import { describe, expect, it } from "vitest";
import {
  checkDeliveryUrl,
  checkUrlSyntax,
  dohResolver,
  isPublic,
  parseIp,
  type Resolver,
} from "../../src/webhooks/url-safety";

const live = (url: string) => checkUrlSyntax(url, "live");
const reason = (url: string, mode: "live" | "test" = "live") => {
  const r = checkUrlSyntax(url, mode);
  return r.ok ? "ok" : r.reason;
};

describe("checkUrlSyntax in live mode", () => {
  it("accepts public https URLs and normalizes them", () => {
    expect(live("https://example.com/hooks?x=1")).toEqual({ ok: true, url: "https://example.com/hooks?x=1" });
    expect(live("HTTPS://Example.COM:8443/a")).toEqual({ ok: true, url: "https://example.com:8443/a" });
    expect(reason("https://8.8.8.8/")).toBe("ok");
    expect(reason("https://[2606:4700:4700::1111]/")).toBe("ok");
    expect(reason("https://[::ffff:8.8.8.8]/")).toBe("ok");
  });

  it("refuses other schemes, credentials and malformed URLs", () => {
    for (const url of ["http://example.com/", "ftp://example.com/", "file:///etc/passwd", "javascript:alert(1)"]) {
      expect(reason(url)).toBe("scheme");
    }
    expect(reason("https://user:pw@example.com/")).toBe("credentials");
    expect(reason("https://user@example.com/")).toBe("credentials");
    expect(reason("https://:pw@example.com/")).toBe("credentials");
    for (const url of [
      "",
      "example.com",
      "/relative",
      "https://",
      "https://exa mple.com/",
      `https://e.com/${"a".repeat(2100)}`,
    ]) {
      expect(reason(url)).toBe("malformed");
    }
  });

  it("refuses local hostnames, with or without a trailing dot, in any case", () => {
    for (const host of [
      "localhost",
      "LOCALHOST",
      "localhost.",
      "api.localhost",
      "printer.local",
      "metadata.google.internal",
      "router.home.arpa",
      "intranet",
      "nas.lan",
    ]) {
      expect(reason(`https://${host}/`), host).toBe("local_hostname");
    }
  });

  const privateLiterals = [
    // IPv4 in dotted, decimal, hex, octal and short forms (the URL parser normalizes all of them)
    "127.0.0.1",
    "127.1",
    "2130706433",
    "0x7f000001",
    "0x7f.0.0.1",
    "0177.0.0.1",
    "017700000001",
    "0",
    "0.0.0.0",
    "10.0.0.1",
    "10.255.255.255",
    "172.16.0.1",
    "172.31.255.254",
    "192.168.1.1",
    "0xc0.0xa8.1.1",
    "3232235777",
    "169.254.169.254",
    "0xa9fea9fe",
    "100.64.0.1",
    "100.127.255.255",
    "224.0.0.1",
    "239.255.255.250",
    "255.255.255.255",
    "240.0.0.1",
    "192.0.2.1",
    "198.51.100.7",
    "203.0.113.9",
    "198.18.0.1",
    "192.0.0.8",
    // IPv6
    "[::1]",
    "[::]",
    "[0:0:0:0:0:0:0:1]",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[::ffff:10.0.0.1]",
    "[::ffff:169.254.169.254]",
    "[::127.0.0.1]",
    "[fc00::1]",
    "[fd12:3456::1]",
    "[fe80::1]",
    "[febf::1]",
    "[fec0::1]",
    "[ff02::1]",
    "[2001:db8::1]",
    "[3fff::1]",
    "[2001::1]",
    "[64:ff9b::a00:1]",
    "[2002:7f00:1::]",
    "[100::1]",
  ];
  for (const host of privateLiterals) {
    it(`refuses the reserved address ${host}`, () => {
      expect(reason(`https://${host}/hook`)).toBe("private_address");
    });
  }

  it("accepts public addresses next to reserved ranges", () => {
    for (const host of [
      "11.0.0.1",
      "172.32.0.1",
      "172.15.255.255",
      "192.169.0.1",
      "100.128.0.1",
      "169.255.0.1",
      "223.255.255.255",
      "1.1.1.1",
      "[2001:4860:4860::8888]",
      "[2002:808:808::]",
    ]) {
      expect(reason(`https://${host}/`), host).toBe("ok");
    }
  });
});

describe("checkUrlSyntax in test mode", () => {
  it("allows http, loopback addresses and localhost for local development", () => {
    for (const url of [
      "http://example.com/",
      "http://127.0.0.1:4242/hook",
      "http://localhost:3000/",
      "http://app.localhost/",
      "http://[::1]:8080/",
      "https://127.0.0.1/",
    ]) {
      expect(reason(url, "test"), url).toBe("ok");
    }
  });

  it("still refuses other private addresses, local names, credentials and other schemes", () => {
    expect(reason("http://10.0.0.1/", "test")).toBe("private_address");
    expect(reason("http://169.254.169.254/", "test")).toBe("private_address");
    expect(reason("http://printer.local/", "test")).toBe("local_hostname");
    expect(reason("http://u:p@localhost/", "test")).toBe("credentials");
    expect(reason("ftp://localhost/", "test")).toBe("scheme");
  });
});

describe("parseIp / isPublic", () => {
  it("parses IPv4 and IPv6 text as resolvers write it", () => {
    expect(parseIp("1.2.3.4")).toEqual({ v: 4, bytes: [1, 2, 3, 4] });
    expect(parseIp("::ffff:1.2.3.4")?.bytes.slice(10)).toEqual([0xff, 0xff, 1, 2, 3, 4]);
    expect(parseIp("2001:db8::")?.bytes).toEqual([0x20, 0x01, 0x0d, 0xb8, ...Array(12).fill(0)]);
    for (const bad of [
      "1.2.3",
      "1.2.3.256",
      "01.2.3.4",
      "1::2::3",
      "12345::",
      "1:2:3:4:5:6:7:8:9",
      "example.com",
      "",
    ]) {
      expect(parseIp(bad), bad).toBeNull();
    }
  });

  it("treats only public unicast as public", () => {
    const pub = (t: string) => isPublic(parseIp(t) as NonNullable<ReturnType<typeof parseIp>>);
    expect(pub("93.184.216.34")).toBe(true);
    expect(pub("2606:2800:220:1::1")).toBe(true);
    expect(pub("::ffff:93.184.216.34")).toBe(true);
    expect(pub("::ffff:192.168.0.1")).toBe(false);
    expect(pub("fe80::1%25eth0".replace("%25eth0", ""))).toBe(false);
    expect(pub("ff00::")).toBe(false);
  });
});

/** A resolver answering from a table; unknown names are unresolvable. */
function table(answers: Record<string, readonly string[]>): Resolver {
  return async (host) =>
    host in answers ? { ok: true, addresses: answers[host] as readonly string[] } : { ok: false };
}

describe("checkDeliveryUrl", () => {
  const resolve = table({
    "good.example": ["93.184.216.34", "2606:2800:220:1::1"],
    "rebind.example": ["93.184.216.34", "127.0.0.1"],
    "meta.example": ["169.254.169.254"],
    "v6private.example": ["fd00::1"],
    "mapped.example": ["::ffff:10.1.2.3"],
    "empty.example": [],
    "garbage.example": ["not-an-ip"],
  });

  it("accepts a hostname whose every address is public", async () => {
    expect(await checkDeliveryUrl("https://good.example/h", "live", resolve)).toEqual({
      ok: true,
      url: "https://good.example/h",
    });
  });

  it("refuses a hostname with any private answer, no answer, or a resolver failure", async () => {
    const throwing: Resolver = async () => {
      throw new Error("network down");
    };
    for (const [url, why, r] of [
      ["https://rebind.example/", "resolves_private", resolve],
      ["https://meta.example/", "resolves_private", resolve],
      ["https://v6private.example/", "resolves_private", resolve],
      ["https://mapped.example/", "resolves_private", resolve],
      ["https://garbage.example/", "resolves_private", resolve],
      ["https://empty.example/", "unresolvable", resolve],
      ["https://nowhere.example/", "unresolvable", resolve],
      ["https://good.example/", "unresolvable", throwing],
      ["http://good.example/", "scheme", resolve],
    ] as const) {
      expect(await checkDeliveryUrl(url, "live", r), url).toEqual({ ok: false, reason: why });
    }
  });

  it("does not resolve IP literals, nor anything in test mode", async () => {
    const never: Resolver = async () => {
      throw new Error("must not be called");
    };
    expect((await checkDeliveryUrl("https://8.8.8.8/", "live", never)).ok).toBe(true);
    expect((await checkDeliveryUrl("http://localhost:4242/", "test", never)).ok).toBe(true);
  });
});

describe("dohResolver", () => {
  it("asks for A and AAAA as dns-json and keeps only address records", async () => {
    const asked: string[] = [];
    const fake = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = new URL(String(input));
      asked.push(
        `${url.searchParams.get("name")} ${url.searchParams.get("type")} ${new Headers(init?.headers).get("accept")}`,
      );
      const type = url.searchParams.get("type");
      const Answer =
        type === "A"
          ? [
              { type: 5, data: "alias.example." },
              { type: 1, data: "93.184.216.34" },
            ]
          : [{ type: 28, data: "2606:2800:220:1::1" }];
      return Response.json({ Status: 0, Answer });
    }) as typeof fetch;
    expect(await dohResolver(fake)("good.example")).toEqual({
      ok: true,
      addresses: ["93.184.216.34", "2606:2800:220:1::1"],
    });
    expect(asked.sort()).toEqual(["good.example A application/dns-json", "good.example AAAA application/dns-json"]);
  });

  it("fails closed on SERVFAIL or an HTTP error", async () => {
    const servfail = (async () => Response.json({ Status: 2 })) as unknown as typeof fetch;
    const down = (async () => new Response("no", { status: 502 })) as unknown as typeof fetch;
    expect(await dohResolver(servfail)("x.example")).toEqual({ ok: false });
    expect(await dohResolver(down)("x.example")).toEqual({ ok: false });
  });
});
