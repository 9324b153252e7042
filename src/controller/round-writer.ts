// The pod writes of one rollout round, after the plan decided them: the
// in-place image upgrades (a few side by side), the hot-upgrade flips, and the
// SidecarSetUpgradable condition of pods that cannot be upgraded in place. Each
// write is guarded by the resourceVersion it was computed from and recorded as
// an expectation, so the next reconcile waits for the cache to show it.
import type { Pod } from "../api/kube-types.js";
import { podInjectedList } from "../api/pod-records.js";
import type { SidecarSet } from "../api/types.js";
import { upgradableCondition } from "../core/rollout/condition.js";
import type { Expectations } from "../core/rollout/expectations.js";
import { flipHotUpgrade } from "../core/rollout/hot-upgrade-flip.js";
import { podKey } from "../core/rollout/matching.js";
import type { Plan } from "../core/rollout/plan.js";
import { recordedHash, setHash } from "../core/rollout/status.js";
import { upgradePod } from "../core/rollout/upgrade-pod.js";
import type { RawKubeClient } from "../kube/raw-client.js";
import { describeError, isNotFound } from "../kube/errors.js";
import type { EventRecorder } from "../kube/events.js";
import { errorFields, podLogger, type Logger } from "../observability/logger.js";
import { forEachLimited } from "./limited.js";
import { patchPodStatus, patchPodWithRetry } from "./pod-writer.js";
import { podRef, sidecarSetRef } from "./object-refs.js";

/** Pod upgrades of one round written side by side. */
export const POD_WRITE_CONCURRENCY = 32;

export interface RoundWriterDeps {
  client: RawKubeClient;
  expectations: Expectations;
  recorder: EventRecorder;
  now: () => Date;
  /** Pods upgraded in a round, per SidecarSet. */
  podsUpgraded?(sidecarSet: string, count: number): void;
}

export class RoundWriter {
  constructor(private readonly deps: RoundWriterDeps) {}

  private now(): Date {
    return this.deps.now();
  }

  async markNotUpgradable(set: SidecarSet, plan: Plan, now: Date, log: Logger): Promise<void> {
    const name = set.metadata.name ?? "";
    if (plan.notUpgradable.length === 0) return;
    for (const pod of plan.notUpgradable) {
      const update = upgradableCondition(pod, name, false, now);
      if (!update.changed) continue;
      try {
        await patchPodStatus(this.deps.client, pod, update.patch);
      } catch (e) {
        if (isNotFound(e)) continue;
        throw e;
      }
    }
    this.deps.recorder.event(
      sidecarSetRef(set),
      "Normal",
      "NotUpgradablePods",
      `SidecarSet in-place update detected ${plan.notUpgradable.length} not upgradable pod(s) in this round, will skip them.`,
    );
    log.info({ pods: plan.notUpgradable.map(podKey) }, "pods not upgradable in place: something besides images changed");
  }

  async upgrade(set: SidecarSet, plan: Plan, log: Logger): Promise<void> {
    const name = set.metadata.name ?? "";
    const hash = setHash(set);
    let upgraded = 0;
    await forEachLimited(plan.upgrade, POD_WRITE_CONCURRENCY, async (pod) => {
      const key = podKey(pod);
      const podLog = podLogger(log, pod.metadata?.namespace, pod.metadata?.name);
      let written;
      try {
        written = await patchPodWithRetry(this.deps.client, pod, (current) => {
          if (recordedHash(current, name) === hash) return null;
          const injectedList = podInjectedList(current);
          const result = upgradePod(set, current, { now: this.now(), ...(injectedList.length ? { injectedList } : {}) });
          if (!result.ok) throw new Error(`${result.error.path}: ${result.error.message}`);
          return { patch: result.patch, result: result.changedContainers };
        });
      } catch (e) {
        if (isNotFound(e)) {
          podLog.info("pod was deleted before its upgrade");
          return;
        }
        this.deps.recorder.event(podRef(pod), "Warning", "SidecarUpgradeFailed", `failed to upgrade sidecars of SidecarSet ${name}: ${describeError(e)}`);
        this.deps.recorder.event(sidecarSetRef(set), "Warning", "SidecarUpgradeFailed", `failed to upgrade pod ${key}: ${describeError(e)}`);
        podLog.error(errorFields(e), "in-place sidecar upgrade failed");
        throw e;
      }
      if (!written) return;
      this.deps.expectations.expectUpdate(name, key, hash, this.now());
      upgraded++;
      const containers = written.result;
      const message = containers.length
        ? `upgraded sidecar container(s) ${containers.join(", ")} of SidecarSet ${name} in place`
        : `recorded SidecarSet ${name}'s new revision (no image changed)`;
      this.deps.recorder.event(podRef(written.pod), "Normal", "SidecarUpgraded", message);
      podLog.info({ containers }, "sidecar upgraded in place");
      const condition = upgradableCondition(written.pod, name, true, this.now());
      if (condition.changed) {
        try {
          await patchPodStatus(this.deps.client, written.pod, condition.patch);
        } catch (e) {
          if (!isNotFound(e)) podLog.warn(errorFields(e), "could not update the SidecarSetUpgradable condition");
        }
      }
    });
    if (upgraded > 0) {
      this.deps.podsUpgraded?.(name, upgraded);
      this.deps.recorder.event(sidecarSetRef(set), "Normal", "SidecarUpgraded", `upgraded ${upgraded} pod(s) in place`);
      log.info({ upgraded, limitedBy: plan.limitedBy, unavailableAfter: plan.unavailableAfter }, "rollout round done");
    }
  }

  async flipHotUpgrades(set: SidecarSet, pods: readonly Pod[], log: Logger): Promise<void> {
    const name = set.metadata.name ?? "";
    for (const pod of pods) {
      try {
        const written = await patchPodWithRetry(this.deps.client, pod, (current) => {
          const flip = flipHotUpgrade(set, current, { now: this.now() });
          return flip ? { patch: flip.patch, result: flip.changedContainers } : null;
        });
        if (!written) continue;
        this.deps.expectations.expectResourceVersion(name, podKey(pod), written.pod.metadata?.resourceVersion ?? "", this.now());
        this.deps.recorder.event(podRef(pod), "Normal", "ResetContainerSucceed", "reset sidecar container image empty successfully");
      } catch (e) {
        if (isNotFound(e)) continue;
        this.deps.recorder.event(podRef(pod), "Warning", "ResetContainerFailed", `reset sidecar container image empty failed: ${describeError(e)}`);
        log.error({ ...errorFields(e), pod: podKey(pod) }, "hot-upgrade flip failed");
        throw e;
      }
    }
  }
}
