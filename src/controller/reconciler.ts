// One reconcile of one SidecarSet: read the caches, let the core decide, write
// the pods and the status, record expectations. A reconcile works from what
// the caches hold now, never from the event that queued it.
import { SIDECARSET_HASH_ANNOTATION } from "../api/keys.js";
import { defaultSidecarSet } from "../api/defaults.js";
import { readProgressPolicy } from "../api/progress-policy.js";
import { STORAGE_VERSION } from "../api/storage-version.js";
import type { SidecarSet, SidecarSetStatus } from "../api/types.js";
import { podMatcherOf } from "../core/rollout/matching.js";
import { planUpgrade, stopReasonText, type Plan, type PlanOptions } from "../core/rollout/plan.js";
import { QuietPlanner } from "../core/rollout/quiet-plan.js";
import { rolloutMilestone } from "../core/rollout/milestones.js";
import { PlanMemo } from "../core/rollout/plan-memo.js";
import { recordedHash, setHash } from "../core/rollout/status.js";
import type { ExpectationCheck, Expectations } from "../core/rollout/expectations.js";
import { withReconciledCondition } from "../core/rollout/reconciled-condition.js";
import { describeFailures, type ProgressVerdict } from "../core/rollout/progress-deadline.js";
import { isHaltedCondition, progressingValue, withProgressingCondition } from "../core/rollout/progressing-condition.js";
import { PatchType, type RawKubeClient } from "../kube/raw-client.js";
import { resourcePath } from "../kube/resource-path.js";
import { describeError, isNotFound } from "../kube/errors.js";
import type { EventRecorder } from "../kube/events.js";
import type { WorkResult } from "../kube/workqueue.js";
import { errorFields, sidecarSetLogger, type Logger } from "../observability/logger.js";
import type { ManagerCaches } from "./caches.js";
import { RevisionRegistrar } from "./revision-registrar.js";
import { sidecarSetRef } from "./object-refs.js";
import { RoundWriter } from "./round-writer.js";
import { STATUS_WRITE_INTERVAL_MS, statusEqual, statusWriteIntervalMs } from "./status-writes.js";

/** The pod cache's journal is trimmed at most this often: it then holds up to a second of changes more. */
const RELEASE_INTERVAL_MS = 1_000;

/** Hooks for metrics; every one optional so tests can leave them out. */
export interface ReconcileMetrics {
  podsUpgraded?(sidecarSet: string, count: number): void;
  /** The status just computed, with the SidecarSet and its maxUnavailable as a pod count. */
  status?(set: SidecarSet, status: SidecarSetStatus, maxUnavailable: number): void;
  forget?(sidecarSet: string): void;
  /** The progress deadline's verdict; undefined when the SidecarSet has none. */
  progress?(sidecarSet: string, verdict: ProgressVerdict | undefined): void;
}

export interface ReconcilerDeps {
  client: RawKubeClient;
  caches: ManagerCaches;
  expectations: Expectations;
  recorder: EventRecorder;
  logger: Logger;
  /** Manager namespace (ControllerRevisions). */
  namespace: string;
  now?: () => Date;
  metrics?: ReconcileMetrics;
  /** `--native-sidecar-in-place-upgrade` (docs/behaviour.md §7a.6): native sidecars' image changes are rolled out in place. */
  nativeSidecarInPlaceUpgrade?: boolean;

  /**
   * Whether the API server already sends the SidecarSet's pods to the pod
   * webhook (docs/behaviour.md §7a.2) and this replica's webhook already holds
   * the SidecarSet at its generation (§6.4). Until then status.observedGeneration
   * keeps its old value: once it shows a generation, a pod created then gets
   * that generation's sidecars.
   */
  podWebhookCovers?: (set: SidecarSet) => boolean;
}

/** How soon a reconcile looks again whether the pod webhook's scope has caught up. */
export const SCOPE_WAIT_REQUEUE_MS = 250;

export const EXPECTATION_REQUEUE_MS = 1_000;

