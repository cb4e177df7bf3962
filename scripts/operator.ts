/**
 * `npm run operator -- <command>` (`-- --help` for the usage): manages named operator credentials
 * through the operator API of the running gateway (EDGEPAY_URL, else the local `npm start` on PORT,
 * else 8787: scripts/gateway-url.ts). It authenticates with OPERATOR_TOKEN from the environment (the root token, or a named operator's `eop_…` secret), else the root token in .dev.vars.
 *   create --name alice [--rate-limit 50] [--json]   prints the new operator's secret, once
 *   list                                             operators, newest first (up to 100)
 *   disable opr_…                                    the secret stops working on the next request
 *   root-disable | root-enable                       switch the root OPERATOR_TOKEN (named operators only)
 */
import { parseArgs } from "node:util";
import { gatewayUrl, wantsHelp } from "./gateway-url.ts";
import { operatorCall, operatorCredential } from "./operator-client.ts";

const USAGE = `usage: npm run operator -- create --name <name> [--rate-limit <req/s>] [--json]
       npm run operator -- list | disable <opr_id> | root-disable | root-enable

Manages named operators on the running gateway.
  create --name alice   a new operator; prints its eop_… secret, once
  list                  operators, newest first (up to 100)
  disable opr_…         the secret stops working on the next request
  root-disable          switch the root OPERATOR_TOKEN off (named operators only), root-enable on

The gateway is EDGEPAY_URL, else http://127.0.0.1:$PORT (a local PORT=… npm start), else http://127.0.0.1:8787.
The credential is OPERATOR_TOKEN, else the root token in .dev.vars (written by npm start).`;

interface Operator {
  id: string;
  name: string;
  status: string;
  created_by: string;
  secret?: string;
}

/** Runs one command and returns what to print; throws a usage error as `Error("usage")`. */
async function run(args: string[]): Promise<string> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { name: { type: "string" }, "rate-limit": { type: "string" }, json: { type: "boolean", default: false } },
  });
  const [command, id] = positionals;
  const base = gatewayUrl();
  const call = <T>(path: string, body?: object) => operatorCall<T>(base, operatorCredential(), path, body);
  switch (command) {
    case "create": {
      if (!values.name) throw new Error("usage");
      const rate = values["rate-limit"];
      const op = await call<Operator>("/admin/v1/operators", { name: values.name, ...(rate && { rate_limit: rate }) });
      if (values.json) return JSON.stringify(op, null, 2);
      return [
        `Created operator ${op.id} (${op.name}) on ${base}. Save the secret now: it is not shown again.`,
        `  secret  ${op.secret}`,
        `  use it  OPERATOR_TOKEN='${op.secret}' npm run operator -- list`,
      ].join("\n");
    }
    case "list": {
      const { data } = await call<{ data: Operator[] }>("/admin/v1/operators?limit=100");
      return data.map((o) => `${o.id}  ${o.status.padEnd(8)}  ${o.name}  (created by ${o.created_by})`).join("\n");
    }
    case "disable": {
      if (!id) throw new Error("usage");
      const op = await call<Operator>(`/admin/v1/operators/${encodeURIComponent(id)}/disable`, {});
      return `${op.id} (${op.name}) is ${op.status}.`;
    }
    case "root-disable":
    case "root-enable": {
      const root = await call<{ status: string }>(`/admin/v1/root_token/${command.slice(5)}`, {});
      return `The root OPERATOR_TOKEN is ${root.status}.`;
    }
    default:
      throw new Error("usage");
  }
}

try {
  const argv = process.argv.slice(2);
  console.log(wantsHelp(argv) ? USAGE : await run(argv));
} catch (err) {
  const message = err instanceof Error ? err.message : String(err);
  console.error(message === "usage" ? USAGE : `operator: ${message}`);
  process.exit(message === "usage" ? 2 : 1);
}
