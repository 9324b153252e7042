// The rollout decision of one reconcile (docs/behaviour.md §6.2 steps 2, 4, 6–10): status,
// the upgrade order, and which pods to upgrade now — with a reason for every
// pod that is left out.
import type { FieldError } from "../../api/errors.js";
import type { Pod } from "../../api/kube-types.js";
import { formatTimestamp } from "../../api/pod-records.js";
import { readProgressPolicy, type ProgressPolicy } from "../../api/progress-policy.js";
import type { SidecarSet } from "../../api/types.js";
import { isNotUpgradable, nativeSidecarImageChanged, updateSelectorOf } from "./candidates.js";
import { podKey, selectPods, sidecarPodContainerNames, type NamespaceLabels } from "./matching.js";
import { maxUnavailableCount, walkUnavailableBudget } from "./max-unavailable.js";
import { orderKeysOfWaiting, upgradeOrderOfRanks } from "./order.js";
import { isFieldError, parseIntOrPercent, partitionCount, upgradableUnderPartition, type IntOrPercent } from "./partition.js";
import type { PlanMemo } from "./plan-memo.js";
import { CANDIDATE_STATES, PodFacts, WAITING } from "./pod-facts.js";
import { judgeUpgrade, ProgressTally, upgradeFactsOf, type ProgressVerdict, type UpgradeFacts, type UpgradeHealth } from "./progress-deadline.js";
import { tallyFacts, updatedButUnavailable, type RolloutStatus } from "./status.js";

const NOT_UPGRADABLE = CANDIDATE_STATES.indexOf("not-upgradable");
const BUSY = CANDIDATE_STATES.indexOf("busy");

export interface PlanOptions {
  /** The time of the decision; stamped on the plan. */
  now: Date;
  /** Labels of Namespace objects, for `spec.namespaceSelector`. */
  namespaceLabels?: NamespaceLabels;
  /** Canary SidecarSets whose base is S: pods carrying one are not reported as not-injected. */
  canaryNames?: readonly string[];
  /**
   * What earlier plans of S learnt about the pods. Only for pods that are
   * never mutated (an informer's cache): a pod object must keep its content.
   */
  memo?: PlanMemo;
  /** `--native-sidecar-in-place-upgrade` (docs/behaviour.md §7a.6): native sidecars' images are upgraded in place too. */
  nativeSidecarInPlaceUpgrade?: boolean;
}

/** Why nothing is upgraded this round, before any budget is looked at. */
export type StopReason =
  | "not-update"
  | "paused"
  /** Pods are mid hot-upgrade: park their idle containers first (docs/behaviour.md §6.10). */
  | "hot-upgrade-flip"
  /** Too many pods failed on the current revision (docs/behaviour.md §7a.5). */
  | "progress-deadline"
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
  /** Matched pods, in (namespace, name) order. */
  matched: Pod[];
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
  /** The progress deadline's verdict; undefined when S does not ask for one. */
  progress: ProgressVerdict | undefined;
  /** One entry per selected pod, in (namespace, name) order (computed when first read). */
  readonly pods: PodPlanEntry[];
  /**
   * The pods (`namespace/name`) that fill the maxUnavailable budget once this
   * round's upgrades count: the unavailable updated ones, then the ready ones
   * upgraded now. Why a pod waits for the budget (computed when first read).
   */
  readonly budgetUsedBy: string[];
  errors: FieldError[];
}

/**
 * The strategy fields the plan computes with. A NotUpdate SidecarSet never
 * upgrades, and validation leaves its rollout fields alone, so neither do we.
 */
export function readStrategy(set: SidecarSet): { partition?: IntOrPercent; maxUnavailable?: IntOrPercent; errors: FieldError[] } {
  const strategy = set.spec.updateStrategy ?? {};
  const errors: FieldError[] = [];
  if (strategy.type === "NotUpdate") return { errors };
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
  "progress-deadline":
    "halted: progress deadline; too many pods failed on this revision (see the Progressing condition); a new revision or the sidecarset.io/resumed-at annotation lifts it",
  "all-updated": "every matched pod is updated",
  "invalid-strategy": "updateStrategy is invalid (see errors)",
};

export function stopReasonText(reason: StopReason): string {
  return STOP_REASONS[reason];
}

