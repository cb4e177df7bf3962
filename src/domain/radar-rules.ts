/**
 * Radar-style fraud rules, pure: a small expression language parsed once into a typed tree (never
 * `eval`), and its evaluation against the facts of one authorization. A rule is an action (`allow`,
 * `block`, `review`) and a predicate such as
 *
 *   :risk_level: = 'highest'
 *   :card_country: != :ip_country: and :amount: > 50000
 *   :card_fingerprint: in @blocked_cards or :ip_country: in ('KP', 'IR')
 *   is_missing(:email:) and :cards_per_ip_address_hourly: >= 3
 *
 * Grammar: `or` of `and` of (`not` X | `(` X `)` | comparison | membership | `is_missing(:a:)`),
 * where a comparison is `<operand> <op> <operand>` (`= != < > <= >=`) and a membership is
 * `:a: [not] in @list` or `:a: [not] in (<literal>, …)`. Attributes are a closed, typed set; a
 * parse error names the offending token and its position. A comparison with a missing attribute
 * is false (as Radar's), so `is_missing` is how a rule speaks of absent facts.
 */

/** What a rule does when its predicate holds; evaluated allow → block → review. */
export type RuleAction = "allow" | "block" | "review";

/** The order rule actions are evaluated in (the first action with a matching rule wins). */
export const RULE_ACTION_ORDER: readonly RuleAction[] = ["allow", "block", "review"];

/** The attributes a predicate may use, with their types. Velocity counts are per hour or per day. */
export const RULE_ATTRIBUTES = {
  risk_score: "number",
  risk_level: "string",
  amount: "number",
  currency: "string",
  card_brand: "string",
  card_funding: "string",
  card_country: "string",
  card_bin: "string",
  card_fingerprint: "string",
  ip_address: "string",
  ip_country: "string",
  email: "string",
  customer: "string",
  total_charges_per_card_number_hourly: "number",
  total_charges_per_card_number_daily: "number",
  declined_charges_per_card_number_hourly: "number",
  declined_charges_per_card_number_daily: "number",
  total_charges_per_ip_address_hourly: "number",
  total_charges_per_ip_address_daily: "number",
  declined_charges_per_ip_address_hourly: "number",
  declined_charges_per_ip_address_daily: "number",
  card_count_for_ip_address_hourly: "number",
  card_count_for_ip_address_daily: "number",
  total_charges_per_email_hourly: "number",
  total_charges_per_email_daily: "number",
  card_count_for_email_daily: "number",
  total_charges_per_customer_daily: "number",
  card_count_for_customer_daily: "number",
} as const satisfies Record<string, "number" | "string" | "boolean">;

/** An attribute name (without its colons). */
export type RuleAttribute = keyof typeof RULE_ATTRIBUTES;

/** A literal value in a predicate. */
export type RuleValue = string | number | boolean;

/** The facts of one authorization a predicate is evaluated against; null or absent is missing. */
export type RuleFacts = { [A in RuleAttribute]?: RuleValue | null };

/** A comparison operator. */
export type CompareOp = "=" | "!=" | "<" | ">" | "<=" | ">=";

/** One side of a comparison. */
export type Operand = { kind: "attribute"; name: RuleAttribute } | { kind: "literal"; value: RuleValue };

/** A parsed predicate. */
export type Predicate =
  | { kind: "and" | "or"; left: Predicate; right: Predicate }
  | { kind: "not"; operand: Predicate }
  | { kind: "compare"; op: CompareOp; left: Operand; right: Operand }
  | { kind: "in"; attribute: RuleAttribute; negated: boolean; set: { list: string } | { values: RuleValue[] } }
  | { kind: "missing"; attribute: RuleAttribute };

/** Why a predicate did not parse: a message, the offending token's text and its offset. */
export interface RuleSyntaxError {
  message: string;
  token: string;
  position: number;
}

/** Longest predicate accepted, in characters. */
export const MAX_PREDICATE_LENGTH = 1000;
/** Deepest nesting of parentheses and `not` accepted. */
const MAX_DEPTH = 20;

