// Label-selector matching with Kubernetes semantics. Shape and syntax are
// checked by validation; here a selector is trusted to be well-formed except
// for unknown operators, which make `parseSelector` report an error.
import type { LabelSelector } from "../api/kube-types.js";

export type Labels = Record<string, string> | undefined;

export type Requirement =
  | { key: string; operator: "In" | "NotIn"; values: string[] }
  | { key: string; operator: "Exists" | "DoesNotExist" };

export type ParsedSelector =
  | { ok: true; requirements: Requirement[]; matchesEverything: boolean }
  | { ok: false; error: string };

/** True when the selector has neither matchLabels nor matchExpressions. */
export function isEmptySelector(selector: LabelSelector | undefined | null): boolean {
  if (!selector) return true;
  const labels = selector.matchLabels ?? {};
  const exprs = selector.matchExpressions ?? [];
  return Object.keys(labels).length === 0 && exprs.length === 0;
}

/**
 * Turns a LabelSelector into requirements. An empty selector matches every
 * object (as `metav1.LabelSelectorAsSelector` does); callers that need
 * "empty matches nothing" check `isEmptySelector` first.
 */
export function parseSelector(selector: LabelSelector | undefined | null): ParsedSelector {
  if (!selector) return { ok: true, requirements: [], matchesEverything: true };
  const requirements: Requirement[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    requirements.push({ key, operator: "In", values: [String(value)] });
  }
  for (const expr of selector.matchExpressions ?? []) {
    switch (expr.operator) {
      case "In":
      case "NotIn":
        if (!expr.values || expr.values.length === 0) {
          return { ok: false, error: `${expr.operator} on "${expr.key}" needs at least one value` };
        }
        requirements.push({ key: expr.key, operator: expr.operator, values: [...expr.values] });
        break;
      case "Exists":
      case "DoesNotExist":
        if (expr.values && expr.values.length > 0) {
          return { ok: false, error: `${expr.operator} on "${expr.key}" takes no values` };
        }
        requirements.push({ key: expr.key, operator: expr.operator });
        break;
      default:
        return { ok: false, error: `"${String(expr.operator)}" is not a valid operator; use In, NotIn, Exists or DoesNotExist` };
    }
  }
  return { ok: true, requirements, matchesEverything: requirements.length === 0 };
}

function requirementMatches(req: Requirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, req.key);
  switch (req.operator) {
    case "In":
      return has && req.values.includes(labels[req.key] as string);
    case "NotIn":
      return !has || !req.values.includes(labels[req.key] as string);
    case "Exists":
      return has;
    case "DoesNotExist":
      return !has;
  }
}

/** Matches labels against already-parsed requirements (the hot path). */
export function requirementsMatch(requirements: readonly Requirement[], labels: Labels): boolean {
  return firstUnmetRequirement(requirements, labels) === undefined;
}

/**
 * The first requirement the labels do not satisfy, or undefined when they
 * satisfy all: the match decision together with its reason, for callers that
 * say why an object was not selected.
 */
export function firstUnmetRequirement(requirements: readonly Requirement[], labels: Labels): Requirement | undefined {
  const l = labels ?? {};
  for (const req of requirements) if (!requirementMatches(req, l)) return req;
  return undefined;
}

/**
 * The selector in the API's query syntax (`app=web,tier in (a,b),!canary`),
 * for a `labelSelector` list parameter. Undefined for an absent or empty
 * selector, which selects everything.
 */
export function labelSelectorQuery(selector: LabelSelector | undefined | null): string | undefined {
  const parsed = parseSelector(selector);
  if (!parsed.ok || parsed.matchesEverything) return undefined;
  return parsed.requirements.map(requirementQuery).join(",");
}

/** One requirement in the API's query syntax: `app=web`, `tier in (a,b)`, `canary`, `!canary`. */
export function requirementQuery(req: Requirement): string {
  switch (req.operator) {
    case "In":
      return req.values.length === 1 ? `${req.key}=${req.values[0]}` : `${req.key} in (${req.values.join(",")})`;
    case "NotIn":
      return `${req.key} notin (${req.values.join(",")})`;
    case "Exists":
      return req.key;
    case "DoesNotExist":
      return `!${req.key}`;
  }
}

/**
 * `requirementsMatch` bound to its requirements. The common selector, one
 * matchLabels pair, becomes a single property comparison: the planner runs
 * these over every pod.
 */
export function compileRequirements(requirements: readonly Requirement[]): (labels: Labels) => boolean {
  if (requirements.length === 0) return () => true;
  const only = requirements.length === 1 ? requirements[0]! : undefined;
  if (only?.operator === "In" && only.values.length === 1) {
    const { key } = only;
    const value = only.values[0]!;
    // A string value can only come from an own label: inherited properties are never strings.
    return (labels) => labels?.[key] === value && Object.prototype.hasOwnProperty.call(labels, key);
  }
  return (labels) => requirementsMatch(requirements, labels);
}

/**
 * Whether `labels` satisfy `selector`. An empty or absent selector matches
 * everything; a selector with an invalid operator matches nothing.
 */
export function selectorMatches(selector: LabelSelector | undefined | null, labels: Labels): boolean {
  const parsed = parseSelector(selector);
  if (!parsed.ok) return false;
  return requirementsMatch(parsed.requirements, labels);
}
