/**
 * The fraud verdict of one authorization, pure: the risk assessment and the merchant's rules
 * (defaults included) decide whether the payment is sent to the processor, held for review, or
 * blocked, and what Stripe's `outcome` on its charge says about it.
 */
import { firstFiring, type ListLookup, type ParsedRule, type RuleFacts } from "./radar-rules";
import type { Contribution, RiskAssessment, RiskLevel } from "./risk";

/** What happens to the payment. */
export type FraudAction = "authorize" | "review" | "block";

/** Why: Stripe's `outcome.reason` for a risk decision. */
export type FraudReason = "highest_risk_level" | "elevated_risk_level" | "rule" | "test_mode_blocked" | null;

/** The verdict, with what it rests on (recorded on the charge so it can be explained). */
export interface FraudVerdict {
  action: FraudAction;
  score: number;
  level: RiskLevel;
  rule: { id: string; action: ParsedRule["action"] } | null;
  reason: FraudReason;
  contributions: Contribution[];
}

/** The ids of the default rules (which give their own reasons, as Radar's do). */
const DEFAULT_REASONS: Readonly<Record<string, FraudReason>> = {
  rule_default_block_highest: "highest_risk_level",
  rule_default_review_elevated: "elevated_risk_level",
};

/**
 * Decides: the first rule that fires (allow → block → review) says what happens; none firing
 * authorizes. `alwaysBlock` (Radar's test card 4100000000000019) blocks whatever the rules say.
 */
export function fraudVerdict(
  risk: RiskAssessment,
  rules: readonly ParsedRule[],
  facts: RuleFacts,
  inList: ListLookup,
  alwaysBlock = false,
): FraudVerdict {
  const base = { score: risk.score, level: risk.level, contributions: risk.contributions };
  if (alwaysBlock) return { ...base, action: "block", rule: null, reason: "test_mode_blocked" };
  const rule = firstFiring(rules, { ...facts, risk_score: risk.score, risk_level: risk.level }, inList);
  if (!rule) return { ...base, action: "authorize", rule: null, reason: null };
  const fired = { id: rule.id, action: rule.action };
  const reason = DEFAULT_REASONS[rule.id] ?? "rule";
  switch (rule.action) {
    case "allow":
      return { ...base, action: "authorize", rule: fired, reason: "rule" };
    case "block":
      return { ...base, action: "block", rule: fired, reason };
    case "review":
      return { ...base, action: "review", rule: fired, reason };
  }
}

/** Stripe's `outcome` fields a verdict sets on the charge (the network ones come from the processor). */
export function verdictOutcome(v: FraudVerdict) {
  const seller = (): string => {
    switch (v.action) {
      case "block":
        return "edgepay blocked this payment as too risky.";
      case "review":
        return "Payment complete, and placed in review.";
      case "authorize":
        return "Payment complete.";
    }
  };
  return {
    type: v.action === "block" ? "blocked" : v.action === "review" ? "manual_review" : "authorized",
    risk_level: v.level,
    risk_score: v.score,
    rule: v.rule,
    reason: v.reason,
    seller_message: seller(),
  };
}

/** What one run of the screen found: a pinned verdict, whether it is a retry, its risk and its fresh verdict. */
export interface ScreenRun {
  /** The verdict the attempt's first run pinned, if it could be read. */
  pinned: FraudVerdict | null;
  /** Whether the attempt was seen before: this run retries an authorization the processor may hold. */
  retry: boolean;
  /** The risk of this run (velocity counts that did not answer count as unavailable). */
  risk: RiskAssessment;
  /** This run's verdict from the rules and lists; null when they could not be read. */
  fresh: FraudVerdict | null;
}

/**
 * The verdict an attempt gets. A pinned verdict stands, whatever else failed. A retry with nothing
 * pinned (the pin lost or pruned, or a first run that failed open) is never blocked, since the
 * processor may already hold its authorization, and is held for review rather than captured. A
 * first run gets its fresh verdict; null when its rules could not be read (the screen fails open).
 */
export function screenVerdict(run: ScreenRun): FraudVerdict | null {
  if (run.pinned) return run.pinned;
  if (!run.retry) return run.fresh;
  if (run.fresh?.action === "review") return run.fresh;
  const { score, level, contributions } = run.fresh ?? run.risk;
  return { score, level, contributions, action: "review", rule: null, reason: null };
}