type Token =
  | { t: "attr"; v: string; at: number; text: string }
  | { t: "list"; v: string; at: number; text: string }
  | { t: "str"; v: string; at: number; text: string }
  | { t: "num"; v: number; at: number; text: string }
  | { t: "word"; v: string; at: number; text: string }
  | { t: "op"; v: CompareOp; at: number; text: string }
  | { t: "punct"; v: "(" | ")" | ","; at: number; text: string }
  | { t: "end"; at: number; text: string };

class SyntaxFailure extends Error {
  constructor(readonly detail: RuleSyntaxError) {
    super(detail.message);
  }
}

function fail(message: string, token: { at: number; text: string }): never {
  throw new SyntaxFailure({ message, token: token.text.slice(0, 40), position: token.at });
}

const WORD = /^[A-Za-z_][A-Za-z0-9_]*/;
const NAME = /^[a-z][a-z0-9_]{0,63}$/;

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i] as string;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const rest = src.slice(i);
    if (ch === ":") {
      const end = src.indexOf(":", i + 1);
      const name = end < 0 ? "" : src.slice(i + 1, end);
      if (end < 0 || !NAME.test(name)) fail("An attribute is written :name:, in lowercase.", { at: i, text: rest });
      out.push({ t: "attr", v: name, at: i, text: src.slice(i, end + 1) });
      i = end + 1;
    } else if (ch === "@") {
      const m = /^@([a-z0-9_]{1,64})/.exec(rest);
      if (!m) fail("A list is written @alias, in lowercase.", { at: i, text: rest });
      out.push({ t: "list", v: m[1] as string, at: i, text: m[0] });
      i += m[0].length;
    } else if (ch === "'" || ch === '"') {
      const end = src.indexOf(ch, i + 1);
      if (end < 0) fail("This string is not closed.", { at: i, text: rest });
      out.push({ t: "str", v: src.slice(i + 1, end), at: i, text: src.slice(i, end + 1) });
      i = end + 1;
    } else if (/[0-9-]/.test(ch)) {
      const m = /^-?[0-9]{1,15}(?![0-9A-Za-z_.])/.exec(rest);
      if (!m) fail("Numbers are whole numbers (amounts in the currency's minor unit).", { at: i, text: rest });
      out.push({ t: "num", v: Number(m[0]), at: i, text: m[0] });
      i += m[0].length;
    } else if (/^(<=|>=|!=|=|<|>)/.test(rest)) {
      const op = (/^(<=|>=|!=|=|<|>)/.exec(rest) as RegExpExecArray)[0] as CompareOp;
      out.push({ t: "op", v: op, at: i, text: op });
      i += op.length;
    } else if (ch === "(" || ch === ")" || ch === ",") {
      out.push({ t: "punct", v: ch, at: i, text: ch });
      i++;
    } else {
      const m = WORD.exec(rest);
      if (!m) fail("Unexpected character.", { at: i, text: ch });
      out.push({ t: "word", v: m[0].toLowerCase(), at: i, text: m[0] });
      i += m[0].length;
    }
  }
  out.push({ t: "end", at: src.length, text: "" });
  return out;
}

function attributeOf(tok: Token): RuleAttribute {
  if (tok.t !== "attr") fail("Expected an attribute such as :risk_level:.", tok);
  if (!Object.hasOwn(RULE_ATTRIBUTES, tok.v)) fail(`Unknown attribute ${tok.text}.`, tok);
  return tok.v as RuleAttribute;
}