/** The sooner of two requeue requests. */
function soonest(a: WorkResult, b: number | undefined): WorkResult {
  if (b === undefined) return a;
  if (!a) return { requeueAfterMs: b };
  return { requeueAfterMs: Math.min(a.requeueAfterMs, b) };
}

/**
 * SidecarSets written before the defaulting webhook existed lack the hash
 * annotations; the defaulted copy computes them so rollouts still work.
 */
export function effectiveSidecarSet(set: SidecarSet): SidecarSet {
  return set.metadata.annotations?.[SIDECARSET_HASH_ANNOTATION] ? set : defaultSidecarSet(set);
}

export class SidecarSetReconciler {
  private readonly now: () => Date;

  /** Per SidecarSet: what its last plan learnt about the cached pods. */
  private readonly memos = new Map<string, PlanMemo>();

  /** Per SidecarSet: its last quiet plan, carried forward over pod changes. */
  private readonly quietPlans = new Map<string, QuietPlanner>();
  /** When the pod cache's journal was last trimmed (releaseChanges). */
  private releasedAt = -Infinity;

  /** Per SidecarSet: the rollout milestone last announced, with the hash it was for. */
  private readonly announced = new Map<string, string>();

  /** SidecarSets whose last reconcile acted on no pod because earlier writes were not shown yet. */
  private readonly turnedAway = new Set<string>();

  /** Per SidecarSet: when its status was last written (ms since the epoch). */
  private readonly statusWrittenAt = new Map<string, number>();

  /** Per SidecarSet: the unreadable progress-deadline annotations last warned about. */
  private readonly warnedPolicy = new Map<string, string>();

  /** Registers each SidecarSet's current revision, remembering registrations that wrote nothing. */
  private readonly revisions: RevisionRegistrar;

  /** The pod writes of a round. */
  private readonly rounds: RoundWriter;

  constructor(private readonly deps: ReconcilerDeps) {
    this.now = deps.now ?? (() => new Date());
    this.revisions = new RevisionRegistrar(deps.client, deps.namespace);
    this.rounds = new RoundWriter({
      client: deps.client,
      expectations: deps.expectations,
      recorder: deps.recorder,
      now: this.now,
      podsUpgraded: (set, count) => deps.metrics?.podsUpgraded?.(set, count),
    });
  }

  async reconcile(name: string): Promise<WorkResult> {
    const { caches, expectations, logger } = this.deps;
    const cached = caches.sidecarSet(name);
    if (!cached) {
      expectations.forgetSidecarSet(name);
      this.memos.delete(name);
      this.quietPlans.delete(name);
      this.announced.delete(name);
      this.statusWrittenAt.delete(name);
      this.turnedAway.delete(name);
      this.warnedPolicy.delete(name);
      this.revisions.forget(name);
      this.deps.metrics?.forget?.(name);
      return;
    }
    const log = sidecarSetLogger(logger, name);
    let set = effectiveSidecarSet(cached);
    const now = this.now();
    const namespaceLabels = caches.allNamespaceLabels();
    const canaryNames = caches.canaryNamesOf(name);
    // Looked at before planning, from the same cache: checked after the status
    // write's await instead, it could find writes the plan's older view of the
    // cache did not show, and the plan would pick pods already upgraded.
    const writesShown = this.earlierWritesShown(set, namespaceLabels, now, log);
    if (writesShown) this.turnedAway.delete(name);
    else this.turnedAway.add(name);
    // The plan reads no status, so it can come before the revision that the
    // upgrades record (status.latestRevision) is registered.
    const plan = this.plan(set, { now, namespaceLabels, canaryNames, nativeSidecarInPlaceUpgrade: this.deps.nativeSidecarInPlaceUpgrade === true });
    const registered = await this.revisions.register(set, caches.revisionsLabelled(name), () => plan.matched, log);
    set = { ...set, status: { ...(set.status ?? { matchedPods: 0, updatedPods: 0, readyPods: 0 }), ...registered } };
    const statusRetryMs = await this.writeStatus(set, plan, registered, now, log);
    this.announceMilestone(set, plan, registered.latestRevision);
    this.warnUnreadablePolicy(set);
    this.deps.metrics?.progress?.(name, plan.progress);
    const result = soonest(writesShown ? await this.act(set, plan, now, log) : { requeueAfterMs: EXPECTATION_REQUEUE_MS }, statusRetryMs);
    // An upgraded pod that is not ready yet fails at its deadline with no event to say so: look again then.
    const recheckAt = plan.progress?.recheckAt;
    return recheckAt === undefined ? result : soonest(result, Math.max(0, recheckAt - now.getTime()));
  }

