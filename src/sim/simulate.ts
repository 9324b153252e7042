// Drives the real planner against a model kubelet, wave by wave, until the
// rollout stops: what a controller would do over time, without a cluster.
import type { Pod } from "../api/kube-types.js";
import { formatTimestamp } from "../api/pod-records.js";
import type { SidecarSet } from "../api/types.js";
import { isNotUpgradable, nativeSidecarImageChanged } from "../core/rollout/candidates.js";
import { flipHotUpgrade } from "../core/rollout/hot-upgrade-flip.js";
import { podKey, type NamespaceLabels } from "../core/rollout/matching.js";
import { planUpgrade, type Plan } from "../core/rollout/plan.js";
import type { RolloutStatus } from "../core/rollout/status.js";
import { upgradePod } from "../core/rollout/upgrade-pod.js";
import { noFailures, type FailPredicate } from "./fail.js";
import { ModelKubelet } from "./kubelet.js";

export interface SimulationOptions {
  /** Seconds from an image change in the spec to the container restart. */
  restartSeconds: number;
  /** Seconds from the restart to the container being ready. */
  readySeconds: number;
  fails?: FailPredicate;
  /** When the partition stops the rollout, release it (partition 0) and go on. */
  untilPartitionDone?: boolean;
  /** Wall-clock time of t = 0. */
  start: Date;
  namespaceLabels?: NamespaceLabels;
  /** Safety limit on planner rounds. */
  maxRounds?: number;
  /** As the manager's `--native-sidecar-in-place-upgrade`: native sidecars' image changes are upgraded in place. */
  nativeSidecarInPlaceUpgrade?: boolean;
}

export type PodPhaseInRollout = "old" | "not-upgradable" | "upgrading" | "restarting" | "failed" | "updated";

export interface Wave {
  /** 1-based number of the wave; 0 for a partition release. */
  wave: number;
  /** Seconds since the start. */
  time: number;
  kind: "upgrade" | "hot-upgrade-flip" | "partition-released";
  pods: string[];
  /** Counts right after the wave was written. */
  updated: number;
  ready: number;
  unavailable: number;
}

export type StopReason =
  | "done"
  | "partition-reached"
  | "paused"
  | "not-update"
  | "blocked-by-unavailable"
  | "nothing-upgradable"
  | "invalid-strategy"
  | "upgrade-failed"
  | "round-limit";

export interface SimulationResult {
  sidecarSet: string;
  pods: number;
  waves: Wave[];
  stopped: { reason: StopReason; time: number; message: string };
  final: RolloutStatus;
  /** Most pods unavailable (updated, not yet consistent and ready) at any moment. */
  maxUnavailableSeen: number;
  maxUnavailable: number;
  /** Per matched pod, the phases it went through; `to` of the last segment is `endTime`. */
  timeline: { pod: string; segments: { from: number; to: number; phase: PodPhaseInRollout }[] }[];
  endTime: number;
}

function phaseOf(entry: Plan["pods"][number], failing: boolean): PodPhaseInRollout | null {
  if (entry.state === "not-injected") return null;
  if (entry.state === "not-upgradable") return "not-upgradable";
  if (!entry.updated) return "old";
  if (!entry.consistent) return "upgrading";
  if (!entry.ready) return failing ? "failed" : "restarting";
  return "updated";
}

function stopMessage(reason: StopReason, plan: Plan, set: SidecarSet): string {
  switch (reason) {
    case "done": {
      const notServing = plan.status.matchedPods - plan.status.updatedReadyPods;
      return notServing === 0
        ? "every matched pod runs the current version"
        : `every matched pod is updated; ${notServing} never became ready`;
    }
    case "partition-reached":
      return `partition keeps ${plan.partition} pod(s) on the old version`;
    case "paused":
      return "updateStrategy.paused is true";
    case "not-update":
      return "updateStrategy.type is NotUpdate";
    case "blocked-by-unavailable":
      return `${plan.unavailable} upgraded pod(s) never became ready; maxUnavailable ${plan.maxUnavailable} is used up`;
    case "nothing-upgradable": {
      const left = plan.status.matchedPods - plan.status.updatedPods;
      // Without the flag, a native sidecar's new image waits for the pod to be recreated, as in the manager.
      const nativeWaits = plan.notUpgradable.filter((pod) => !isNotUpgradable(set, pod) && nativeSidecarImageChanged(set, pod)).length;
      const why =
        nativeWaits > 0
          ? `${nativeWaits} with a native sidecar whose image changed (upgraded in place only with --native-sidecar-in-place-upgrade; otherwise recreate them), ` +
            `${plan.notUpgradable.length - nativeWaits} not upgradable (recreate them)`
          : `${plan.notUpgradable.length} not upgradable (recreate them)`;
      return `${left} pod(s) are not updated and cannot be: ${why}, the rest not selected by updateStrategy.selector`;
    }
    case "invalid-strategy":
      return plan.errors.map((e) => `${e.path}: ${e.message}`).join("; ");
    case "upgrade-failed":
      return "the upgrade of a pod failed";
    case "round-limit":
      return "stopped after too many planner rounds";
  }
}

