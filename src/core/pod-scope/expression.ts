// The pod webhook's scope as one CEL expression (docs/behaviour.md §7a.2): true
// for every pod some SidecarSet could inject into, so the API server skips the
// webhook for all other pods. The expression may take in more pods than the
// webhook would change (that only costs a call), never fewer: a pod it leaves
// out would be created without its sidecars. Only CREATE is registered, so
// no update of an existing pod ever needs the webhook.
import { NAMESPACE_NAME_LABEL } from "../../api/conversion.js";
import type { SidecarSet } from "../../api/types.js";
import { isEmptySelector, parseSelector, type Requirement } from "../selector.js";
import { celStringLiteral } from "./cel-literal.js";
import { groupTerms, labelValueTerm } from "./label-groups.js";

/** Longer expressions are not written: the webhook is then called for every pod. */
export const MAX_SCOPE_EXPRESSION_LENGTH = 16_000;
/**
 * Nor expressions of more terms (as written, one label's values in one): the API server evaluates them for every
 * pod created, and what that costs grows with the terms, not with the length of a list of values
 * (docs/self-scoping-webhook.md: 40 terms add about 0.3 ms to a pod creation, 200 about 1.1 ms).
 */
export const MAX_SCOPE_TERMS = 40;

/** The expression when no SidecarSet could inject into any pod. */
export const NO_POD = "false";

const LABELS = "object.metadata.labels";
/** The labels map may be absent; reading from it then fails, which would fail the whole request. */
const HAS_LABELS = `has(${LABELS})`;

export type PodScope =
  /**
   * `terms`: one per distinct SidecarSet scope (a selector of one label's values gives one per value), sorted;
   * `expression` is their OR, those of one label's values written as one (label-groups.ts).
   */
  | { kind: "selected"; terms: string[]; expression: string }
  | { kind: "every-pod"; cause: EveryPodCause; reason: string };

/**
 * Why the webhook is called for every pod. Fall-backs: the SidecarSets cannot
 * be written as an expression, it would be too long, or the API server
 * refused it. Normal steps: a scope that covered every pod is still in its
 * grace period.
 */
export type EveryPodCause = "cannot-express" | "too-long" | "rejected" | "grace";

/** Whether calling the webhook for every pod is a fall-back (worth a warning) rather than a normal step. */
export function isFallback(cause: EveryPodCause): boolean {
  return cause !== "grace";
}

/** The scope that sends every pod to the webhook, and why. */
export function everyPod(cause: EveryPodCause, reason: string): PodScope {
  return { kind: "every-pod", cause, reason };
}

/** A scope from terms, or "every pod" when the expression would be too long. */
export function scopeOfTerms(terms: Iterable<string>): PodScope {
  const sorted = [...new Set(terms)].sort();
  const written = groupTerms(sorted);
  if (written.length > MAX_SCOPE_TERMS) {
    return everyPod("too-long", `the expression would have ${written.length} terms, more than ${MAX_SCOPE_TERMS}`);
  }
  const expression = written.length === 0 ? NO_POD : written.join(" || ");
  if (expression.length > MAX_SCOPE_EXPRESSION_LENGTH) {
    return everyPod("too-long", `the expression would be ${expression.length} characters, more than ${MAX_SCOPE_EXPRESSION_LENGTH}`);
  }
  return { kind: "selected", terms: sorted, expression };
}

type Terms = { ok: true; terms: string[] } | { ok: false; reason: string };

/**
 * The pods the pod webhook must see for these SidecarSets (all of them, as
 * cached). Injection-paused SidecarSets and empty selectors inject into no
 * pod and add nothing; a `namespaceSelector` is evaluated only where it names
 * namespaces (the request carries no namespace labels), the rest is left out,
 * which only widens.
 */
export function podScope(sidecarSets: readonly SidecarSet[]): PodScope {
  const terms: string[] = [];
  for (const set of sidecarSets) {
    const t = termsOf(set);
    if (!t.ok) return everyPod("cannot-express", `sidecarset "${set.metadata?.name ?? ""}": ${t.reason}`);
    terms.push(...t.terms);
  }
  return scopeOfTerms(terms);
}

