// The rollout decision of one reconcile (SPEC §6.2 steps 2, 4, 6–10): status,
// the upgrade order, and which pods to upgrade now — with a reason for every
// pod that is left out.
import type { FieldError } from "../../api/errors.js";
import type { Pod } from "../../api/kube-types.js";
import { formatTimestamp } from "../../api/pod-records.js";
import type { SidecarSet } from "../../api/types.js";
import { classifyCandidate, updateSelectorOf, type CandidateState } from "./candidates.js";
import { isReadyForSidecarSet, PodConsistency, sidecarNamesOf, type RecordedImageIDs } from "./consistency.js";
import { isMidHotUpgrade } from "./hot-upgrade-flip.js";
import { hasHotUpgradeContainer, podKey, selectPods, type NamespaceLabels } from "./matching.js";
import { maxUnavailableCount, walkUnavailableBudget } from "./max-unavailable.js";
import { upgradeOrder, type OrderItem } from "./order.js";
import { isFieldError, parseIntOrPercent, partitionCount, upgradableUnderPartition, type IntOrPercent } from "./partition.js";
import { countStatus, isPodUpdated, isUpdatedButUnavailable, type PodRolloutFacts, type RolloutStatus } from "./status.js";

export interface PlanOptions {
  /** The time of the decision; stamped on the plan. */
  now: Date;
  /** Labels of Namespace objects, for `spec.namespaceSelector`. */
  namespaceLabels?: NamespaceLabels;
  /** Canary SidecarSets whose base is S: pods carrying one are not reported as not-injected. */
  canaryNames?: readonly string[];
}

/** Why nothing is upgraded this round, before any budget is looked at. */
export type StopReason =
  | "not-update"
  | "paused"
  /** Pods are mid hot-upgrade: park their idle containers first (SPEC §6.10). */
  | "hot-upgrade-flip"
  | "all-updated"
  | "invalid-strategy";

export type PodPlanState =
  | "upgrade"
  | "updated"
  | "not-selected"
  | "not-upgradable"
  | "busy"
  | "kept-by-partition"
  | "waiting-for-budget"
  | "rollout-stopped"
  | "not-injected";

export interface PodPlanEntry {
  /** `namespace/name`. */
  pod: string;
  state: PodPlanState;
  reason: string;
  /** 1-based position in the upgrade order (waiting pods only). */
  position?: number;
  updated: boolean;
  consistent: boolean;
  ready: boolean;
}

export interface Plan {
  /** RFC 3339 time of the decision. */
  at: string;
  status: RolloutStatus;
  /** Every waiting pod, in upgrade order. */
  order: Pod[];
  /** Pods to upgrade now, in order: a prefix of `order`. */
  upgrade: Pod[];
  notUpgradable: Pod[];
  busy: Pod[];
  /** Pods mid hot-upgrade whose idle containers are to be parked (acted on when `stopped` is "hot-upgrade-flip"). */
  hotUpgradeFlip: Pod[];
  /** Pods the partition keeps old. */
  partition: number;
  /** The maxUnavailable budget. */
  maxUnavailable: number;
  /** Matched pods unavailable before this round's upgrades (updated, and inconsistent or not ready). */
  unavailable: number;
  /** Unavailable pods once this round's upgrades are counted. */
  unavailableAfter: number;
  stopped: StopReason | null;
  /** What kept further waiting pods from this round, when something did. */
  limitedBy: "partition" | "max-unavailable" | null;
  /** One entry per selected pod, in (namespace, name) order. */
  pods: PodPlanEntry[];
  errors: FieldError[];
}

interface MatchedPod extends OrderItem, PodRolloutFacts {
  state: CandidateState;
  /** Index in the upgrade order (waiting pods only). */
  position: number;
}