/** What a plan sums over the pods it is given; a plan's sums over pods A and B are A's plus B's. */
export interface PodTally {
  status: RolloutStatus;
  /** Pods mid hot-upgrade. */
  flips: number;
  /** Updated pods that are not consistent or not ready. */
  unavailable: number;
  /** Pods the progress deadline judges, and those of them not healthy (0 when S has no deadline). */
  tracked: number;
  unsettled: number;
}

/**
 * The sums of a survey, kept in one object from inside the loop: a loop over
 * pods ends its function (see readListing in matching.ts for why).
 */
interface Sums {
  status: RolloutStatus;
  unavailable: number;
  waitingCount: number;
  flip: Pod[];
  notUpgradable: Pod[];
  busy: Pod[];
  progress: ProgressTally | undefined;
}

/** One visit to each pod: the selection, the facts of the matched pods, and the sums and lists read from them. */
interface Survey extends Sums {
  selection: ReturnType<typeof selectPods>;
  facts: PodFacts;
  nativeInPlace: boolean;
}

function survey(set: SidecarSet, pods: readonly Pod[], opts: PlanOptions): Survey {
  const memo = opts.memo;
  memo?.begin(set, opts);
  const nativeInPlace = opts.nativeSidecarInPlaceUpgrade === true;
  const facts = new PodFacts(set, pods.length, memo, nativeInPlace);
  const selection = selectPods(set, pods, {
    namespaceLabels: opts.namespaceLabels,
    canaryNames: opts.canaryNames,
    memo,
    onMatched: (pod, slot) => facts.read(pod, slot),
  });
  // From here on, slot i is the i-th matched pod in (namespace, name) order.
  if (selection.slots) facts.reorder(selection.slots);

  const policy = readProgressPolicy(set.metadata.annotations).policy;
  const sums: Sums = {
    status: { matchedPods: 0, updatedPods: 0, readyPods: 0, updatedReadyPods: 0, notInjectedPods: selection.notInjected.length },
    unavailable: 0,
    waitingCount: 0,
    flip: [],
    notUpgradable: [],
    busy: [],
    progress: policy ? new ProgressTally(policy) : undefined,
  };
  const judge = policy ? judgeOf(set, policy, opts) : undefined;
  sumRanks(selection.matched, facts, judge, sums);
  return { selection, facts, ...sums, nativeInPlace };
}

/** Judges an updated pod for the progress deadline, given whether it is available. */
type Judge = (pod: Pod, available: boolean) => UpgradeHealth;

function judgeOf(set: SidecarSet, policy: ProgressPolicy, opts: PlanOptions): Judge {
  const memo = opts.memo;
  const healthInput = { policy, available: false, nowMs: opts.now.getTime() };
  const setName = set.metadata.name ?? "";
  const sidecarContainers = sidecarPodContainerNames(set);
  const readUpgrade = (pod: Pod): UpgradeFacts => upgradeFactsOf(pod, setName, sidecarContainers);
  return (pod, available) => {
    healthInput.available = available;
    return judgeUpgrade(memo ? memo.upgradeFactsOf(pod, readUpgrade) : readUpgrade(pod), healthInput);
  };
}

function sumRanks(matched: readonly Pod[], facts: PodFacts, judge: Judge | undefined, sums: Sums): void {
  for (let rank = 0; rank < matched.length; rank++) {
    const updated = facts.updated[rank] === 1;
    const consistent = facts.consistent[rank] === 1;
    const ready = facts.ready[rank] === 1;
    tallyFacts(sums.status, updated, consistent, ready);
    if (updatedButUnavailable(updated, consistent, ready)) sums.unavailable++;
    if (judge && updated) sums.progress!.add(matched[rank]!, judge(matched[rank]!, consistent && ready));
    const state = facts.state[rank];
    if (state === WAITING) sums.waitingCount++;
    else if (state === NOT_UPGRADABLE) sums.notUpgradable.push(matched[rank]!);
    else if (state === BUSY) sums.busy.push(matched[rank]!);
    if (facts.midHotUpgrade?.[rank] === 1) sums.flip.push(matched[rank]!);
  }
}

/**
 * The sums a plan of `pods` would have, without ordering or choosing: what a
 * few changed pods add to or take from an earlier plan's sums.
 */
