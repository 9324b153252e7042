// A reconcile after a few pod changes, for a SidecarSet whose last plan only
// had its status to write (every matched pod updated, or the rollout paused,
// or NotUpdate): instead of planning over every pod again, the status is
// carried forward — what the changed pods counted before is taken away and
// what they count now is added, both summed by the plan's own survey of pods
// (tallyPods) over just those pods. Pod writes never come out of this path: when a change makes the
// rollout act (a pod waits for an upgrade, a hot-upgrade flip), the caller
// plans in full. The same holds while the progress deadline (docs/behaviour.md
// §7a.5) watches an upgraded pod that is not healthy: its verdict changes with
// time alone, so only a full plan may judge it. Per pod event, the cost then follows the pods that changed,
// not the pods that exist.
import type { Pod } from "../../api/kube-types.js";
import { formatTimestamp } from "../../api/pod-records.js";
import { readProgressPolicy } from "../../api/progress-policy.js";
import type { SidecarSet } from "../../api/types.js";
import { maxUnavailableCount } from "./max-unavailable.js";
import { partitionCount } from "./partition.js";
import { planUpgrade, readStrategy, tallyPods, type Plan, type PlanOptions, type PodTally, type StopReason } from "./plan.js";
import type { PlanMemo } from "./plan-memo.js";

/** Pods whose objects changed since the last plan: the object then (undefined: it did not exist) by key. */
export interface PodChanges {
  previous: ReadonlyMap<string, Pod | undefined>;
  /** The object now (undefined: it is gone). */
  current(key: string): Pod | undefined;
}

interface Base {
  tally: PodTally;
  memoGeneration: number;
  /** The caller's position in its change log when the base was taken. */
  revision: number;
  /** When the last full plan ran (ms). */
  plannedAt: number;
  /** When the base was last taken or carried forward (ms). */
  usedAt: number;
  /** The progress policy the base was judged under: a resume changes it without changing the memo's inputs. */
  policy: string;
}

/** A full plan is run at least this often, whatever the changes: a carried status never drifts for long. */
export const FULL_PLAN_INTERVAL_MS = 60_000;

/**
 * How long the pod cache keeps the changes a base was not carried over. A SidecarSet that pod events
 * concern is reconciled about once a second; one they do not concern would hold a minute of every other
 * pod's changes for a carry-forward that a full plan of its few pods does as well.
 */
export const CHANGES_KEPT_FOR_MS = 10_000;

const STATUS_KEYS = ["matchedPods", "updatedPods", "readyPods", "updatedReadyPods", "notInjectedPods"] as const;

function tallyOf(plan: Plan): PodTally {
  return {
    status: { ...plan.status },
    flips: plan.hotUpgradeFlip.length,
    unavailable: plan.unavailable,
    tracked: plan.progress?.tracked ?? 0,
    unsettled: plan.progress?.unsettled ?? 0,
  };
}

function combine(base: PodTally, minus: PodTally, plus: PodTally): PodTally {
  const status = { ...base.status };
  for (const k of STATUS_KEYS) status[k] = base.status[k] - minus.status[k] + plus.status[k];
  const sum = (k: "flips" | "unavailable" | "tracked" | "unsettled"): number => base[k] - minus[k] + plus[k];
  return { status, flips: sum("flips"), unavailable: sum("unavailable"), tracked: sum("tracked"), unsettled: sum("unsettled") };
}

/** The stop reason of a plan with this tally, or null when the rollout has something to do. */
function quietReason(set: SidecarSet, tally: PodTally): StopReason | null {
  // A judged pod that is not healthy can fail by the clock alone, paused or not.
  if (tally.unsettled > 0) return null;
  const strategy = set.spec.updateStrategy ?? {};
  if (strategy.type === "NotUpdate") return "not-update";
  if (readStrategy(set).errors.length > 0) return null;
  if (strategy.paused) return "paused";
  if (tally.flips > 0) return null;
  return tally.status.updatedPods >= tally.status.matchedPods ? "all-updated" : null;
}

/** One SidecarSet's last quiet plan, carried forward over pod changes. */
export class QuietPlanner {
  private base: Base | undefined;

  /** The change-log position the next carry-forward starts from, when there is a base. */
  get revision(): number | undefined {
    return this.base?.revision;
  }