function typeOf(o: Operand): "number" | "string" | "boolean" {
  if (o.kind === "attribute") return RULE_ATTRIBUTES[o.name];
  return typeof o.value as "number" | "string" | "boolean";
}

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.i] as Token;
  }
  private next(): Token {
    return this.tokens[this.i++] as Token;
  }
  private isWord(w: string): boolean {
    const tok = this.peek();
    return tok.t === "word" && tok.v === w;
  }
  private expectPunct(p: "(" | ")"): void {
    const tok = this.next();
    if (tok.t !== "punct" || tok.v !== p) fail(`Expected "${p}".`, tok);
  }

  parse(): Predicate {
    const expr = this.or(0);
    const tok = this.peek();
    if (tok.t !== "end") fail("Expected and, or, or the end of the rule.", tok);
    return expr;
  }

  private or(depth: number): Predicate {
    let left = this.and(depth);
    while (this.isWord("or")) {
      this.next();
      left = { kind: "or", left, right: this.and(depth) };
    }
    return left;
  }

  private and(depth: number): Predicate {
    let left = this.unary(depth);
    while (this.isWord("and")) {
      this.next();
      left = { kind: "and", left, right: this.unary(depth) };
    }
    return left;
  }

  private unary(depth: number): Predicate {
    const tok = this.peek();
    if (depth > MAX_DEPTH) fail("The rule nests too deeply.", tok);
    if (this.isWord("not")) {
      this.next();
      return { kind: "not", operand: this.unary(depth + 1) };
    }
    if (tok.t === "punct" && tok.v === "(") {
      this.next();
      const inner = this.or(depth + 1);
      this.expectPunct(")");
      return inner;
    }
    if (this.isWord("is_missing")) {
      this.next();
      this.expectPunct("(");
      const attribute = attributeOf(this.next());
      this.expectPunct(")");
      return { kind: "missing", attribute };
    }
    return this.condition();
  }

  private operand(): Operand {
    const tok = this.next();
    switch (tok.t) {
      case "attr":
        return { kind: "attribute", name: attributeOf(tok) };
      case "str":
        return { kind: "literal", value: tok.v };
      case "num":
        return { kind: "literal", value: tok.v };
      case "word":
        if (tok.v === "true" || tok.v === "false") return { kind: "literal", value: tok.v === "true" };
        return fail(`Unexpected word "${tok.text}": quote strings, e.g. 'US'.`, tok);
      default:
        return fail("Expected an attribute or a value.", tok);
    }
  }

  private condition(): Predicate {
    const startTok = this.peek();
    const left = this.operand();
    const negated = this.isWord("not");
    if (negated) this.next();
    if (this.isWord("in")) {
      if (left.kind !== "attribute") fail("Only an attribute can be looked up in a list.", startTok);
      this.next();
      return { kind: "in", attribute: left.name, negated, set: this.set(left) };
    }
    if (negated) fail('Expected "in" after "not".', this.peek());
    const opTok = this.next();
    if (opTok.t !== "op") fail("Expected a comparison (= != < > <= >=) or in.", opTok);
    const rightTok = this.peek();
    const right = this.operand();
    if (left.kind === "literal" && right.kind === "literal") fail("A comparison needs an attribute.", startTok);
    const [lt, rt] = [typeOf(left), typeOf(right)];
    if (lt !== rt) fail(`Cannot compare a ${lt} with a ${rt}.`, rightTok);
    if (lt !== "number" && opTok.v !== "=" && opTok.v !== "!=") fail(`${opTok.v} compares numbers only.`, opTok);
    return { kind: "compare", op: opTok.v, left, right };
  }

  private set(of: Extract<Operand, { kind: "attribute" }>): { list: string } | { values: RuleValue[] } {
    const tok = this.next();
    if (tok.t === "list") return { list: tok.v };
    if (tok.t !== "punct" || tok.v !== "(") fail("Expected @list or a list of values in parentheses.", tok);
    const values: RuleValue[] = [];
    for (;;) {
      const at = this.peek();
      const value = this.operand();
      if (value.kind !== "literal") fail("A list in parentheses holds values, not attributes.", at);
      if (typeOf(value) !== RULE_ATTRIBUTES[of.name]) fail(`:${of.name}: is a ${RULE_ATTRIBUTES[of.name]}.`, at);
      values.push(value.value);
      const sep = this.next();
      if (sep.t === "punct" && sep.v === ")") return { values };
      if (sep.t !== "punct" || sep.v !== ",") fail('Expected "," or ")".', sep);
    }
  }
}