  /**
   * A progress-deadline annotation stored before validation refused such
   * values leaves the gate off; say so once per value, where people look.
   */
  private warnUnreadablePolicy(set: SidecarSet): void {
    const name = set.metadata.name ?? "";
    const { errors } = readProgressPolicy(set.metadata.annotations);
    const key = errors.map((e) => `${e.path}: ${e.message}`).join("; ");
    if (this.warnedPolicy.get(name) === key) return;
    this.warnedPolicy.set(name, key);
    if (errors.length === 0) return;
    this.deps.recorder.event(sidecarSetRef(set), "Warning", "InvalidProgressDeadline", `${key}; the progress deadline is off for this SidecarSet until the value is fixed`);
  }

  /**
   * The plan over the cached pods: carried forward from the last one when
   * that only wrote the status and few pods changed since, else in full.
   */
  private plan(set: SidecarSet, opts: Omit<PlanOptions, "memo">): Plan {
    const name = set.metadata.name ?? "";
    const pods = this.deps.caches.pods;
    let memo = this.memos.get(name);
    if (!memo) this.memos.set(name, (memo = new PlanMemo()));
    let quiet = this.quietPlans.get(name);
    if (!quiet) this.quietPlans.set(name, (quiet = new QuietPlanner()));
    const revision = pods.revision;
    const nowMs = opts.now.getTime();
    const since = quiet.revision;
    const previous = since === undefined ? undefined : pods.changesSince(since);
    const listing = () => this.deps.caches.podsInScope(set);
    let plan = previous ? quiet.carryForward(set, { previous, current: (key) => pods.get(key) }, { ...opts, memo }, listing, revision, nowMs) : undefined;
    if (!plan) {
      plan = planUpgrade(set, listing(), { ...opts, memo });
      quiet.recordFull(set, plan, memo, revision, nowMs);
    }
    this.releaseChanges(nowMs);
    return plan;
  }

  /**
   * Lets the pod cache drop the objects its changes replaced that no quiet plan
   * can still be carried forward over: with none, it holds none of them.
   */
  private releaseChanges(nowMs: number): void {
    // Each release asks every SidecarSet's quiet plan; once per plan, a round of 1,000 SidecarSets asked a million.
    if (nowMs >= this.releasedAt && nowMs - this.releasedAt < RELEASE_INTERVAL_MS) return;
    this.releasedAt = nowMs;
    const pods = this.deps.caches.pods;
    let oldest = pods.revision;
    for (const quiet of this.quietPlans.values()) {
      const since = quiet.neededSince(nowMs);
      if (since !== undefined && since < oldest) oldest = since;
    }
    pods.forgetChangesBefore(oldest);
  }

  /**
   * Records a failed reconcile where people look: a Warning event with the
   * error (the API server's message for a refused write) and the
   * `Reconciled=False` condition. Never throws: the failure is already being
   * retried, and this is only its report.
   */
  async recordFailure(name: string, error: unknown): Promise<void> {
    const set = this.deps.caches.sidecarSet(name);
    if (!set) return;
    const message = describeError(error);
    this.deps.recorder.event(sidecarSetRef(set), "Warning", "ReconcileFailed", message);
    const now = this.now();
    const conditions = withReconciledCondition(set.status?.conditions, { ok: false, message }, now);
    if (!conditions || this.statusWriteDeferral(name, now) !== undefined) return;
    try {
      await this.patchStatus(name, { conditions }, now);
    } catch (e) {
      if (!isNotFound(e)) this.deps.logger.warn({ sidecarset: name, ...errorFields(e) }, "could not record the failure in the status");
    }
  }

