// Which SidecarSets apply to a new pod, and why the others do not (docs/behaviour.md §5.2):
// ascending name order; paused ones skipped; namespace, namespaceSelector and
// selector must match; each match resolved to the version to inject (docs/behaviour.md §5.3);
// then bases replaced by matching canaries dropped (docs/behaviour.md §5.4).
import { fieldError, type FieldError } from "../../api/errors.js";
import type { ControllerRevision, Pod } from "../../api/kube-types.js";
import type { SidecarSet } from "../../api/types.js";
import { firstUnmetRequirement, isEmptySelector, type Requirement } from "../selector.js";
import { dropCanaryBases } from "./canary.js";
import { chooseInjectedVersion } from "./revision.js";
import type { SelectionIndex } from "./selection-index.js";
import { cachedSelector } from "./selector-cache.js";

export type SkipReason =
  | "injection-paused"
  | "namespace-mismatch"
  | "namespace-selector-mismatch"
  | "namespace-unreadable"
  | "selector-empty"
  | "selector-mismatch"
  | "replaced-by-canary";

/** The requirement of a selector that failed, and the label value it was checked against (undefined: no such label). */
export interface UnmetRequirement {
  requirement: Requirement;
  value: string | undefined;
}

export interface SkippedSidecarSet {
  name: string;
  reason: SkipReason;
  /** For `replaced-by-canary`: the canary's name; for `namespace-mismatch`: the SidecarSet's namespace. */
  detail?: string;
  /** For `selector-mismatch` (pod labels) and `namespace-selector-mismatch` (Namespace labels). */
  unmet?: UnmetRequirement;
}

export interface MatchResult {
  /** The versions to inject (a pinned revision restored where docs/behaviour.md §5.3 says so), by ascending name. */
  applied: SidecarSet[];
  /** Empty when asked for no reasons (MatchContext.skipReasons false). */
  skipped: SkippedSidecarSet[];
  /** SidecarSet name → ControllerRevision name, for those injected from a pinned revision. */
  pinned: Record<string, string>;
  /** SidecarSet name → probability of its pinned revision, for those where chance chose the version (§5.3). */
  pinChance?: Record<string, number>;
}

export interface MatchContext {
  /** The pod's effective namespace (pod namespace, else request namespace, else `default`). */
  namespace: string;
  /** Labels of a Namespace; undefined when it cannot be read. */
  namespaceLabels: (ns: string) => Readonly<Record<string, string>> | undefined;
  revisions: readonly ControllerRevision[];
  random: () => number;
  /**
   * False: the SidecarSets that do not apply are not listed in `skipped` (the pod webhook answers without
   * them, and a pod would otherwise cost an entry per SidecarSet of the cluster). Default true.
   */
  skipReasons?: boolean;
  /**
   * The index of the list matched against (an informer cache's list, never edited): only the SidecarSets it
   * finds for the pod's labels are tried. Not used when reasons are asked for, which name every SidecarSet.
   */
  index?: SelectionIndex;
}

/** A SidecarSet whose configuration stops the pod from being admitted. */
export interface MatchDenial {
  sidecarSet: string;
  error: FieldError;
}

export type MatchOutcome = { ok: true; result: MatchResult } | { ok: false; denial: MatchDenial };

type ScopeVerdict =
  | { match: true }
  | { match: false; reason: SkipReason; detail?: string; unmet?: UnmetRequirement }
  | { error: FieldError };

function unmetIn(requirement: Requirement, labels: Readonly<Record<string, string>> | null | undefined): UnmetRequirement {
  // A pod as submitted may carry `labels: null`.
  const has = labels !== undefined && labels !== null && Object.prototype.hasOwnProperty.call(labels, requirement.key);
  return { requirement, value: has ? labels[requirement.key] : undefined };
}

const MATCHED: ScopeVerdict = { match: true };
/** The verdict for a mismatch when its reason is not wanted: one object for all. */
const NOT_MATCHED: ScopeVerdict = { match: false, reason: "selector-mismatch" };

