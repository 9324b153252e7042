// What the planner needs to know about each matched pod, read in one visit
// to the pod and kept in flat arrays: for 100k pods that is next to nothing
// for the garbage collector, and each pod's objects are touched while in cache.
import type { Pod } from "../../api/kube-types.js";
import type { SidecarSet } from "../../api/types.js";
import type { Labels } from "../selector.js";
import { classifyCandidate, updateSelectorOf, type CandidateState } from "./candidates.js";
import { isReadyForSidecarSet, PodConsistency, sidecarNamesOf } from "./consistency.js";
import { isMidHotUpgrade } from "./hot-upgrade-flip.js";
import { hasHotUpgradeContainer } from "./matching.js";
import { emptyOrderKeys, writeOrderKey, type OrderKeys } from "./order.js";
import { weightSumOf } from "./priority.js";
import type { PlanMemo, RememberedFacts } from "./plan-memo.js";
import { ScatterCodes } from "./scatter.js";
import { isPodUpdated } from "./status.js";

/** Candidate states as small numbers, so that they fit a flat array. */
export const CANDIDATE_STATES: readonly CandidateState[] = ["updated", "not-selected", "not-upgradable", "busy", "waiting"];
export const WAITING = CANDIDATE_STATES.indexOf("waiting");
const UPDATED = CANDIDATE_STATES.indexOf("updated");

/**
 * Facts of the matched pods of one SidecarSet, one slot per pod. Pods are
 * read into slots in the order they are listed; `reorder` then puts slot i
 * on the i-th pod in (namespace, name) order when the listing was not sorted.
 */
export class PodFacts {
  updated: Uint8Array;
  consistent: Uint8Array;
  ready: Uint8Array;
  /** Index into CANDIDATE_STATES. */
  state: Uint8Array;
  /** Each pod's labels, for priority and scatter. */
  labels: Labels[];
  /** Default-order keys; written for waiting pods only. */
  keys: OrderKeys;
  /** Summed weight priority, when the strategy has weights. */
  weights: Float64Array | undefined;
  /** Scatter label values as numbers, numbered in slot order. */
  readonly scatterCodes: ScatterCodes;
  /** 1 for a pod mid hot-upgrade (SidecarSets with a hot-upgrade sidecar only). */
  midHotUpgrade: Uint8Array | undefined;

  /** One instance, moved from pod to pod. */
  private readonly consistency: PodConsistency;
  private readonly selectedForUpdate: (pod: Pod) => boolean;
  private readonly weightOf: ((labels: Labels) => number) | null;

  /** Room for `capacity` pods; facts are taken from `memo` when it has them, and given to it. */
  constructor(
    private readonly set: SidecarSet,
    capacity: number,
    private readonly memo?: PlanMemo,
    private readonly nativeSidecarsInPlace = false,
  ) {
    const strategy = set.spec.updateStrategy ?? {};
    this.consistency = new PodConsistency({}, set, sidecarNamesOf(set));
    this.selectedForUpdate = updateSelectorOf(set).matches;
    this.weightOf = weightSumOf(strategy.priorityStrategy);
    this.updated = new Uint8Array(capacity);
    this.consistent = new Uint8Array(capacity);
    this.ready = new Uint8Array(capacity);
    this.state = new Uint8Array(capacity);
    this.labels = new Array(capacity);
    this.keys = emptyOrderKeys(capacity);
    this.weights = this.weightOf ? new Float64Array(capacity) : undefined;
    this.scatterCodes = new ScatterCodes(strategy.scatterStrategy ?? [], capacity);
    this.midHotUpgrade = hasHotUpgradeContainer(set) ? new Uint8Array(capacity) : undefined;
  }

  /** Reads a matched pod into `slot`; slots are filled 0, 1, 2… */
  read(pod: Pod, slot: number): void {
    const remembered = this.memo?.factsOf(pod);
    if (remembered) {
      this.restore(slot, remembered);
      return;
    }
    this.compute(pod, slot);
    this.memo?.remember(pod, this.snapshot(slot));
  }

