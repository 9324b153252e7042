// Which SidecarSets of a list can select a pod, found from the pod's labels
// instead of by trying each of them: a cluster with thousands of SidecarSets
// would otherwise try every one for every pod created. Each SidecarSet is
// filed under one requirement of its selector that a pod must meet to be
// selected (a label with one of a few values, or a label at all); a pod is then
// tried only against the SidecarSets filed under its own labels, and against
// those whose selector has no such requirement. Trying is left to the caller
// (podInScope), so what matches, and every denial, stays what trying all of
// them in order gives: the index only leaves out SidecarSets that could not
// have matched nor denied the pod.
import type { Pod } from "../../api/kube-types.js";
import type { SidecarSet } from "../../api/types.js";
import { isEmptySelector, type Requirement } from "../selector.js";
import { sortedByName } from "./match.js";
import { cachedSelector } from "./selector-cache.js";

/** The SidecarSets filed under one label key: by the value they require, and those that require the key alone. */
interface FiledUnderKey {
  byValue: Map<string, number[]>;
  exists: number[];
}

export class SelectionIndex {
  /** The list in injection order (by name). */
  private readonly ordered: readonly SidecarSet[];
  /** Label key → positions in `ordered`, ascending. */
  private readonly filed = new Map<string, FiledUnderKey>();
  /** Positions tried for every pod: no requirement to file them under, or a selector that does not parse. */
  private readonly always: number[] = [];

  /**
   * @param sidecarSets never edited afterwards (an informer cache's list): the index keeps what it saw.
   * @param filingOf where each is filed: for injection (podInScope) by default, or for selection alone (selectionFiling).
   */
  constructor(
    readonly sidecarSets: readonly SidecarSet[],
    filingOf: (set: SidecarSet) => Filing = injectionFiling,
  ) {
    this.ordered = sortedByName(sidecarSets);
    for (let position = 0; position < this.ordered.length; position++) {
      const filing = filingOf(this.ordered[position]!);
      if (filing === NEVER) continue;
      if (filing === ALWAYS) {
        this.always.push(position);
        continue;
      }
      let underKey = this.filed.get(filing.key);
      if (!underKey) this.filed.set(filing.key, (underKey = { byValue: new Map(), exists: [] }));
      if (filing.operator !== "In") {
        underKey.exists.push(position);
        continue;
      }
      for (const value of new Set(filing.values)) {
        const positions = underKey.byValue.get(value);
        if (positions) positions.push(position);
        else underKey.byValue.set(value, [position]);
      }
    }
  }

  /** The SidecarSets of the list that may select `pod`, in injection order: none of the others would. */
  candidates(pod: Pod): SidecarSet[] {
    const labels = pod.metadata?.labels;
    let found: number[] | undefined;
    if (labels) {
      for (const key of Object.keys(labels)) {
        const underKey = this.filed.get(key);
        if (!underKey) continue;
        for (const more of [underKey.exists, underKey.byValue.get(labels[key]!)]) if (more?.length) found = (found ?? this.always).concat(more);
      }
    }
    // Each SidecarSet is filed under one requirement, and a pod has one value per label: no position twice.
    const positions = found ? found.sort((a, b) => a - b) : this.always;
    return positions.map((p) => this.ordered[p]!);
  }
}

const NEVER = "never";
const ALWAYS = "always";

/** A requirement every pod it may concern meets; never: it concerns no pod; always: any pod. */
export type Filing = Requirement | typeof NEVER | typeof ALWAYS;

/**
 * Where a SidecarSet is filed for injection. Never: podInScope skips it for every pod without an error (paused, or
 * an empty selector behind a namespaceSelector that parses). Always: podInScope may deny a pod for it (a selector
 * that does not parse), or its selector requires no label a pod must carry (only NotIn and DoesNotExist).
 */
function injectionFiling(set: SidecarSet): Filing {
  const spec = set.spec;
  if (spec.injectionStrategy?.paused) return NEVER;
  if (spec.namespaceSelector && !cachedSelector(spec.namespaceSelector).ok) return ALWAYS;
  return filingBySelector(set, ALWAYS);
}

/**
 * Where a SidecarSet is filed for "which SidecarSets select this pod" (podSelectorOf): an empty or unparseable
 * selector selects no pod, paused or not.
 */
export function selectionFiling(set: SidecarSet): Filing {
  return filingBySelector(set, NEVER);
}

/** By the selector's narrowest requirement; an empty selector concerns no pod, one that does not parse `unparseable`. */
function filingBySelector(set: SidecarSet, unparseable: Filing): Filing {
  if (isEmptySelector(set.spec.selector)) return NEVER;
  const selector = cachedSelector(set.spec.selector!);
  if (!selector.ok) return unparseable;
  return narrowestRequirement(selector.requirements) ?? ALWAYS;
}

/** The `In` requirement with the fewest values, else an `Exists`: a pod without what it names is not selected. */
function narrowestRequirement(requirements: readonly Requirement[]): Requirement | undefined {
  let best: Requirement | undefined;
  for (const r of requirements) {
    if (r.operator === "In" && (best?.operator !== "In" || r.values.length < best.values.length)) best = r;
    else if (r.operator === "Exists" && !best) best = r;
  }
  return best;
}
