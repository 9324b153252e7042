// Whether two label selectors may select the same pod (docs/behaviour.md §4.4), with
// OpenKruise's conservative rule (pkg/util/selector.go): the selectors are
// disjoint only when one of them, read as "allowed values per key", rules out
// everything the other requires. Anything it cannot prove disjoint overlaps —
// `a=h` and `b=i` overlap, since a pod may carry both labels.
import type { LabelSelector } from "../kube-types.js";

interface Allowed {
  /** `Exists` on the key: every value is allowed. */
  any: boolean;
  values: Set<string>;
}

export function selectorsOverlap(a: LabelSelector | undefined | null, b: LabelSelector | undefined | null): boolean {
  return !(disjoint(a ?? {}, b ?? {}) || disjoint(b ?? {}, a ?? {}));
}

/** A's allowed values per key: matchLabels and In values; Exists makes a wildcard. NotIn/DoesNotExist add nothing. */
function allowedValues(sel: LabelSelector): Map<string, Allowed> {
  const allowed = new Map<string, Allowed>();
  const entry = (key: string): Allowed => {
    let e = allowed.get(key);
    if (!e) {
      e = { any: false, values: new Set() };
      allowed.set(key, e);
    }
    return e;
  };
  for (const [key, value] of Object.entries(sel.matchLabels ?? {})) entry(key).values.add(value);
  for (const req of sel.matchExpressions ?? []) {
    if (!req) continue;
    // An In without values constrains nothing here (it would select nothing, which validation rejects).
    if (req.operator === "In") for (const v of req.values ?? []) entry(req.key).values.add(v);
    else if (req.operator === "Exists") entry(req.key).any = true;
  }
  return allowed;
}

/** True when B requires something A's allowed values rule out. */
function disjoint(a: LabelSelector, b: LabelSelector): boolean {
  const allowed = allowedValues(a);
  for (const [key, value] of Object.entries(b.matchLabels ?? {})) {
    const e = allowed.get(key);
    if (e && !e.any && !e.values.has(value)) return true;
  }
  for (const req of b.matchExpressions ?? []) {
    if (!req) continue;
    const e = allowed.get(req.key);
    const values = req.values ?? [];
    switch (req.operator) {
      case "In":
        if (e && !e.any && !values.some((v) => e.values.has(v))) return true;
        break;
      case "NotIn":
        if (e && !e.any && [...e.values].every((v) => values.includes(v))) return true;
        break;
      case "Exists":
        if (!e) return true;
        break;
      case "DoesNotExist":
        if (e) return true;
        break;
    }
  }
  return false;
}
