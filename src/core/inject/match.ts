// Which SidecarSets apply to a new pod, and why the others do not (docs/behaviour.md §5.2):
// ascending name order; paused ones skipped; namespace, namespaceSelector and
// selector must match; each match resolved to the version to inject (docs/behaviour.md §5.3);
// then bases replaced by matching canaries dropped (docs/behaviour.md §5.4).
import { fieldError, type FieldError } from "../../api/errors.js";
import type { ControllerRevision, Pod } from "../../api/kube-types.js";
import type { SidecarSet } from "../../api/types.js";
import { isEmptySelector, requirementsMatch } from "../selector.js";
import { dropCanaryBases } from "./canary.js";
import { chooseInjectedVersion } from "./revision.js";
import { cachedSelector } from "./selector-cache.js";

export type SkipReason =
  | "injection-paused"
  | "namespace-mismatch"
  | "namespace-selector-mismatch"
  | "namespace-unreadable"
  | "selector-empty"
  | "selector-mismatch"
  | "replaced-by-canary";

export interface SkippedSidecarSet {
  name: string;
  reason: SkipReason;
  /** For `replaced-by-canary`: the canary's name. */
  detail?: string;
}

export interface MatchResult {
  /** The versions to inject (a pinned revision restored where docs/behaviour.md §5.3 says so), by ascending name. */
  applied: SidecarSet[];
  skipped: SkippedSidecarSet[];
  /** SidecarSet name → ControllerRevision name, for those injected from a pinned revision. */
  pinned: Record<string, string>;
}

export interface MatchContext {
  /** The pod's effective namespace (pod namespace, else request namespace, else `default`). */
  namespace: string;
  /** Labels of a Namespace; undefined when it cannot be read. */
  namespaceLabels: (ns: string) => Readonly<Record<string, string>> | undefined;
  revisions: readonly ControllerRevision[];
  random: () => number;
}

/** A SidecarSet whose configuration stops the pod from being admitted. */
export interface MatchDenial {
  sidecarSet: string;
  error: FieldError;
}

export type MatchOutcome = { ok: true; result: MatchResult } | { ok: false; denial: MatchDenial };

type ScopeVerdict = { match: true } | { match: false; reason: SkipReason } | { error: FieldError };

/** Whether S's namespace scope and selector take in the pod (docs/behaviour.md §5.2 step 3). */
export function podInScope(
  set: SidecarSet,
  pod: Pod,
  namespace: string,
  namespaceLabels: (ns: string) => Readonly<Record<string, string>> | undefined,
): ScopeVerdict {
  const spec = set.spec;
  if (spec.namespace && spec.namespace !== namespace) return { match: false, reason: "namespace-mismatch" };
  if (spec.namespaceSelector) {
    const nsSelector = cachedSelector(spec.namespaceSelector);
    if (!nsSelector.ok) return { error: fieldError("spec.namespaceSelector", nsSelector.error) };
    const labels = namespaceLabels(namespace);
    if (labels === undefined) return { match: false, reason: "namespace-unreadable" };
    if (!requirementsMatch(nsSelector.requirements, labels)) return { match: false, reason: "namespace-selector-mismatch" };
  }
  if (isEmptySelector(spec.selector)) return { match: false, reason: "selector-empty" };
  const selector = cachedSelector(spec.selector!);
  if (!selector.ok) return { error: fieldError("spec.selector", selector.error) };
  if (!requirementsMatch(selector.requirements, pod.metadata?.labels)) return { match: false, reason: "selector-mismatch" };
  return { match: true };
}

function byName(a: SidecarSet, b: SidecarSet): number {
  const x = a.metadata.name ?? "";
  const y = b.metadata.name ?? "";
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Ascending by name; a list already in that order (a sorted cache) is used as is. */
function sortedByName(all: readonly SidecarSet[]): readonly SidecarSet[] {
  for (let i = 1; i < all.length; i++) if (byName(all[i - 1]!, all[i]!) > 0) return [...all].sort(byName);
  return all;
}

export function matchSidecarSets(pod: Pod, all: readonly SidecarSet[], ctx: MatchContext): MatchOutcome {
  // One pod has one namespace: read its labels at most once.
  let labelsRead = false;
  let labels: Readonly<Record<string, string>> | undefined;
  const namespaceLabels = (ns: string) => {
    if (!labelsRead) {
      labels = ctx.namespaceLabels(ns);
      labelsRead = true;
    }
    return labels;
  };

  const skipped: SkippedSidecarSet[] = [];
  const chosen: SidecarSet[] = [];
  const pinned: Record<string, string> = {};
  for (const set of sortedByName(all)) {
    const name = set.metadata.name ?? "";
    if (set.spec.injectionStrategy?.paused) {
      skipped.push({ name, reason: "injection-paused" });
      continue;
    }
    const verdict = podInScope(set, pod, ctx.namespace, namespaceLabels);
    if ("error" in verdict) return { ok: false, denial: { sidecarSet: name, error: verdict.error } };
    if (!verdict.match) {
      skipped.push({ name, reason: verdict.reason });
      continue;
    }
    const version = chooseInjectedVersion(set, pod, ctx.revisions, ctx.random);
    if (!version.ok) return { ok: false, denial: { sidecarSet: name, error: version.error } };
    if (version.pinnedRevision !== undefined) pinned[name] = version.pinnedRevision;
    chosen.push(version.set);
  }

  const { kept, replaced } = dropCanaryBases(chosen);
  for (const r of replaced) {
    skipped.push({ name: r.name, reason: "replaced-by-canary", detail: r.by });
    delete pinned[r.name];
  }
  return { ok: true, result: { applied: kept, skipped, pinned } };
}
