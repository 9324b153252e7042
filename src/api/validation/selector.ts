// Label-selector syntax (docs/behaviour.md §4.2 #7, #9, #12, #14): keys are qualified
// names, values are label values, In/NotIn need values and Exists/DoesNotExist
// take none. Selectors of a SidecarSet must also not be empty.
import type { LabelSelector } from "../kube-types.js";
import type { Findings } from "./findings.js";
import { childPath, indexPath, keyPath } from "./paths.js";
import { checkLabelValue, checkQualifiedName } from "./syntax.js";

export interface SelectorCheck {
  /** What an empty selector would select, for the message; undefined = an empty selector is allowed. */
  emptyWouldSelect?: string;
}

export function isEmptyLabelSelector(sel: LabelSelector): boolean {
  return Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0;
}

export function validateLabelSelector(
  sel: LabelSelector | undefined,
  path: string,
  f: Findings,
  opts: SelectorCheck = {},
): void {
  if (!sel) return;
  if (opts.emptyWouldSelect !== undefined && isEmptyLabelSelector(sel) && !f.hasShapeErrorWithin(path)) {
    f.error(
      path,
      `must not be empty; set matchLabels or matchExpressions (an empty selector would select ${opts.emptyWouldSelect})`,
    );
  }
  const labelsPath = childPath(path, "matchLabels");
  for (const [key, value] of Object.entries(sel.matchLabels ?? {})) {
    const badKey = checkQualifiedName(key, "label key");
    if (badKey) f.error(keyPath(labelsPath, key), badKey);
    const badValue = checkLabelValue(value);
    if (badValue) f.error(keyPath(labelsPath, key), badValue);
  }
  const exprsPath = childPath(path, "matchExpressions");
  (sel.matchExpressions ?? []).forEach((req, i) => {
    if (!req) return;
    const p = indexPath(exprsPath, i);
    const key = req.key ?? "";
    const badKey = key === "" ? "must not be empty; name the label to test" : checkQualifiedName(key, "label key");
    if (badKey) f.error(childPath(p, "key"), badKey);
    const values = req.values ?? [];
    switch (req.operator) {
      case "In":
      case "NotIn":
        if (values.length === 0) {
          f.error(childPath(p, "values"), `must list at least one value when operator is ${req.operator}`);
        }
        break;
      case "Exists":
      case "DoesNotExist":
        if (values.length > 0) {
          f.error(
            childPath(p, "values"),
            `must be empty when operator is ${req.operator}; got ${values.length} value(s)`,
          );
        }
        break;
      default:
        if (!req.operator) {
          f.error(childPath(p, "operator"), "must be set; use In, NotIn, Exists or DoesNotExist");
        }
    }
    values.forEach((v, j) => {
      if (typeof v !== "string") return;
      const bad = checkLabelValue(v);
      if (bad) f.error(indexPath(childPath(p, "values"), j), bad);
    });
  });
}
