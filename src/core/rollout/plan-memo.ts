// What one plan learnt about each pod, kept for the next plan of the same
// SidecarSet. Pods from an informer's cache are never mutated: a changed pod
// arrives as a new object. So while the SidecarSet, the namespace labels and
// the canaries stay the same, a pod object seen before has the same facts,
// and a controller re-planning 100k pods after one pod event reads one pod.
import { SIDECARSET_HASH_ANNOTATION, SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION } from "../../api/keys.js";
import type { Pod } from "../../api/kube-types.js";
import type { SidecarSet } from "../../api/types.js";
import type { Labels } from "../selector.js";
import type { NamespaceLabels } from "./matching.js";
import type { UpgradeFacts } from "./progress-deadline.js";

/** How a pod stands to the SidecarSet's selection (docs/behaviour.md §6.3), as bit flags. */
export const SELECTED = 1;
export const MATCHED = 2;
/** Selected, not matched, and carrying a canary of the SidecarSet. */
export const CARRIES_CANARY = 4;

/** The per-pod facts a plan reads (see PodFacts), for one matched pod. */
export interface RememberedFacts {
  labels: Labels;
  updated: number;
  consistent: number;
  ready: number;
  state: number;
  weight: number;
  midHotUpgrade: number;
  /**
   * The default-order keys, of a waiting pod only. Apart: most pods are not waiting, and keys kept in every
   * entry would be floating-point fields V8 boxes one by one (a memo per SidecarSet, an entry per pod).
   */
  order: RememberedOrderKey | undefined;
}

export interface RememberedOrderKey {
  group: number;
  readySince: number;
  restarts: number;
  created: number;
}

export interface PlanInputs {
  namespaceLabels?: NamespaceLabels | undefined;
  canaryNames?: readonly string[] | undefined;
  nativeSidecarInPlaceUpgrade?: boolean | undefined;
}

/**
 * One SidecarSet's memory of pods between plans. Pass the same memo to every
 * `planUpgrade` of that SidecarSet; it forgets everything by itself when the
 * SidecarSet or the other inputs change. Like pods, a SidecarSet object is
 * taken as unchanged while it is the same object: change a copy.
 */
export class PlanMemo {
  /** Rises each time the memo forgets everything (what it knew no longer holds). */
  generation = 0;
  private context: string | undefined;
  /** The inputs `context` was last computed from. */
  private contextSet: SidecarSet | undefined;
  private contextCanaries: readonly string[] = [];
  private contextNative = false;
  private namespaceLabels: NamespaceLabels | undefined;
  private entries = new WeakMap<Pod, Entry>();
  /** Upgrade facts for the progress deadline, only of pods it judged (updated ones, while it is on). */
  private upgrades = new WeakMap<Pod, UpgradeFacts>();
  // The entry looked up last: a plan asks for a pod's facts right after its selection.
  private lastPod: Pod | undefined;
  private lastEntry: Entry | undefined;

  /**
   * Called at the start of a plan. Facts depend on the whole spec and the hash
   * annotations; the namespace labels (for a namespaceSelector) are compared by
   * identity, as a cache hands out the same object until a Namespace changes.
   */
  begin(set: SidecarSet, inputs: PlanInputs): void {
    // The same SidecarSet object and inputs need no new context text: a
    // reconcile carrying its plan forward begins three times.
    const canaryNames = inputs.canaryNames ?? [];
    const native = inputs.nativeSidecarInPlaceUpgrade === true;
    const namespaceLabels = set.spec.namespaceSelector ? inputs.namespaceLabels : undefined;
    if (set === this.contextSet && native === this.contextNative && sameNames(canaryNames, this.contextCanaries) && namespaceLabels === this.namespaceLabels) return;
    this.contextSet = set;
    this.contextNative = native;
    this.contextCanaries = canaryNames;
    const annotations = set.metadata.annotations ?? {};
    const context = JSON.stringify([
      set.metadata.name,
      set.metadata.uid,
      annotations[SIDECARSET_HASH_ANNOTATION],
      annotations[SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION],
      set.spec,
      canaryNames,
      native,
    ]);
    // Without a namespaceSelector the namespace labels decide nothing: a
    // Namespace being labelled then costs no re-read of every pod.
    if (context === this.context && namespaceLabels === this.namespaceLabels) return;
    this.context = context;
    this.namespaceLabels = namespaceLabels;
    this.generation++;
    this.entries = new WeakMap();
    this.upgrades = new WeakMap();
    this.lastPod = undefined;
    this.lastEntry = undefined;
  }

  private entryOf(pod: Pod): Entry | undefined {
    if (pod === this.lastPod) return this.lastEntry;
    const entry = this.entries.get(pod);
    this.lastPod = pod;
    this.lastEntry = entry;
    return entry;
  }

  /**
   * The pod's selection flags, computed by `compute` the first time. A pod S
   * does not select is not remembered: every SidecarSet lists every pod of its
   * scope, and an entry per pod and SidecarSet would grow with their product
   * (100 SidecarSets over 100k pods: 10M entries, about 780 MB), while telling
   * again that a selector does not match costs about as much as looking it up.
   */
  selectionOf(pod: Pod, compute: (pod: Pod) => number): number {
    let entry = this.entryOf(pod);
    if (entry === undefined) {
      const flags = compute(pod);
      if (flags === 0) return 0;
      entry = { flags, facts: undefined };
      this.entries.set(pod, entry);
      this.lastEntry = entry;
    }
    return entry.flags;
  }

  /** The pod's upgrade facts, computed by `compute` the first time. */
  upgradeFactsOf(pod: Pod, compute: (pod: Pod) => UpgradeFacts): UpgradeFacts {
    let facts = this.upgrades.get(pod);
    if (facts === undefined) this.upgrades.set(pod, (facts = compute(pod)));
    return facts;
  }

  factsOf(pod: Pod): RememberedFacts | undefined {
    return this.entryOf(pod)?.facts;
  }

  /** Keeps the facts of a pod whose selection flags are known. */
  remember(pod: Pod, facts: RememberedFacts): void {
    const entry = this.entryOf(pod);
    if (entry) entry.facts = facts;
  }
}

interface Entry {
  flags: number;
  facts: RememberedFacts | undefined;
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