export function simulate(set: SidecarSet, pods: readonly Pod[], opts: SimulationOptions): SimulationResult {
  const base = opts.start.getTime();
  const clock = (t: number): string => formatTimestamp(new Date(base + t * 1000));
  const fails = opts.fails ?? noFailures();
  const kubelet = new ModelKubelet(pods, { restartSeconds: opts.restartSeconds, readySeconds: opts.readySeconds, fails }, clock);
  const current = structuredClone(set);
  const maxRounds = opts.maxRounds ?? 100_000;
  const waves: Wave[] = [];
  const timeline = new Map<string, { from: number; to: number; phase: PodPhaseInRollout }[]>();
  let pendingWave: Wave | undefined;
  let maxUnavailableSeen = 0;
  let t = 0;
  let plan: Plan | undefined;
  let stopped: SimulationResult["stopped"] | undefined;

  const record = (p: Plan): void => {
    for (const entry of p.pods) {
      const phase = phaseOf(entry, kubelet.isFailing(entry.pod));
      if (!phase) continue;
      let segments = timeline.get(entry.pod);
      if (!segments) timeline.set(entry.pod, (segments = []));
      const last = segments[segments.length - 1];
      if (last?.phase === phase) continue;
      if (last) last.to = t;
      segments.push({ from: t, to: t, phase });
    }
  };
  const addWave = (kind: Wave["kind"], podKeys: string[]): void => {
    // Releasing the partition is a step of the timeline, not a wave of upgrades.
    const wave = kind === "partition-released" ? 0 : waves.filter((w) => w.kind !== "partition-released").length + 1;
    pendingWave = { wave, time: t, kind, pods: podKeys, updated: 0, ready: 0, unavailable: 0 };
    waves.push(pendingWave);
  };

  for (let round = 0; !stopped; round++) {
    plan = planUpgrade(current, kubelet.list(), {
      now: new Date(base + t * 1000),
      ...(opts.namespaceLabels ? { namespaceLabels: opts.namespaceLabels } : {}),
      nativeSidecarInPlaceUpgrade: opts.nativeSidecarInPlaceUpgrade === true,
    });
    record(plan);
    maxUnavailableSeen = Math.max(maxUnavailableSeen, plan.unavailable);
    if (pendingWave) {
      Object.assign(pendingWave, { updated: plan.status.updatedPods, ready: plan.status.readyPods, unavailable: plan.unavailable });
      pendingWave = undefined;
    }
    if (round >= maxRounds) {
      stopped = { reason: "round-limit", time: t, message: stopMessage("round-limit", plan, current) };
      break;
    }
    const now = new Date(base + t * 1000);
    if (plan.stopped === "hot-upgrade-flip") {
      const flipped: string[] = [];
      for (const pod of plan.hotUpgradeFlip) {
        const flip = flipHotUpgrade(current, pod, { now });
        if (!flip) continue;
        kubelet.write(flip.pod, t);
        flipped.push(podKey(pod));
      }
      if (flipped.length > 0) {
        addWave("hot-upgrade-flip", flipped);
        continue;
      }
    }
    if (!plan.stopped && plan.upgrade.length > 0) {
      const upgraded: string[] = [];
      for (const pod of plan.upgrade) {
        const r = upgradePod(current, pod, { now });
        if (!r.ok) {
          stopped = { reason: "upgrade-failed", time: t, message: `${podKey(pod)}: ${r.error.path}: ${r.error.message}` };
          break;
        }
        kubelet.write(r.pod, t);
        upgraded.push(podKey(pod));
      }
      if (upgraded.length > 0) addWave("upgrade", upgraded);
      continue;
    }
    const next = kubelet.nextEventTime();
    if (next !== null) {
      t = Math.max(t, next);
      kubelet.advance(t);
      continue;
    }
    const reason = idleReason(plan);
    if (reason === "partition-reached" && opts.untilPartitionDone) {
      current.spec.updateStrategy = { ...(current.spec.updateStrategy ?? {}), partition: 0 };
      addWave("partition-released", []);
      continue;
    }
    stopped = { reason, time: t, message: stopMessage(reason, plan, current) };
  }

  const endTime = t;
  for (const segments of timeline.values()) segments[segments.length - 1]!.to = endTime;
  const last = plan!;
  return {
    sidecarSet: set.metadata.name ?? "",
    pods: last.status.matchedPods,
    waves,
    stopped: stopped!,
    final: last.status,
    maxUnavailableSeen,
    maxUnavailable: last.maxUnavailable,
    timeline: [...timeline.entries()].map(([pod, segments]) => ({ pod, segments })),
    endTime,
  };
}

/** Why a plan with nothing to do on an idle node is the end of the rollout. */
function idleReason(plan: Plan): StopReason {
  switch (plan.stopped) {
    case "all-updated":
      return "done";
    case "paused":
      return "paused";
    case "not-update":
      return "not-update";
    case "invalid-strategy":
      return "invalid-strategy";
    default:
      break;
  }
  if (plan.limitedBy === "partition") return "partition-reached";
  if (plan.limitedBy === "max-unavailable") return "blocked-by-unavailable";
  return "nothing-upgradable";
}
