// The progress deadline (docs/behaviour.md §7a.5): which pods upgraded to the
// current revision have failed, and whether that halts the rollout. Derived
// each time from the pods and the SidecarSet alone — when a pod was patched is
// the `updateTimestamp` of its hash record, written with the patch — so a halt
// holds across manager restarts and needs no memory of its own. Time is an
// argument; nothing here reads a clock.
import type { ContainerStatus, Pod } from "../../api/kube-types.js";
import { podHashRecords, podInPlaceUpdateStates } from "../../api/pod-records.js";
import type { ProgressPolicy } from "../../api/progress-policy.js";
import { podKey } from "./matching.js";
import { timeOf } from "../../api/rfc3339.js";

export type FailureReason = "CrashLoopBackOff" | "ImagePullBackOff" | "ErrImagePull" | "Restarted" | "ProgressDeadlineExceeded";

/** How one updated pod stands under the gate. */
export type UpgradeHealth =
  /** Not judged: given this revision at creation, patched before the last resume's second, or no patch time known. */
  | { kind: "untracked" }
  /** Ready on the new image, and no upgraded sidecar restarted since the patch. */
  | { kind: "healthy" }
  /** Not ready yet; fails at `deadline` (ms) unless it becomes ready first. */
  | { kind: "pending"; deadline: number }
  | { kind: "failed"; reason: FailureReason; container?: string };

export interface UpgradeHealthInput {
  policy: ProgressPolicy;
  /** The pod is consistent and ready in the SidecarSet sense. */
  available: boolean;
  nowMs: number;
}

/**
 * What a pod object says about its upgrade, whatever the time and the
 * policy: so a plan can remember it per pod object (see PlanMemo).
 */
export interface UpgradeFacts {
  /** When S's current image was patched in (ms); 0 when the pod was not upgraded in place or the time is unknown. */
  patchedAt: number;
  /** A failure the kubelet already reports. */
  failure: { reason: FailureReason; container?: string } | undefined;
}

/**
 * The facts of one pod that records S's current hash. A pod is judged only
 * when the controller patched it in place (S has an in-place update entry on
 * it): a pod created with this revision was never "upgraded".
 */
export function upgradeFactsOf(pod: Pod, setName: string, sidecarContainers: readonly string[]): UpgradeFacts {
  const record = podHashRecords(pod)[setName];
  const patchedAt = timeOf(record?.updateTimestamp ?? undefined);
  if (patchedAt === 0) return { patchedAt: 0, failure: undefined };
  const states = podInPlaceUpdateStates(pod);
  if (!states.ok || !states.value[setName]) return { patchedAt: 0, failure: undefined };
  return { patchedAt, failure: containerFailure(pod, sidecarContainers, patchedAt) };
}

/** Judges a pod by its facts, under the policy, at `nowMs`. */
export function judgeUpgrade(facts: UpgradeFacts, input: UpgradeHealthInput): UpgradeHealth {
  const { patchedAt } = facts;
  if (patchedAt === 0) return { kind: "untracked" };
  if (input.policy.resumedAt !== undefined && patchedAt < input.policy.resumedAt) return { kind: "untracked" };
  if (facts.failure) return { kind: "failed", ...facts.failure };
  if (input.available) return { kind: "healthy" };
  const deadline = patchedAt + input.policy.deadlineSeconds * 1000;
  return input.nowMs >= deadline ? { kind: "failed", reason: "ProgressDeadlineExceeded" } : { kind: "pending", deadline };
}

/**
 * A failure the kubelet reports at once: an upgraded sidecar waits in a state
 * it will not leave by itself, or an instance of it that ran the new image has
 * already terminated. The instance the patch itself replaced does not count.
 */
function containerFailure(pod: Pod, names: readonly string[], patchedAt: number): UpgradeFacts["failure"] {
  for (const name of names) {
    const status = containerStatusOf(pod, name);
    if (!status) continue;
    const waiting = status.state?.waiting?.reason;
    const restartedSincePatch = ranAfterPatch(status.lastState?.terminated, patchedAt);
    if (waiting === "ImagePullBackOff" || waiting === "ErrImagePull") return { reason: waiting, container: name };
    if (waiting === "CrashLoopBackOff" && restartedSincePatch) return { reason: waiting, container: name };
    if (restartedSincePatch) return { reason: "Restarted", container: name };
  }
  return undefined;
}

/** How late after a patch the kubelet may still run, and then stop, an instance of the old image. */
const KUBELET_LAG_ALLOWANCE_MS = 2_000;