export function tallyPods(set: SidecarSet, pods: readonly Pod[], opts: PlanOptions): PodTally {
  const { status, flip, unavailable, progress } = survey(set, pods, opts);
  const verdict = progress?.verdict();
  return { status, flips: flip.length, unavailable, tracked: verdict?.tracked ?? 0, unsettled: verdict?.unsettled ?? 0 };
}

/** Plans one round of S's rollout over `pods` (all pods the SidecarSet may see). */
export function planUpgrade(set: SidecarSet, pods: readonly Pod[], opts: PlanOptions): Plan {
  const strategy = set.spec.updateStrategy ?? {};
  const parsed = readStrategy(set);
  const { selection, facts, status, unavailable, flip, notUpgradable, busy, waitingCount, progress, nativeInPlace } = survey(set, pods, opts);
  const waiting = waitingRanks(facts.state, selection.matched.length, waitingCount);
  const ordered = upgradeOrderOfRanks(strategy, waiting, selection.matched, {
    labels: facts.labels,
    keys: orderKeysOfWaiting(facts.keys, waiting),
    scatterCodes: facts.scatterCodes,
    ...(facts.weights ? { weights: facts.weights } : {}),
  });
  const partition = partitionCount(parsed.partition, status.matchedPods);
  const budget = maxUnavailableCount(parsed.maxUnavailable, status.matchedPods);
  const underPartition = upgradableUnderPartition(ordered.length, partition);
  const walk = walkUnavailableBudget(readyOfRanks(facts.ready, ordered, underPartition), budget, unavailable);
  const verdict = progress?.verdict();

  let stopped: StopReason | null = null;
  if (strategy.type === "NotUpdate") stopped = "not-update";
  else if (parsed.errors.length > 0) stopped = "invalid-strategy";
  else if (strategy.paused) stopped = "paused";
  else if (flip.length > 0) stopped = "hot-upgrade-flip";
  else if (verdict?.halted) stopped = "progress-deadline";
  else if (status.updatedPods >= status.matchedPods) stopped = "all-updated";

  const taken = stopped ? 0 : walk.taken;
  let limitedBy: Plan["limitedBy"] = null;
  if (!stopped && taken < ordered.length) limitedBy = walk.exhausted ? "max-unavailable" : "partition";
  const podsOf = (ranks: ArrayLike<number>, from = 0, to = ranks.length): Pod[] => {
    const out: Pod[] = new Array(Math.max(0, to - from));
    for (let i = from; i < to; i++) out[i - from] = selection.matched[ranks[i]!]!;
    return out;
  };
  let explained: PodPlanEntry[] | undefined;
  let budgetUsers: string[] | undefined;

  return {
    at: formatTimestamp(opts.now),
    status,
    matched: selection.matched,
    order: podsOf(ordered),
    upgrade: podsOf(ordered, 0, taken),
    notUpgradable,
    busy,
    hotUpgradeFlip: flip,
    partition,
    maxUnavailable: budget,
    unavailable,
    unavailableAfter: stopped ? unavailable : walk.unavailableAfter,
    stopped,
    limitedBy,
    progress: verdict,
    // Built when first read: a controller acting on the plan rarely needs a
    // reason per pod, and for 100k pods they are 100k objects.
    get pods(): PodPlanEntry[] {
      explained ??= explain(selection.selected, selection.matched, facts, ordered, {
        taken, underPartition, partition, budget, stopped,
        nativeSidecarWaits: nativeInPlace ? undefined : (pod) => !isNotUpgradable(set, pod) && nativeSidecarImageChanged(set, pod),
      });
      return explained;
    },
    get budgetUsedBy(): string[] {
      budgetUsers ??= budgetUsersOf(selection.matched, facts, ordered, taken);
      return budgetUsers;
    },
    errors: parsed.errors,
  };
}

/** The ranks whose state is WAITING, in rank order (a loop in its own function: see Sums). */
function waitingRanks(state: Uint8Array, n: number, count: number): Int32Array {
  const waiting = new Int32Array(count);
  for (let rank = 0, w = 0; rank < n; rank++) if (state[rank] === WAITING) waiting[w++] = rank;
  return waiting;
}

/** Whether each of the first `count` pods of `ordered` is ready. */
function readyOfRanks(ready: Uint8Array, ordered: Int32Array, count: number): boolean[] {
  const out: boolean[] = new Array(count);
  for (let i = 0; i < count; i++) out[i] = ready[ordered[i]!] === 1;
  return out;
}