  /** An event when the rollout reaches its partition or completes, once per SidecarSet version. */
  private announceMilestone(set: SidecarSet, plan: Plan, latestRevision: string): void {
    const milestone = rolloutMilestone(plan, latestRevision);
    if (!milestone) return;
    const name = set.metadata.name ?? "";
    const key = `${setHash(set)}/${milestone.kind}/${plan.status.updatedPods}`;
    if (this.announced.get(name) === key) return;
    this.announced.set(name, key);
    this.deps.recorder.event(sidecarSetRef(set), "Normal", milestone.reason, milestone.message);
  }

  /** Whether the cache shows every earlier pod write of S (the rest waited too long); S acts on pods only then. */
  private earlierWritesShown(set: SidecarSet, namespaceLabels: ReturnType<ManagerCaches["allNamespaceLabels"]>, now: Date, log: Logger): boolean {
    if (!this.deps.expectations.hasPending(set.metadata.name ?? "")) return true;
    const check = this.checkEarlierWrites(set, namespaceLabels, now, log);
    if (!check.satisfied) log.debug({ pending: check.pending }, "waiting for the cache to show earlier pod writes");
    return check.satisfied;
  }

  /**
   * Whether a reconcile of S found earlier pod writes not yet shown (and so
   * acted on no pod), and the cache now shows them all. A pod event that
   * brings the last one then lets S act at once, instead of on the next pod
   * event or its requeue (EXPECTATION_REQUEUE_MS): during a rollout, pods
   * that became ready meanwhile hold places that the next pods are waiting for.
   */
  awaitedWritesNowShown(name: string): boolean {
    if (!this.turnedAway.has(name)) return false;
    const { caches, expectations, logger } = this.deps;
    const cached = caches.sidecarSet(name);
    const shown = !cached || !expectations.hasPending(name) || this.checkEarlierWrites(effectiveSidecarSet(cached), caches.allNamespaceLabels(), this.now(), sidecarSetLogger(logger, name)).satisfied;
    if (shown) this.turnedAway.delete(name);
    return shown;
  }

  private checkEarlierWrites(set: SidecarSet, namespaceLabels: ReturnType<ManagerCaches["allNamespaceLabels"]>, now: Date, log: Logger): ExpectationCheck {
    const { caches, expectations } = this.deps;
    const name = set.metadata.name ?? "";
    const isMatched = podMatcherOf(set, namespaceLabels);
    const check = expectations.check(
      name,
      setHash(set),
      (key) => {
        const pod = caches.pods.get(key);
        if (!pod || !isMatched(pod)) return undefined;
        return {
          recordedHash: recordedHash(pod, name),
          ...(pod.metadata?.resourceVersion ? { resourceVersion: pod.metadata.resourceVersion } : {}),
        };
      },
      now,
    );
    for (const e of check.expired) {
      log.warn({ pod: e.pod, kind: e.kind, ageMs: e.ageMs }, "gave up waiting for the cache to show an earlier write");
    }
    return check;
  }

  /** Steps after the status, once the cache shows every earlier write: flip or upgrade. */
  private async act(set: SidecarSet, plan: Plan, now: Date, log: Logger): Promise<WorkResult> {
    if (plan.stopped === "hot-upgrade-flip") {
      await this.rounds.flipHotUpgrades(set, plan.hotUpgradeFlip, log);
      return;
    }
    if (plan.stopped) {
      if (plan.stopped === "invalid-strategy") {
        log.warn({ errors: plan.errors }, stopReasonText(plan.stopped));
      } else {
        log.debug({ reason: plan.stopped }, stopReasonText(plan.stopped));
      }
      return;
    }
    await this.rounds.markNotUpgradable(set, plan, now, log);
    await this.rounds.upgrade(set, plan, log);
    return;
  }