/**
 * Whether a terminated instance ran the new image, judged by its times (whole
 * seconds, as Kubernetes writes them). It must have started strictly after the
 * patch's second: one started in that second may be the one the patch replaced.
 * And it must have ended more than two seconds after the patch's second: the
 * kubelet learns of a patch late on a busy node, so a crash-looping old
 * container can come back from its back-off just after the patch and be stopped
 * for the new image only when the kubelet sees it. Such an instance ran the old
 * image; counting it would halt the rollout of a fix for that very crash. A new
 * instance that fails that early is judged by the next one, or the deadline.
 */
function ranAfterPatch(terminated: { startedAt?: string; finishedAt?: string } | undefined, patchedAt: number): boolean {
  const started = timeOf(terminated?.startedAt);
  if (started === 0 || started <= patchedAt) return false;
  const finished = timeOf(terminated?.finishedAt);
  return finished === 0 || finished > patchedAt + KUBELET_LAG_ALLOWANCE_MS;
}

export interface FailedUpgrade {
  /** `namespace/name`. */
  pod: string;
  reason: FailureReason;
  container?: string;
}

export interface ProgressVerdict {
  /** Failed pods of the current revision, in (namespace, name) order. */
  failed: FailedUpgrade[];
  /** Pods judged: updated in place to the current revision and not forgiven by a resume. */
  tracked: number;
  /**
   * Judged pods not healthy (failed or pending). Unlike `failed`, this does
   * not change with time alone — only a pod or SidecarSet change moves it —
   * so a plan carried forward over pod changes can add it up.
   */
  unsettled: number;
  halted: boolean;
  /** Failed pods that halt the rollout (`sidecarset.io/max-failed-upgrades`). */
  maxFailed: number;
  /** The earliest deadline still ahead (ms), when a tracked pod is not ready yet: judge again then. */
  recheckAt?: number;
}

/** Folds per-pod judgements into a verdict; pods must come in (namespace, name) order. */
export class ProgressTally {
  private readonly failed: FailedUpgrade[] = [];
  private tracked = 0;
  private unsettled = 0;
  private recheckAt: number | undefined;

  constructor(private readonly policy: ProgressPolicy) {}

  add(pod: Pod, health: UpgradeHealth): void {
    if (health.kind === "untracked") return;
    this.tracked++;
    if (health.kind !== "healthy") this.unsettled++;
    if (health.kind === "failed") {
      this.failed.push({ pod: podKey(pod), reason: health.reason, ...(health.container ? { container: health.container } : {}) });
    } else if (health.kind === "pending" && (this.recheckAt === undefined || health.deadline < this.recheckAt)) {
      this.recheckAt = health.deadline;
    }
  }

  verdict(): ProgressVerdict {
    const halted = this.failed.length >= this.policy.maxFailed;
    return {
      failed: this.failed,
      tracked: this.tracked,
      unsettled: this.unsettled,
      halted,
      maxFailed: this.policy.maxFailed,
      // A halted rollout waits for a person or a new revision, not for a clock.
      ...(this.recheckAt !== undefined && !halted ? { recheckAt: this.recheckAt } : {}),
    };
  }
}

/** One line naming the failed pods, for the condition and the event. */
export function describeFailures(failed: readonly FailedUpgrade[], limit = 10): string {
  const shown = failed.slice(0, limit).map((f) => `${f.pod} (${f.container ? `${f.container}: ` : ""}${f.reason})`);
  const more = failed.length > limit ? ` and ${failed.length - limit} more` : "";
  return `${shown.join(", ")}${more}`;
}

/**
 * True when one of the named containers restarted or changed its waiting
 * reason between the two pod versions: a failure the gate acts on at once,
 * which need not flip the pod's Ready condition (a pull that keeps failing
 * leaves an unready pod unready).
 */
export function sidecarHealthChanged(oldPod: Pod, newPod: Pod, names: readonly string[]): boolean {
  for (const name of names) {
    const a = containerStatusOf(oldPod, name);
    const b = containerStatusOf(newPod, name);
    if (a?.restartCount !== b?.restartCount || a?.state?.waiting?.reason !== b?.state?.waiting?.reason) return true;
  }
  return false;
}

/** The named container's status; a native sidecar's is among the initContainerStatuses. */
function containerStatusOf(pod: Pod, name: string): ContainerStatus | undefined {
  const status = pod.status;
  return status?.containerStatuses?.find((s) => s.name === name) ?? status?.initContainerStatuses?.find((s) => s.name === name);
}
