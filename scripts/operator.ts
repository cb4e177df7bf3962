/**
 * `npm run operator -- <command>`: manages named operator credentials through the operator API of
 * the running gateway (`npm start`, or EDGEPAY_URL). It authenticates with OPERATOR_TOKEN from the
 * environment (the root token, or a named operator's `eop_…` secret), else the root token in .dev.vars.
 *   create --name alice [--rate-limit 50] [--json]   prints the new operator's secret, once
 *   list                                             operators, newest first (up to 100)
 *   disable opr_…                                    the secret stops working on the next request
 *   root-disable | root-enable                       switch the root OPERATOR_TOKEN (named operators only)
 */
import { parseArgs } from "node:util";
import { gatewayUrl, operatorCall, operatorCredential } from "./operator-client.ts";

const USAGE = `usage: npm run operator -- create --name <name> [--rate-limit <req/s>] [--json]
       npm run operator -- list | disable <opr_id> | root-disable | root-enable`;

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
  console.log(await run(process.argv.slice(2)));
} catch (err) {
  const message = err instanceof Error ? err.message : String(err);
  console.error(message === "usage" ? USAGE : `operator: ${message}`);
  process.exit(message === "usage" ? 2 : 1);
}