  /** Milliseconds until S's status may be written again, or undefined when it may be now. */
  private statusWriteDeferral(name: string, now: Date, intervalMs = STATUS_WRITE_INTERVAL_MS): number | undefined {
    const last = this.statusWrittenAt.get(name);
    if (last === undefined) return undefined;
    const wait = last + intervalMs - now.getTime();
    return wait > 0 ? wait : undefined;
  }

  private async patchStatus(name: string, status: Partial<SidecarSetStatus>, now: Date): Promise<void> {
    this.statusWrittenAt.set(name, now.getTime());
    await this.deps.client.patch(
      resourcePath({ group: "apps.kruise.io", version: STORAGE_VERSION, resource: "sidecarsets", name, subresource: "status" }),
      { status },
      PatchType.merge,
    );
  }

  /** Writes the status when it changed; returns when to retry a write the rate limit deferred. */
  private async writeStatus(
    set: SidecarSet,
    plan: Plan,
    registered: { latestRevision: string; collisionCount: number },
    now: Date,
    log: Logger,
  ): Promise<number | undefined> {
    const name = set.metadata.name ?? "";
    const cachedStatus = this.deps.caches.sidecarSet(name)?.status;
    // Once a generation is observed it stays so: only a generation not yet observed waits for the pod webhooks.
    const observed = (cachedStatus?.observedGeneration ?? 0) >= (set.metadata.generation ?? 0);
    const covered = observed || (this.deps.podWebhookCovers?.(set) ?? true);
    const scopeWait = covered ? undefined : SCOPE_WAIT_REQUEUE_MS;
    const generation = covered ? (set.metadata.generation ?? 0) : 0;
    const status: SidecarSetStatus = {
      observedGeneration: Math.max(cachedStatus?.observedGeneration ?? 0, generation),
      matchedPods: plan.status.matchedPods,
      updatedPods: plan.status.updatedPods,
      readyPods: plan.status.readyPods,
      updatedReadyPods: plan.status.updatedReadyPods,
      notInjectedPods: plan.status.notInjectedPods,
      latestRevision: registered.latestRevision,
      collisionCount: registered.collisionCount,
      conditions: this.conditionsOf(plan, cachedStatus?.conditions, registered.latestRevision, now),
    };
    this.deps.metrics?.status?.(set, status, plan.maxUnavailable);
    if (statusEqual(cachedStatus, status)) return scopeWait;
    const deferral = this.statusWriteDeferral(name, now, statusWriteIntervalMs(cachedStatus, status));
    if (deferral !== undefined) return deferral;
    const previousNotInjected = cachedStatus?.notInjectedPods ?? 0;
    try {
      await this.patchStatus(name, status, now);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
    log.debug({ status }, "status updated");
    if (plan.progress?.halted && !isHaltedCondition(cachedStatus?.conditions)) {
      this.deps.recorder.event(
        sidecarSetRef(set),
        "Warning",
        "ProgressDeadlineExceeded",
        `rollout of revision ${registered.latestRevision} halted: ${plan.progress.failed.length} upgraded pod(s) failed: ${describeFailures(plan.progress.failed)}`,
      );
      log.warn({ failed: plan.progress.failed }, "rollout halted by its progress deadline");
    }
    if ((status.notInjectedPods ?? 0) > previousNotInjected) {
      this.deps.recorder.event(
        sidecarSetRef(set),
        "Warning",
        "PodsNotInjected",
        `${status.notInjectedPods} pod(s) match this SidecarSet but were created without its sidecars ` +
          "(before it existed, while injection was paused, or while the webhook was unavailable); " +
          "they get the sidecars only when they are recreated",
      );
    }
    return scopeWait;
  }

  /** `Reconciled=True`, and `Progressing` as the plan says (dropped when S has no progress deadline). */
  private conditionsOf(
    plan: Plan,
    cached: SidecarSetStatus["conditions"],
    latestRevision: string,
    now: Date,
  ): NonNullable<SidecarSetStatus["conditions"]> {
    const reconciled = withReconciledCondition(cached, { ok: true }, now) ?? cached ?? [];
    return withProgressingCondition(reconciled, progressingValue(plan, latestRevision), now) ?? reconciled;
  }

}