function termsOf(set: SidecarSet): Terms {
  const spec = set.spec ?? {};
  if (spec.injectionStrategy?.paused) return { ok: true, terms: [] };
  // An unreadable namespaceSelector makes the webhook refuse every pod of the
  // SidecarSet's namespaces, selected or not: only "every pod" lets it do so.
  const namespaceSelector = spec.namespaceSelector ? parseSelector(spec.namespaceSelector) : undefined;
  if (namespaceSelector && !namespaceSelector.ok) return { ok: false, reason: "spec.namespaceSelector cannot be evaluated" };
  if (isEmptySelector(spec.selector)) return { ok: true, terms: [] };
  const parsed = parseSelector(spec.selector);
  if (!parsed.ok) return { ok: false, reason: `spec.selector cannot be evaluated: ${parsed.error}` };

  const parts: string[] = [];
  if (spec.namespace) {
    const ns = celStringLiteral(spec.namespace);
    if (ns === undefined) return { ok: false, reason: "spec.namespace is not valid Unicode" };
    parts.push(`request.namespace == ${ns}`);
  }
  for (const r of namespaceSelector?.ok ? namespaceSelector.requirements : []) {
    const c = namespaceNameCondition(r);
    if (c === null) return { ok: false, reason: "spec.namespaceSelector: a namespace name is not valid Unicode" };
    if (c !== undefined) parts.push(c);
  }
  const only = parsed.requirements.length === 1 ? parsed.requirements[0]! : undefined;
  if (only?.operator === "In") {
    // One label's values: a term per value, which label-groups.ts writes together with other SidecarSets' values.
    const key = celStringLiteral(only.key);
    const values = only.values.map(celStringLiteral);
    if (key === undefined || values.some((v) => v === undefined)) return notUnicode(only.key);
    const prefix = parts.map((p) => `${p} && `).join("");
    return { ok: true, terms: values.map((v) => labelValueTerm(prefix, key, v!)) };
  }
  const requirements: string[] = [];
  for (const r of parsed.requirements) {
    const c = requirementCondition(r);
    if (c === undefined) return notUnicode(r.key);
    requirements.push(c);
  }
  // Without labels, In and Exists fail and NotIn and DoesNotExist hold, so the
  // guard on the labels map decides that case without reading from it.
  const needsLabels = parsed.requirements.some((r) => r.operator === "In" || r.operator === "Exists");
  if (needsLabels) parts.push(HAS_LABELS, ...requirements);
  else parts.push(`(!${HAS_LABELS} || (${requirements.join(" && ")}))`);
  return { ok: true, terms: [parts.length === 1 ? parts[0]! : `(${parts.join(" && ")})`] };
}

function notUnicode(key: string): Terms {
  return { ok: false, reason: `spec.selector: a key or value of "${key}" is not valid Unicode` };
}

/**
 * A namespaceSelector requirement the request alone can decide: a namespace's
 * `kubernetes.io/metadata.name` label is its name, so `In` on it (matchLabels
 * included) is a test of the request's namespace. Anything else needs the
 * Namespace's labels and is left out (undefined), which only widens; NotIn is
 * left out too, since a namespace without the label would match it. Null for
 * a name that is not valid Unicode.
 */
function namespaceNameCondition(r: Requirement): string | null | undefined {
  if (r.key !== NAMESPACE_NAME_LABEL || r.operator !== "In") return undefined;
  const names = r.values.map(celStringLiteral);
  if (names.some((n) => n === undefined)) return null;
  return names.length === 1 ? `request.namespace == ${names[0]}` : `request.namespace in [${names.join(", ")}]`;
}

/** One label requirement over the labels map, which is known to be present. */
function requirementCondition(r: Requirement): string | undefined {
  const key = celStringLiteral(r.key);
  if (key === undefined) return undefined;
  const present = `${key} in ${LABELS}`;
  switch (r.operator) {
    case "Exists":
      return present;
    case "DoesNotExist":
      return `!(${present})`;
    case "In":
    case "NotIn": {
      const values = r.values.map(celStringLiteral);
      if (values.some((v) => v === undefined)) return undefined;
      const value = `${LABELS}[${key}]`;
      const test = values.length === 1 ? `${value} == ${values[0]}` : `${value} in [${values.join(", ")}]`;
      // `&&` stops before reading a missing key.
      return r.operator === "In" ? `(${present} && ${test})` : `!(${present} && ${test})`;
    }
  }
}
