// How often a SidecarSet's status is written (docs/behaviour.md §6.2 step 4).
// Each write is an API call, an etcd write and a watch event for every client
// of SidecarSets, on the same machines that admit pods: under pod churn the
// counts change with every pod, and writing them as often as they change
// slowed the admissions of the pods causing the churn (docs/benchmarks.md,
// admission). So counts alone are written at a slower pace than anything a
// user or a tool waits for: a new observedGeneration, a new revision, a
// condition, or a settled rollout.
import { isDeepStrictEqual } from "node:util";
import type { SidecarSetStatus } from "../api/types.js";
import { SETTLED_COUNTS_DELAY_MS } from "../core/triggers.js";
import { isSettled } from "../core/rollout/status.js";

/** The least time between two status writes of one SidecarSet. */
export const STATUS_WRITE_INTERVAL_MS = 1_000;

/**
 * The least time before a write that changes only counts (and does not finish a rollout). Pod events that
 * can change only a settled SidecarSet's counts wait as long before its reconcile (core/triggers.ts).
 */
export const COUNTS_WRITE_INTERVAL_MS = SETTLED_COUNTS_DELAY_MS;

const COUNTS = ["matchedPods", "updatedPods", "readyPods", "updatedReadyPods", "notInjectedPods"] as const satisfies readonly (keyof SidecarSetStatus)[];
const OTHERS = ["observedGeneration", "latestRevision", "collisionCount"] as const satisfies readonly (keyof SidecarSetStatus)[];

function sameFields(a: SidecarSetStatus, b: SidecarSetStatus, keys: readonly (keyof SidecarSetStatus)[]): boolean {
  return keys.every((k) => (a[k] ?? null) === (b[k] ?? null));
}

function sameBesidesCounts(a: SidecarSetStatus, b: SidecarSetStatus): boolean {
  return sameFields(a, b, OTHERS) && isDeepStrictEqual(a.conditions ?? [], b.conditions ?? []);
}

/** Whether `b` says nothing `a` does not. */
export function statusEqual(a: SidecarSetStatus | undefined, b: SidecarSetStatus): boolean {
  return a !== undefined && sameFields(a, b, COUNTS) && sameBesidesCounts(a, b);
}

/**
 * The interval that must have passed since the last write before `next` replaces `written`. A rollout that
 * just settled is written at the status pace; counts that change while everything stays settled (pods
 * created, or deleted, with the current sidecars) are counts alone.
 */
export function statusWriteIntervalMs(written: SidecarSetStatus | undefined, next: SidecarSetStatus): number {
  if (written === undefined || !sameBesidesCounts(written, next)) return STATUS_WRITE_INTERVAL_MS;
  if (isSettled(next) && !isSettled(written)) return STATUS_WRITE_INTERVAL_MS;
  return COUNTS_WRITE_INTERVAL_MS;
}
