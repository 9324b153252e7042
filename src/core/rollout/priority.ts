// priorityStrategy (docs/behaviour.md §6.7 step 2): a stable sort on top of the default
// order, by summed weight or by the first ordered label key a pod carries.
import type { UpdatePriorityStrategy } from "../../api/types.js";
import { compileRequirements, parseSelector, type Labels } from "../selector.js";

/**
 * A pod's priority as two numbers compared in turn; smaller sorts first.
 * Weight: (−weight, 0). Order: (key index, −trailing integer); a pod without
 * any ordered key has index −1 and so goes first.
 */
export interface PriorityKey {
  primary: number;
  /** For order priority, the trailing integer as a digit string without leading zeros ("" = 0). */
  trailing: string;
}

export type PriorityScorer = (labels: Labels) => PriorityKey;

const INT64_MAX = "9223372036854775807";

/**
 * The trailing decimal integer of a label value, as Go's ParseInt would read
 * it: none or an int64 overflow is 0. Kept as a digit string so values beyond
 * 2^53 still compare exactly.
 */
export function trailingInteger(value: string): string {
  let start = value.length;
  while (start > 0) {
    const code = value.charCodeAt(start - 1);
    if (code < 48 || code > 57) break;
    start--;
  }
  let digits = value.slice(start).replace(/^0+/, "");
  if (digits.length > INT64_MAX.length || (digits.length === INT64_MAX.length && digits > INT64_MAX)) digits = "";
  return digits;
}

/** Compares two non-negative digit strings without leading zeros. */
function compareDigits(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Weight priority as a plain sum (null when the strategy has no weights):
 * the planner's form, with no key object per pod.
 */
export function weightSumOf(strategy: UpdatePriorityStrategy | undefined): ((labels: Labels) => number) | null {
  const weights = strategy?.weightPriority ?? [];
  if (weights.length === 0) return null;
  const terms: { weight: number; matches: (labels: Labels) => boolean }[] = [];
  for (const t of weights) {
    // An unparseable term contributes nothing, as OpenKruise skips it.
    const parsed = parseSelector(t.matchSelector);
    if (parsed.ok) terms.push({ weight: Number(t.weight) || 0, matches: compileRequirements(parsed.requirements) });
  }
  return (labels) => {
    let sum = 0;
    for (const t of terms) if (t.matches(labels)) sum += t.weight;
    return sum;
  };
}

/** The key of a summed weight: heavier first. */
export function weightPriorityKey(sum: number): PriorityKey {
  return { primary: -sum, trailing: "" };
}

/** Returns null when the strategy sets neither weights nor order keys. */
export function priorityScorerOf(strategy: UpdatePriorityStrategy | undefined): PriorityScorer | null {
  const weightOf = weightSumOf(strategy);
  if (weightOf) return (labels) => weightPriorityKey(weightOf(labels));
  const ordered = strategy?.orderPriority ?? [];
  if (ordered.length > 0) {
    const keys = ordered.map((o) => o.orderedKey);
    return (labels) => {
      const l = labels ?? {};
      for (let i = 0; i < keys.length; i++) {
        const v = l[keys[i]!];
        // Only an own label is a string; `constructor` and the like are inherited functions.
        if (typeof v === "string") return { primary: i, trailing: trailingInteger(v) };
      }
      return { primary: -1, trailing: "" };
    };
  }
  return null;
}

/** Larger trailing integer first. */
export function compareDigitsDescending(a: string, b: string): number {
  return compareDigits(b, a);
}

/** Negative when `a` is upgraded before `b`. */
export function comparePriority(a: PriorityKey, b: PriorityKey): number {
  return a.primary - b.primary || compareDigitsDescending(a.trailing, b.trailing);
}
