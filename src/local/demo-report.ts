// What `sidecarset demo` shows and checks, computed from plain objects: one
// progress line per change (the SidecarSet's status counts and the pods per
// sidecar image) and the final checks of an in-place upgrade.
import type { Pod } from "../api/kube-types.js";
import type { SidecarSet } from "../api/types.js";

export interface DemoNames {
  /** The injected sidecar container: "logtail". */
  sidecar: string;
  /** The application container: "web-server". */
  app: string;
}

export interface Progress {
  /** From the SidecarSet's status (0 until the controller has written it). */
  matched: number;
  updated: number;
  ready: number;
  updatedReady: number;
  /** Pods that exist and are not being deleted. */
  pods: number;
  /** Pods per sidecar image in the pod spec, sorted by image; "(none)" for pods without the sidecar. */
  images: [image: string, count: number][];
  /** Pods whose sidecar still reports an older image: restarting for an in-place upgrade. */
  restarting: number;
  /** Pods whose sidecar has its spec image but is not ready yet: a new pod starting. */
  starting: number;
  /** Pods that are not Ready. */
  notReady: number;
}

export function isPodReady(pod: Pod): boolean {
  return pod.status?.phase === "Running" && (pod.status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
}

export function livePods(pods: readonly Pod[]): Pod[] {
  return pods.filter((p) => !p.metadata?.deletionTimestamp);
}

const specImage = (pod: Pod, name: string): string | undefined => pod.spec?.containers.find((c) => c.name === name)?.image;
const statusOf = (pod: Pod, name: string) => pod.status?.containerStatuses?.find((s) => s.name === name);

export function progressOf(set: SidecarSet | undefined, allPods: readonly Pod[], names: DemoNames): Progress {
  const pods = livePods(allPods);
  const byImage = new Map<string, number>();
  let restarting = 0;
  let starting = 0;
  for (const pod of pods) {
    const image = specImage(pod, names.sidecar);
    byImage.set(image ?? "(none)", (byImage.get(image ?? "(none)") ?? 0) + 1);
    if (image === undefined) continue;
    const status = statusOf(pod, names.sidecar);
    if (status?.image && status.image !== image) restarting++;
    else if (!status?.ready) starting++;
  }
  const s = set?.status;
  return {
    matched: s?.matchedPods ?? 0,
    updated: s?.updatedPods ?? 0,
    ready: s?.readyPods ?? 0,
    updatedReady: s?.updatedReadyPods ?? 0,
    pods: pods.length,
    images: [...byImage.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    restarting,
    starting,
    notReady: pods.filter((p) => !isPodReady(p)).length,
  };
}

/** "matched 20  updated 4  ready 17  updatedReady 1 | pods 20: busybox:1.36 x16, busybox:1.37 x4 | 3 restarting, 3 not ready" */
export function formatProgress(p: Progress): string {
  const images = p.images.length === 0 ? "none yet" : p.images.map(([image, n]) => `${image} x${n}`).join(", ");
  const counts = `matched ${p.matched}  updated ${p.updated}  ready ${p.ready}  updatedReady ${p.updatedReady}`;
  const moving = [
    p.starting > 0 ? `${p.starting} starting` : "",
    p.restarting > 0 ? `${p.restarting} restarting` : "",
    p.notReady > 0 ? `${p.notReady} not ready` : "",
  ].filter(Boolean).join(", ");
  return `${counts} | pods ${p.pods}: ${images}${moving ? ` | ${moving}` : ""}`;
}

/** What each pod looked like before the upgrade, by UID. */
export interface Baseline {
  pods: Map<string, { name: string; appRestarts: number }>;
}

export function baselineOf(pods: readonly Pod[], names: DemoNames): Baseline {
  const map = new Map<string, { name: string; appRestarts: number }>();
  for (const pod of livePods(pods)) {
    const uid = pod.metadata?.uid;
    if (uid) map.set(uid, { name: pod.metadata?.name ?? "", appRestarts: statusOf(pod, names.app)?.restartCount ?? 0 });
  }
  return { pods: map };
}

export interface Check {
  ok: boolean;
  text: string;
}

export interface UpgradeExpectation {
  image: string;
  maxUnavailable: number;
  /** The most pods seen not Ready at one time during the upgrade. */
  maxNotReadySeen: number;
}

/** The checks that make an upgrade "in place": same pods, the app untouched, the sidecar restarted once on the new image. */
export function finalChecks(baseline: Baseline, allPods: readonly Pod[], names: DemoNames, expect: UpgradeExpectation): Check[] {
  const pods = livePods(allPods);
  const total = baseline.pods.size;
  const kept = pods.filter((p) => baseline.pods.has(p.metadata?.uid ?? "")).length;
  const appRestarted = pods.filter((p) => (statusOf(p, names.app)?.restartCount ?? 0) !== (baseline.pods.get(p.metadata?.uid ?? "")?.appRestarts ?? 0));
  const upgraded = pods.filter((p) => {
    const s = statusOf(p, names.sidecar);
    return specImage(p, names.sidecar) === expect.image && s?.image === expect.image && s.ready && s.restartCount === 1;
  }).length;
  return [
    {
      ok: kept === total && pods.length === total,
      text: `pod UIDs unchanged: ${kept}/${total} pods are the same objects as before the upgrade${pods.length !== total ? ` (${pods.length} pods exist now)` : ""}`,
    },
    {
      ok: appRestarted.length === 0,
      text: appRestarted.length === 0
        ? `app container ${names.app}: restartCount 0 on every pod (never restarted)`
        : `app container ${names.app} restarted on ${appRestarted.length} pods: ${appRestarted.map((p) => p.metadata?.name).join(", ")}`,
    },
    {
      ok: upgraded === total,
      text: `sidecar ${names.sidecar}: ${upgraded}/${total} pods run ${expect.image}, restarted in place exactly once`,
    },
    {
      ok: expect.maxNotReadySeen <= expect.maxUnavailable,
      text: `at most ${expect.maxNotReadySeen} pods were unavailable at once (maxUnavailable ${expect.maxUnavailable})`,
    },
  ];
}
