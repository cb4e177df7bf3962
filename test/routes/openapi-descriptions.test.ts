/**
 * Every field of the served OpenAPI document is described (issue 21): each parameter of each
 * operation, and each property of every schema reachable from one (request bodies in both
 * encodings, responses, the components they refer to, nested objects, array items, map values and
 * the members of anyOf/oneOf/allOf). A property that refers to a component carries its own
 * description beside the `$ref` (`allOf: [{$ref}, {description}]`, as the generator writes it), so
 * the component's description is not the only one. The operations are read from the document, so
 * a route added later is checked without editing this file.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { call } from "../helpers/http";

type Node = Record<string, unknown>;
interface Doc {
  paths: Record<string, Record<string, Node>>;
  components?: { schemas?: Record<string, Node>; parameters?: Record<string, Node> };
}

/** A JSON pointer segment (RFC 6901). */
const segment = (s: string) => s.replaceAll("~", "~0").replaceAll("/", "~1");

const isNode = (v: unknown): v is Node => typeof v === "object" && v !== null && !Array.isArray(v);
const text = (v: unknown) => typeof v === "string" && v.trim() !== "";

/** Described in place, or (for a `$ref` beside its description) in an `allOf` member that is not a `$ref`. */
function described(node: Node): boolean {
  if (text(node.description)) return true;
  const members = Array.isArray(node.allOf) ? node.allOf : [];
  return members.some((m) => isNode(m) && m.$ref === undefined && text(m.description));
}

/** Walks the document from its operations; answers how many fields it saw and the pointers of those undescribed. */
function walk(doc: Doc): { fields: number; missing: string[] } {
  const missing: string[] = [];
  let fields = 0;
  const seen = new Set<string>();
  const resolve = (ref: string): Node => {
    const target = ref
      .slice(2)
      .split("/")
      .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"))
      .reduce<unknown>((node, key) => (isNode(node) ? node[key] : undefined), doc);
    if (!isNode(target)) throw new Error(`${ref} does not resolve`);
    return target;
  };
  const field = (node: Node, pointer: string) => {
    fields++;
    if (!described(node)) missing.push(pointer);
  };
  const schema = (node: unknown, pointer: string): void => {
    if (!isNode(node)) return;
    if (typeof node.$ref === "string" && !seen.has(node.$ref)) {
      seen.add(node.$ref);
      schema(resolve(node.$ref), node.$ref.slice(1));
    }
    for (const [name, property] of Object.entries(isNode(node.properties) ? node.properties : {})) {
      const at = `${pointer}/properties/${segment(name)}`;
      if (isNode(property)) field(property, at);
      schema(property, at);
    }
    schema(node.items, `${pointer}/items`);
    schema(node.additionalProperties, `${pointer}/additionalProperties`);
    for (const key of ["anyOf", "oneOf", "allOf"]) {
      const members = Array.isArray(node[key]) ? node[key] : [];
      for (const [i, m] of members.entries()) schema(m, `${pointer}/${key}/${i}`);
    }
  };
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(operations)) {
      const at = `/paths/${segment(path)}/${method}`;
      const parameters = Array.isArray(op.parameters) ? (op.parameters as Node[]) : [];
      parameters.forEach((raw, i) => {
        const parameter = typeof raw.$ref === "string" ? resolve(raw.$ref) : raw;
        field(parameter, `${at}/parameters/${i} (${String(parameter.in)} ${String(parameter.name)})`);
        schema(parameter.schema, `${at}/parameters/${i}/schema`);
      });
      const body = isNode(op.requestBody) ? op.requestBody : {};
      for (const [type, media] of Object.entries(isNode(body.content) ? body.content : {})) {
        if (isNode(media)) schema(media.schema, `${at}/requestBody/content/${segment(type)}/schema`);
      }
      for (const [status, raw] of Object.entries(isNode(op.responses) ? op.responses : {})) {
        if (!isNode(raw)) continue;
        const response = typeof raw.$ref === "string" ? resolve(raw.$ref) : raw;
        for (const [type, media] of Object.entries(isNode(response.content) ? response.content : {})) {
          if (isNode(media)) schema(media.schema, `${at}/responses/${status}/content/${segment(type)}/schema`);
        }
      }
    }
  }
  // Components no operation reaches are documented too.
  for (const name of Object.keys(doc.components?.schemas ?? {}))
    schema({ $ref: `#/components/schemas/${segment(name)}` }, "");
  return { fields, missing };
}

let doc: Doc;
beforeAll(async () => {
  doc = (await (await call("/openapi.json")).json()) as Doc;
});

describe("descriptions", () => {
  it("are on every parameter and every property of every schema the document holds", () => {
    const { fields, missing } = walk(doc);
    expect(fields).toBeGreaterThan(1000);
    expect(missing).toEqual([]);
  });

  it("of a property that refers to a component are its own, and leave the component's alone", () => {
    const schemas = doc.components?.schemas ?? {};
    const create = schemas.PaymentIntentCreate?.properties as Record<string, Node>;
    for (const name of ["metadata", "payment_method_data"]) {
      const property = create[name] as Node;
      const [ref, own] = property.allOf as Node[];
      expect(ref?.$ref).toMatch(/^#\/components\/schemas\//);
      const component = schemas[String(ref?.$ref).split("/").pop() as string] as Node;
      expect(own?.description).not.toBe(component.description);
    }
    expect(schemas.Metadata?.description).toMatch(/^Up to 50 string key\/value pairs/);
    expect(schemas.PaymentMethodData?.description).toMatch(/^A card to tokenize/);
  });
});