  private compute(pod: Pod, slot: number): void {
    const set = this.set;
    const labels = pod.metadata?.labels;
    this.labels[slot] = labels;
    this.scatterCodes.add(labels);
    if (this.weights) this.weights[slot] = this.weightOf!(labels);
    const consistency = this.consistency.moveTo(pod);
    const updated = isPodUpdated(set, pod);
    // An updated pod is classified without the selector or the other checks.
    const state = updated
      ? UPDATED
      : CANDIDATE_STATES.indexOf(classifyCandidate(set, pod, {
          updated,
          selectedForUpdate: this.selectedForUpdate(pod),
          consistency,
          nativeSidecarsInPlace: this.nativeSidecarsInPlace,
        }));
    this.updated[slot] = updated ? 1 : 0;
    this.consistent[slot] = consistency.check() ? 1 : 0;
    this.ready[slot] = isReadyForSidecarSet(pod, set) ? 1 : 0;
    this.state[slot] = state;
    if (state === WAITING) writeOrderKey(this.keys, slot, pod);
    if (this.midHotUpgrade) this.midHotUpgrade[slot] = isMidHotUpgrade(set, pod, consistency) ? 1 : 0;
  }

  private snapshot(slot: number): RememberedFacts {
    const state = this.state[slot]!;
    const keys = this.keys;
    return {
      labels: this.labels[slot],
      updated: this.updated[slot]!,
      consistent: this.consistent[slot]!,
      ready: this.ready[slot]!,
      state,
      weight: this.weights?.[slot] ?? 0,
      midHotUpgrade: this.midHotUpgrade?.[slot] ?? 0,
      // Keys are written for waiting pods only (compute).
      order:
        state === WAITING
          ? { group: keys.group[slot]!, readySince: keys.readySince[slot]!, restarts: keys.restarts[slot]!, created: keys.created[slot]! }
          : undefined,
    };
  }

  private restore(slot: number, facts: RememberedFacts): void {
    this.labels[slot] = facts.labels;
    this.scatterCodes.add(facts.labels);
    this.updated[slot] = facts.updated;
    this.consistent[slot] = facts.consistent;
    this.ready[slot] = facts.ready;
    this.state[slot] = facts.state;
    const { order } = facts;
    this.keys.group[slot] = order?.group ?? 0;
    this.keys.readySince[slot] = order?.readySince ?? 0;
    this.keys.restarts[slot] = order?.restarts ?? 0;
    this.keys.created[slot] = order?.created ?? 0;
    if (this.weights) this.weights[slot] = facts.weight;
    if (this.midHotUpgrade) this.midHotUpgrade[slot] = facts.midHotUpgrade;
  }

  /** Moves the facts read into `slots[i]` to slot i, for every i. */
  reorder(slots: Int32Array): void {
    this.updated = permuted(this.updated, slots);
    this.consistent = permuted(this.consistent, slots);
    this.ready = permuted(this.ready, slots);
    this.state = permuted(this.state, slots);
    const labels = this.labels;
    this.labels = Array.from(slots, (slot) => labels[slot]);
    this.keys = {
      group: permuted(this.keys.group, slots),
      readySince: permuted(this.keys.readySince, slots),
      restarts: permuted(this.keys.restarts, slots),
      created: permuted(this.keys.created, slots),
    };
    if (this.weights) this.weights = permuted(this.weights, slots);
    if (this.midHotUpgrade) this.midHotUpgrade = permuted(this.midHotUpgrade, slots);
    this.scatterCodes.reorder(slots);
  }
}

/** `values` reordered so that entry i is `values[slots[i]]`. */
function permuted<T extends Uint8Array | Float64Array>(values: T, slots: Int32Array): T {
  const out = new (values.constructor as new (n: number) => T)(slots.length);
  for (let i = 0; i < slots.length; i++) out[i] = values[slots[i]!]!;
  return out;
}