function strategyErrors(set: SidecarSet): { partition?: IntOrPercent; maxUnavailable?: IntOrPercent; errors: FieldError[] } {
  const strategy = set.spec.updateStrategy ?? {};
  const errors: FieldError[] = [];
  const partition = parseIntOrPercent(strategy.partition, "spec.updateStrategy.partition");
  const maxUnavailable = parseIntOrPercent(strategy.maxUnavailable, "spec.updateStrategy.maxUnavailable");
  if (isFieldError(partition)) errors.push(partition);
  if (isFieldError(maxUnavailable)) errors.push(maxUnavailable);
  const selector = updateSelectorOf(set);
  if (selector.error) errors.push({ path: "spec.updateStrategy.selector", message: selector.error });
  return {
    ...(partition && !isFieldError(partition) ? { partition } : {}),
    ...(maxUnavailable && !isFieldError(maxUnavailable) ? { maxUnavailable } : {}),
    errors,
  };
}

const STOP_REASONS: Record<StopReason, string> = {
  "not-update": "updateStrategy.type is NotUpdate: sidecars are injected, never upgraded",
  paused: "updateStrategy.paused is true",
  "hot-upgrade-flip": "hot-upgrade pods are parking their old containers first; upgrades resume after that",
  "all-updated": "every matched pod is updated",
  "invalid-strategy": "updateStrategy is invalid (see errors)",
};

export function stopReasonText(reason: StopReason): string {
  return STOP_REASONS[reason];
}

/** Plans one round of S's rollout over `pods` (all pods the SidecarSet may see). */
export function planUpgrade(set: SidecarSet, pods: readonly Pod[], opts: PlanOptions): Plan {
  const selection = selectPods(set, pods, {
    ...(opts.namespaceLabels ? { namespaceLabels: opts.namespaceLabels } : {}),
    ...(opts.canaryNames ? { canaryNames: opts.canaryNames } : {}),
  });
  const strategy = set.spec.updateStrategy ?? {};
  const parsed = strategyErrors(set);
  const updateSelector = updateSelectorOf(set);
  const names = sidecarNamesOf(set);
  const hot = hasHotUpgradeContainer(set);

  const matched: MatchedPod[] = new Array(selection.matched.length);
  const flip: Pod[] = [];
  let unavailable = 0;
  // Pods written together carry identical annotation values: read each once.
  const hashMemo = new Map<string, string>();
  const withoutImageMemo = new Map<string, string>();
  const stateMemo = new Map<string, RecordedImageIDs>();
  for (let rank = 0; rank < selection.matched.length; rank++) {
    const pod = selection.matched[rank]!;
    const consistency = new PodConsistency(pod, set, names, stateMemo);
    const updated = isPodUpdated(set, pod, hashMemo);
    const facts: MatchedPod = {
      pod,
      rank,
      updated,
      consistent: consistency.check(),
      ready: isReadyForSidecarSet(pod, set),
      state: classifyCandidate(set, pod, { updated, selectedForUpdate: updateSelector.matches(pod), consistency, memo: withoutImageMemo }),
      position: -1,
    };
    if (isUpdatedButUnavailable(facts)) unavailable++;
    if (hot && isMidHotUpgrade(set, pod, consistency)) flip.push(pod);
    matched[rank] = facts;
  }

  const status = countStatus(matched, selection.notInjected.length);
  const waiting = matched.filter((m) => m.state === "waiting");
  const ordered = upgradeOrder(strategy, waiting, selection.matched);
  const partition = partitionCount(parsed.partition, status.matchedPods);
  const budget = maxUnavailableCount(parsed.maxUnavailable, status.matchedPods);
  const underPartition = upgradableUnderPartition(ordered.length, partition);
  const walk = walkUnavailableBudget(
    ordered.slice(0, underPartition).map((m) => m.ready),
    budget,
    unavailable,
  );

  let stopped: StopReason | null = null;
  if (parsed.errors.length > 0) stopped = "invalid-strategy";
  else if (strategy.type === "NotUpdate") stopped = "not-update";
  else if (strategy.paused) stopped = "paused";
  else if (flip.length > 0) stopped = "hot-upgrade-flip";
  else if (status.updatedPods >= status.matchedPods) stopped = "all-updated";

  const taken = stopped ? 0 : walk.taken;
  const upgrade = ordered.slice(0, taken);
  let limitedBy: Plan["limitedBy"] = null;
  if (!stopped && taken < ordered.length) limitedBy = walk.exhausted ? "max-unavailable" : "partition";

  return {
    at: formatTimestamp(opts.now),
    status,
    order: ordered.map((m) => m.pod),
    upgrade: upgrade.map((m) => m.pod),
    notUpgradable: matched.filter((m) => m.state === "not-upgradable").map((m) => m.pod),
    busy: matched.filter((m) => m.state === "busy").map((m) => m.pod),
    hotUpgradeFlip: flip,
    partition,
    maxUnavailable: budget,
    unavailable,
    unavailableAfter: stopped ? unavailable : walk.unavailableAfter,
    stopped,
    limitedBy,
    pods: explain(selection.selected, matched, ordered, { taken, underPartition, partition, budget, stopped }),
    errors: parsed.errors,
  };
}