function budgetUsersOf(matched: readonly Pod[], facts: PodFacts, ordered: Int32Array, taken: number): string[] {
  const users: string[] = [];
  for (let rank = 0; rank < matched.length; rank++) {
    if (updatedButUnavailable(facts.updated[rank] === 1, facts.consistent[rank] === 1, facts.ready[rank] === 1)) users.push(podKey(matched[rank]!));
  }
  // A not-ready pod upgraded now costs nothing (§6.7 step 5); a ready one takes a place.
  for (let i = 0; i < taken; i++) if (facts.ready[ordered[i]!] === 1) users.push(podKey(matched[ordered[i]!]!));
  return users;
}

interface ExplainContext {
  taken: number;
  underPartition: number;
  partition: number;
  budget: number;
  stopped: StopReason | null;
  /** Without in-place upgrade of native sidecars: whether a pod waits only for that. */
  nativeSidecarWaits: ((pod: Pod) => boolean) | undefined;
}

function explain(selected: readonly Pod[], matched: readonly Pod[], facts: PodFacts, ordered: Int32Array, ctx: ExplainContext): PodPlanEntry[] {
  const position = new Int32Array(matched.length).fill(-1);
  for (let i = 0; i < ordered.length; i++) position[ordered[i]!] = i;
  const text = {
    upgrade: "upgrade now",
    upgradeNotReady: "upgrade now; it is not ready, so it uses no maxUnavailable budget",
    current: "runs the current version",
    restarting: "updated; the kubelet has not restarted the sidecar yet, so it counts as unavailable",
    notReady: "updated; not ready yet, so it counts as unavailable",
    notSelected: "updateStrategy.selector does not select it",
    notUpgradable: "something other than images changed (hash-without-image differs); only recreating the pod applies it",
    nativeSidecarOff:
      "a native sidecar's image changed, and this manager upgrades native sidecars in place only with --native-sidecar-in-place-upgrade; recreating the pod applies it",
    busy: "a sidecar is still restarting from a previous update; retried next round",
    partition: `partition keeps ${ctx.partition} waiting pod(s) on the old version`,
    budget: `maxUnavailable ${ctx.budget} is used up; waits for upgraded pods to become ready`,
    stopped: ctx.stopped ? STOP_REASONS[ctx.stopped] : "",
    notInjected: "selected, but does not carry this SidecarSet's sidecars; gets them only when recreated",
  };
  const out: PodPlanEntry[] = new Array(selected.length);
  // Matched pods appear in `selected` in the same (namespace, name) order.
  let rank = 0;
  for (let k = 0; k < selected.length; k++) {
    const pod = selected[k]!;
    if (matched[rank] !== pod) {
      out[k] = { pod: podKey(pod), state: "not-injected", reason: text.notInjected, updated: false, consistent: false, ready: false };
      continue;
    }
    const updated = facts.updated[rank] === 1;
    const consistent = facts.consistent[rank] === 1;
    const ready = facts.ready[rank] === 1;
    const at = position[rank]!;
    let state: PodPlanState;
    let reason: string;
    switch (CANDIDATE_STATES[facts.state[rank]!]) {
      case "updated":
        state = "updated";
        reason = !consistent ? text.restarting : !ready ? text.notReady : text.current;
        break;
      case "not-selected":
        state = "not-selected";
        reason = text.notSelected;
        break;
      case "not-upgradable":
        state = "not-upgradable";
        reason = ctx.nativeSidecarWaits?.(pod) ? text.nativeSidecarOff : text.notUpgradable;
        break;
      case "busy":
        state = "busy";
        reason = text.busy;
        break;
      default:
        if (ctx.stopped) [state, reason] = ["rollout-stopped", text.stopped];
        else if (at < ctx.taken) [state, reason] = ["upgrade", ready ? text.upgrade : text.upgradeNotReady];
        else if (at < ctx.underPartition) [state, reason] = ["waiting-for-budget", text.budget];
        else [state, reason] = ["kept-by-partition", text.partition];
        break;
    }
    const entry: PodPlanEntry = { pod: podKey(pod), state, reason, updated, consistent, ready };
    if (at >= 0) entry.position = at + 1;
    out[k] = entry;
    rank++;
  }
  return out;
}