/** Parses a predicate, or says where it is wrong. */
export function parsePredicate(
  source: string,
): { ok: true; predicate: Predicate } | { ok: false; error: RuleSyntaxError } {
  try {
    if (source.length > MAX_PREDICATE_LENGTH) {
      fail(`A rule is at most ${MAX_PREDICATE_LENGTH} characters.`, { at: MAX_PREDICATE_LENGTH, text: "" });
    }
    if (source.trim() === "") fail("The rule is empty.", { at: 0, text: "" });
    return { ok: true, predicate: new Parser(tokenize(source)).parse() };
  } catch (err) {
    if (err instanceof SyntaxFailure) return { ok: false, error: err.detail };
    throw err;
  }
}

/** A list a predicate looks an attribute's value up in. */
export interface ListRef {
  attribute: RuleAttribute;
  list: string;
}

/** Every (attribute, list) lookup of a predicate, each once: to check the lists and fetch their hits. */
export function listRefs(p: Predicate): ListRef[] {
  const out: ListRef[] = [];
  const walk = (n: Predicate): void => {
    switch (n.kind) {
      case "and":
      case "or":
        walk(n.left);
        walk(n.right);
        return;
      case "not":
        walk(n.operand);
        return;
      case "in":
        if (
          "list" in n.set &&
          !out.some((r) => r.attribute === n.attribute && r.list === (n.set as { list: string }).list)
        ) {
          out.push({ attribute: n.attribute, list: n.set.list });
        }
        return;
      case "compare":
      case "missing":
        return;
    }
  };
  walk(p);
  return out;
}

/** Is `value` in the list `alias`? (Lists are looked up by the caller, already fetched.) */
export type ListLookup = (alias: string, value: RuleValue) => boolean;

function operandValue(o: Operand, facts: RuleFacts): RuleValue | null {
  return o.kind === "literal" ? o.value : (facts[o.name] ?? null);
}

function compare(op: CompareOp, a: RuleValue, b: RuleValue): boolean {
  switch (op) {
    case "=":
      return a === b;
    case "!=":
      return a !== b;
    case "<":
      return a < b;
    case ">":
      return a > b;
    case "<=":
      return a <= b;
    case ">=":
      return a >= b;
  }
}

/** Evaluates a parsed predicate against the facts; a comparison with a missing fact is false. */
export function evaluate(p: Predicate, facts: RuleFacts, inList: ListLookup): boolean {
  switch (p.kind) {
    case "and":
      return evaluate(p.left, facts, inList) && evaluate(p.right, facts, inList);
    case "or":
      return evaluate(p.left, facts, inList) || evaluate(p.right, facts, inList);
    case "not":
      return !evaluate(p.operand, facts, inList);
    case "missing":
      return (facts[p.attribute] ?? null) === null;
    case "compare": {
      const [a, b] = [operandValue(p.left, facts), operandValue(p.right, facts)];
      return a !== null && b !== null && compare(p.op, a, b);
    }
    case "in": {
      const value = facts[p.attribute] ?? null;
      if (value === null) return false;
      const found = "list" in p.set ? inList(p.set.list, value) : p.set.values.includes(value);
      return found !== p.negated;
    }
  }
}

/** A merchant's rule, parsed. */
export interface ParsedRule {
  id: string;
  action: RuleAction;
  predicate: Predicate;
}

/** The first rule that fires, taking actions in RULE_ACTION_ORDER and rules in their given order. */
export function firstFiring(rules: readonly ParsedRule[], facts: RuleFacts, inList: ListLookup): ParsedRule | null {
  for (const action of RULE_ACTION_ORDER) {
    for (const rule of rules) {
      if (rule.action === action && evaluate(rule.predicate, facts, inList)) return rule;
    }
  }
  return null;
}