interface ExplainContext {
  taken: number;
  underPartition: number;
  partition: number;
  budget: number;
  stopped: StopReason | null;
}

function explain(selected: readonly Pod[], matched: readonly MatchedPod[], ordered: readonly MatchedPod[], ctx: ExplainContext): PodPlanEntry[] {
  for (let i = 0; i < ordered.length; i++) ordered[i]!.position = i;
  const text = {
    upgrade: "upgrade now",
    upgradeNotReady: "upgrade now; it is not ready, so it uses no maxUnavailable budget",
    current: "runs the current version",
    restarting: "updated; the kubelet has not restarted the sidecar yet, so it counts as unavailable",
    notReady: "updated; not ready yet, so it counts as unavailable",
    notSelected: "updateStrategy.selector does not select it",
    notUpgradable: "something other than images changed (hash-without-image differs); only recreating the pod applies it",
    busy: "a sidecar is still restarting from a previous update; retried next round",
    partition: `partition keeps ${ctx.partition} waiting pod(s) on the old version`,
    budget: `maxUnavailable ${ctx.budget} is used up; waits for upgraded pods to become ready`,
    stopped: ctx.stopped ? STOP_REASONS[ctx.stopped] : "",
    notInjected: "selected, but does not carry this SidecarSet's sidecars; gets them only when recreated",
  };
  const out: PodPlanEntry[] = new Array(selected.length);
  // Matched pods appear in `selected` in the same (namespace, name) order.
  let j = 0;
  for (let k = 0; k < selected.length; k++) {
    const pod = selected[k]!;
    const m = matched[j];
    if (!m || m.pod !== pod) {
      out[k] = { pod: podKey(pod), state: "not-injected", reason: text.notInjected, updated: false, consistent: false, ready: false };
      continue;
    }
    j++;
    let state: PodPlanState;
    let reason: string;
    switch (m.state) {
      case "updated":
        state = "updated";
        reason = !m.consistent ? text.restarting : !m.ready ? text.notReady : text.current;
        break;
      case "not-selected":
        state = "not-selected";
        reason = text.notSelected;
        break;
      case "not-upgradable":
        state = "not-upgradable";
        reason = text.notUpgradable;
        break;
      case "busy":
        state = "busy";
        reason = text.busy;
        break;
      case "waiting":
        if (ctx.stopped) [state, reason] = ["rollout-stopped", text.stopped];
        else if (m.position < ctx.taken) [state, reason] = ["upgrade", m.ready ? text.upgrade : text.upgradeNotReady];
        else if (m.position < ctx.underPartition) [state, reason] = ["waiting-for-budget", text.budget];
        else [state, reason] = ["kept-by-partition", text.partition];
        break;
    }
    const entry: PodPlanEntry = { pod: podKey(pod), state, reason, updated: m.updated, consistent: m.consistent, ready: m.ready };
    if (m.state === "waiting") entry.position = m.position + 1;
    out[k] = entry;
  }
  return out;
}
