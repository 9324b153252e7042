// The pure parts of `sidecarset rollout` (docs/behaviour.md §7a.4): where a
// rollout stands (from the controller's plan and the progress-deadline
// condition), the revision history as rows, which revision an undo goes back
// to, and the spec patches of pause, resume and undo.
import type { ControllerRevision } from "../api/kube-types.js";
import { formatTimestamp } from "../api/pod-records.js";
import type { SidecarSet, SidecarSetSpec } from "../api/types.js";
import { restoreFromRevision } from "../core/inject/revision.js";
import { RESUMED_AT_ANNOTATION } from "../api/keys.js";
import { progressHalt } from "../core/rollout/progressing-condition.js";
import type { Plan } from "../core/rollout/plan.js";
import { revisionsOf } from "../core/rollout/revisions.js";

export type RolloutState = "complete" | "progressing" | "paused" | "halted";

export interface RolloutProgress {
  state: RolloutState;
  /** The progress lines, first the summary. */
  lines: string[];
}

/**
 * Complete: every matched pod that is neither kept old by the partition nor
 * left out by updateStrategy.selector runs the current revision and is
 * ready. Pods that are not upgradable never will be and do not hold the
 * rollout open; they are named in the lines.
 */
export function rolloutProgress(set: SidecarSet, plan: Plan): RolloutProgress {
  const s = plan.status;
  const count = (state: string) => plan.pods.filter((e) => e.state === state).length;
  const inFlight = plan.pods.filter((e) => e.state === "updated" && !(e.consistent && e.ready)).length;
  const upgradeNow = count("upgrade");
  const budget = count("waiting-for-budget");
  const busy = count("busy");
  const partition = count("kept-by-partition");
  const notSelected = count("not-selected");
  const notUpgradable = count("not-upgradable");
  const stopped = count("rollout-stopped");
  const revision = set.status?.latestRevision ? ` (revision ${set.status.latestRevision})` : "";
  const lines = [
    `SidecarSet ${set.metadata.name ?? ""}${revision}: ${s.updatedPods} of ${s.matchedPods} updated, ${s.updatedReadyPods} updated and ready`,
  ];
  const detail = (n: number, text: string) => {
    if (n > 0) lines.push(`  ${n} ${text}`);
  };
  detail(inFlight, "upgrading: updated, not ready on the new image yet");
  detail(upgradeNow + busy, "upgrading: chosen for this round or still restarting");
  detail(budget, `waiting: maxUnavailable ${plan.maxUnavailable} is used up`);
  detail(partition, `kept by the partition (${plan.partition})`);
  detail(notSelected, "not selected by updateStrategy.selector");
  detail(notUpgradable, "not upgradable: something besides images changed; recreate them");

  const halt = progressHalt(set);
  if (halt && plan.stopped !== "paused") {
    lines.push(`halted: progress deadline exceeded${halt.message ? `: ${halt.message}` : ""}; \`rollout resume\` lifts it`);
    return { state: "halted", lines };
  }
  if (inFlight + upgradeNow + busy + budget + stopped === 0) {
    lines.push("rollout complete");
    return { state: "complete", lines };
  }
  if (plan.stopped === "paused") {
    lines.push(`paused: ${stopped} pod(s) wait for \`rollout resume\``);
    return { state: "paused", lines };
  }
  if (plan.stopped === "not-update") {
    lines.push(`updateStrategy.type is NotUpdate: ${stopped} pod(s) keep the old version until recreated`);
    return { state: "complete", lines };
  }
  if (plan.stopped === "invalid-strategy") lines.push(`waiting: updateStrategy is invalid: ${plan.errors.map((e) => `${e.path}: ${e.message}`).join("; ")}`);
  else if (plan.stopped === "hot-upgrade-flip") lines.push("waiting: hot-upgrade pods park their old containers first");
  return { state: "progressing", lines };
}

export interface HistoryRow {
  revision: number;
  name: string;
  /** `container=image` of every container and initContainer the revision holds. */
  images: string[];
  created: string;
  current: boolean;
}

/** S's ControllerRevisions oldest first; `current` marks status.latestRevision. */
export function historyRows(set: SidecarSet, revisions: readonly ControllerRevision[]): HistoryRow[] {
  return revisionsOf(set, revisions).map((r) => {
    const restored = restoreFromRevision(set, r);
    const spec: Partial<SidecarSetSpec> = restored.ok ? restored.set.spec : {};
    const images = [...(spec.initContainers ?? []), ...(spec.containers ?? [])].map((c) => `${c.name}=${c.image ?? ""}`);
    return {
      revision: r.revision ?? 0,
      name: r.metadata?.name ?? "",
      images,
      created: r.metadata?.creationTimestamp ?? "",
      current: r.metadata?.name === set.status?.latestRevision,
    };
  });
}

export type UndoTarget = { ok: true; revision: ControllerRevision } | { ok: false; message: string };

/**
 * The revision an undo restores: `--to-revision N`, or the newest one older
 * than the current (status.latestRevision, else the newest). A number that is
 * not there is answered with the numbers that are.
 */
export function undoTarget(set: SidecarSet, revisions: readonly ControllerRevision[], toRevision?: number): UndoTarget {
  const history = revisionsOf(set, revisions);
  const name = set.metadata.name ?? "";
  const known = history.map((r) => r.revision ?? 0).join(", ");
  if (toRevision !== undefined) {
    const revision = history.find((r) => (r.revision ?? 0) === toRevision);
    if (revision) return { ok: true, revision };
    return {
      ok: false,
      message: history.length === 0 ? `SidecarSet ${name} has no revisions` : `SidecarSet ${name} has no revision ${toRevision}; its revisions are ${known}`,
    };
  }
  const currentIndex = history.findIndex((r) => r.metadata?.name === set.status?.latestRevision);
  const index = (currentIndex >= 0 ? currentIndex : history.length - 1) - 1;
  if (index < 0) return { ok: false, message: `SidecarSet ${name} has no revision before the current one (revisions: ${known || "none"})` };
  return { ok: true, revision: history[index]! };
}

const RESTORED = ["containers", "initContainers", "volumes", "imagePullSecrets", "patchPodMetadata"] as const;

/**
 * The merge patch that writes a revision's content back into the spec: what
 * the revision restores (the same fields injection restores from a pinned
 * revision), absent ones removed; an error when the revision is unreadable.
 */
export function undoPatch(set: SidecarSet, revision: ControllerRevision): { spec: Record<string, unknown> } | { error: string } {
  const restored = restoreFromRevision(set, revision);
  if (!restored.ok) return { error: `${restored.error.path}: ${restored.error.message}` };
  const spec: Record<string, unknown> = {};
  for (const field of RESTORED) spec[field] = restored.set.spec[field] ?? null;
  return { spec };
}

export function pausePatch(): { spec: { updateStrategy: { paused: true } } } {
  return { spec: { updateStrategy: { paused: true } } };
}

/** Clears `paused` and stamps the resume time, which lifts a progress-deadline halt (§7a.5). */
export function resumePatch(now: Date): { metadata: { annotations: Record<string, string> }; spec: { updateStrategy: { paused: null } } } {
  return { metadata: { annotations: { [RESUMED_AT_ANNOTATION]: formatTimestamp(now) } }, spec: { updateStrategy: { paused: null } } };
}