/**
 * Whether S's namespace scope and selector take in the pod (docs/behaviour.md §5.2 step 3). With `reasons`
 * false a mismatch carries no detail (one shared verdict).
 */
export function podInScope(
  set: SidecarSet,
  pod: Pod,
  namespace: string,
  namespaceLabels: (ns: string) => Readonly<Record<string, string>> | undefined,
  reasons = true,
): ScopeVerdict {
  const spec = set.spec;
  if (spec.namespace && spec.namespace !== namespace) return reasons ? { match: false, reason: "namespace-mismatch", detail: spec.namespace } : NOT_MATCHED;
  if (spec.namespaceSelector) {
    const nsSelector = cachedSelector(spec.namespaceSelector);
    if (!nsSelector.ok) return { error: fieldError("spec.namespaceSelector", nsSelector.error) };
    const labels = namespaceLabels(namespace);
    if (labels === undefined) return reasons ? { match: false, reason: "namespace-unreadable" } : NOT_MATCHED;
    const unmetByNamespace = firstUnmetRequirement(nsSelector.requirements, labels);
    if (unmetByNamespace) return reasons ? { match: false, reason: "namespace-selector-mismatch", unmet: unmetIn(unmetByNamespace, labels) } : NOT_MATCHED;
  }
  if (isEmptySelector(spec.selector)) return reasons ? { match: false, reason: "selector-empty" } : NOT_MATCHED;
  const selector = cachedSelector(spec.selector!);
  if (!selector.ok) return { error: fieldError("spec.selector", selector.error) };
  const unmetByPod = firstUnmetRequirement(selector.requirements, pod.metadata?.labels);
  if (unmetByPod) return reasons ? { match: false, reason: "selector-mismatch", unmet: unmetIn(unmetByPod, pod.metadata?.labels) } : NOT_MATCHED;
  return MATCHED;
}

/** The order injection visits SidecarSets in: by name, as code points. */
export function byName(a: SidecarSet, b: SidecarSet): number {
  const x = a.metadata.name ?? "";
  const y = b.metadata.name ?? "";
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Ascending by name; a list already in that order (a sorted cache) is used as is. */
export function sortedByName(all: readonly SidecarSet[]): readonly SidecarSet[] {
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
  let pinChance: Record<string, number> | undefined;
  const reasons = ctx.skipReasons ?? true;
  const tried = !reasons && ctx.index?.sidecarSets === all ? ctx.index.candidates(pod) : sortedByName(all);
  for (const set of tried) {
    const name = set.metadata.name ?? "";
    if (set.spec.injectionStrategy?.paused) {
      if (reasons) skipped.push({ name, reason: "injection-paused" });
      continue;
    }
    const verdict = podInScope(set, pod, ctx.namespace, namespaceLabels, reasons);
    if ("error" in verdict) return { ok: false, denial: { sidecarSet: name, error: verdict.error } };
    if (!verdict.match) {
      if (!reasons) continue;
      const entry: SkippedSidecarSet = { name, reason: verdict.reason };
      if (verdict.detail !== undefined) entry.detail = verdict.detail;
      if (verdict.unmet) entry.unmet = verdict.unmet;
      skipped.push(entry);
      continue;
    }
    const version = chooseInjectedVersion(set, pod, ctx.revisions, ctx.random);
    if (!version.ok) return { ok: false, denial: { sidecarSet: name, error: version.error } };
    if (version.pinnedRevision !== undefined) pinned[name] = version.pinnedRevision;
    if (version.pinChance !== undefined) (pinChance ??= {})[name] = version.pinChance;
    chosen.push(version.set);
  }

  const { kept, replaced } = dropCanaryBases(chosen);
  for (const r of replaced) {
    if (reasons) skipped.push({ name: r.name, reason: "replaced-by-canary", detail: r.by });
    delete pinned[r.name];
    if (pinChance) delete pinChance[r.name];
  }
  return { ok: true, result: { applied: kept, skipped, pinned, ...(pinChance ? { pinChance } : {}) } };
}