  /**
   * The oldest change-log position a carry-forward at `nowMs` is worth keeping changes for: none once the
   * base is too old to carry, or has not been used for CHANGES_KEPT_FOR_MS (the next plan is then a full one).
   */
  neededSince(nowMs: number): number | undefined {
    const base = this.base;
    if (!base || nowMs - base.plannedAt >= FULL_PLAN_INTERVAL_MS || nowMs - base.usedAt >= CHANGES_KEPT_FOR_MS) return undefined;
    return base.revision;
  }

  /** After a full plan taken at change-log position `revision`: keeps it as the base when it was quiet. */
  recordFull(set: SidecarSet, plan: Plan, memo: PlanMemo, revision: number, nowMs: number): void {
    const tally = tallyOf(plan);
    this.base =
      plan.stopped !== null && quietReason(set, tally) === plan.stopped
        ? { tally, memoGeneration: memo.generation, revision, plannedAt: nowMs, usedAt: nowMs, policy: policyKey(set) }
        : undefined;
  }

  forget(): void {
    this.base = undefined;
  }

  /**
   * The plan after `changes`, or undefined when a full plan is needed (no
   * base, the memo forgot what it knew, the base is old, or the rollout now
   * has something to do). `listing` gives every pod the SidecarSet may see;
   * it is read only if a caller asks for a per-pod list of the plan.
   */
  carryForward(
    set: SidecarSet,
    changes: PodChanges,
    opts: PlanOptions & { memo: PlanMemo },
    listing: () => readonly Pod[],
    revision: number,
    nowMs: number,
  ): Plan | undefined {
    const base = this.base;
    if (!base || nowMs - base.plannedAt >= FULL_PLAN_INTERVAL_MS) return undefined;
    opts.memo.begin(set, opts);
    if (opts.memo.generation !== base.memoGeneration || policyKey(set) !== base.policy) return undefined;
    const before: Pod[] = [];
    const after: Pod[] = [];
    for (const [key, old] of changes.previous) {
      if (old) before.push(old);
      const now = changes.current(key);
      if (now) after.push(now);
    }
    const tally = combine(base.tally, tallyPods(set, before, opts), tallyPods(set, after, opts));
    const stopped = quietReason(set, tally);
    if (stopped === null) {
      this.base = undefined;
      return undefined;
    }
    this.base = { ...base, tally, revision, usedAt: nowMs };
    return quietPlan(set, tally, stopped, opts, listing);
  }
}

function policyKey(set: SidecarSet): string {
  return JSON.stringify(readProgressPolicy(set.metadata.annotations).policy ?? null);
}

/** The verdict of a quiet plan: nothing judged is unhealthy (else it is not quiet), so nothing failed. */
function progressOfQuiet(set: SidecarSet, tally: PodTally): Plan["progress"] {
  const policy = readProgressPolicy(set.metadata.annotations).policy;
  return policy ? { failed: [], tracked: tally.tracked, unsettled: 0, halted: false, maxFailed: policy.maxFailed } : undefined;
}

/** A plan that writes no pod; its per-pod lists come from a full plan, computed only if read. */
function quietPlan(set: SidecarSet, tally: PodTally, stopped: StopReason, opts: PlanOptions, listing: () => readonly Pod[]): Plan {
  const parsed = readStrategy(set);
  let full: Plan | undefined;
  const fullPlan = (): Plan => (full ??= planUpgrade(set, listing(), opts));
  return {
    at: formatTimestamp(opts.now),
    status: tally.status,
    get matched() {
      return fullPlan().matched;
    },
    get order() {
      return fullPlan().order;
    },
    upgrade: [],
    get notUpgradable() {
      return fullPlan().notUpgradable;
    },
    get busy() {
      return fullPlan().busy;
    },
    get hotUpgradeFlip() {
      return fullPlan().hotUpgradeFlip;
    },
    partition: partitionCount(parsed.partition, tally.status.matchedPods),
    maxUnavailable: maxUnavailableCount(parsed.maxUnavailable, tally.status.matchedPods),
    unavailable: tally.unavailable,
    unavailableAfter: tally.unavailable,
    stopped,
    limitedBy: null,
    // Nothing judged is unhealthy (else the plan is not quiet), so nothing failed.
    progress: progressOfQuiet(set, tally),
    get pods() {
      return fullPlan().pods;
    },
    get budgetUsedBy() {
      return fullPlan().budgetUsedBy;
    },
    errors: [],
  };
}
