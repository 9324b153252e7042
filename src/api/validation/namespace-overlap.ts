// Whether two SidecarSets may select pods of the same namespace (docs/behaviour.md §4.4).
// Symmetric: a namespace name is tested against the other side's
// namespaceSelector whichever side sets which.
import { selectorMatches } from "../../core/selector.js";
import type { LabelSelector } from "../kube-types.js";
import type { SidecarSetSpec } from "../types.js";
import { selectorsOverlap } from "./selector-overlap.js";

/** Labels of a Namespace by name; undefined when it does not exist. */
export type NamespaceLabels = (name: string) => Record<string, string> | undefined;

export function namespacesOverlap(
  a: SidecarSetSpec | undefined,
  b: SidecarSetSpec | undefined,
  namespaceLabels: NamespaceLabels,
): boolean {
  const nsA = a?.namespace;
  const nsB = b?.namespace;
  const selA = a?.namespaceSelector;
  const selB = b?.namespaceSelector;
  if (nsA && nsB && nsA !== nsB) return false;
  if (selA && selB && !selectorsOverlap(selA, selB)) return false;
  if (nsA && selB && !namespaceMatches(nsA, selB, namespaceLabels)) return false;
  if (nsB && selA && !namespaceMatches(nsB, selA, namespaceLabels)) return false;
  return true;
}

/** A Namespace that does not exist matches no selector. */
function namespaceMatches(name: string, selector: LabelSelector, namespaceLabels: NamespaceLabels): boolean {
  const labels = namespaceLabels(name);
  return labels !== undefined && selectorMatches(selector, labels);
}
