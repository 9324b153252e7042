// Builders for SidecarSets and pods in the states the rollout rules talk about.
import type { Pod } from "../../../../src/api/kube-types.js";
import type { SidecarSet, SidecarSetUpdateStrategy } from "../../../../src/api/types.js";
import { simulatedImageID } from "../../../../src/sim/kubelet.js";

export const SET = "sidecarset-a";
export const HASH = "hash-current";
export const OLD_HASH = "hash-old";
export const WITHOUT_IMAGE = "without-image-current";

/** The imageID the kubelet reports for an image. */
export const imageID = simulatedImageID;

export function makeSet(strategy: SidecarSetUpdateStrategy = {}, extra: Partial<SidecarSet["spec"]> = {}): SidecarSet {
  return {
    apiVersion: "apps.kruise.io/v1alpha1",
    kind: "SidecarSet",
    metadata: {
      name: SET,
      resourceVersion: "777",
      annotations: { "kruise.io/sidecarset-hash": HASH, "kruise.io/sidecarset-hash-without-image": WITHOUT_IMAGE },
    },
    spec: {
      selector: { matchLabels: { app: "web" } },
      containers: [{ name: "sidecar", image: "sidecar:v2" }],
      updateStrategy: { type: "RollingUpdate", ...strategy },
      ...extra,
    },
    status: { matchedPods: 0, updatedPods: 0, readyPods: 0, latestRevision: "sidecarset-a-rev2" },
  };
}

export interface PodState {
  namespace?: string;
  /** Records the current hash. */
  updated?: boolean;
  /** For updated pods: the kubelet already runs the new image (default true). */
  consistent?: boolean;
  /** Ready=True (default true). */
  ready?: boolean;
  /** Hash-without-image differs from the SidecarSet's. */
  notUpgradable?: boolean;
  /** Not updated, but a previous (older) upgrade is still in flight. */
  busy?: boolean;
  labels?: Record<string, string>;
  /** Seconds after 2026-01-01T00:00:00Z. */
  createdAt?: number;
  readySince?: number;
  restarts?: number;
  nodeName?: string;
  phase?: string;
  /**
   * The sidecar's kubelet state: its last terminated instance started at `restartedAt` and ended at `endedAt`
   * (default a second later), and it may wait now.
   */
  sidecar?: { restartedAt?: number; endedAt?: number; waiting?: string };
  /** For updated pods: when the upgrade was patched, seconds after the epoch of `at` (default 0). */
  patchedAt?: number;
  /** Updated at creation (no in-place update record): never "upgraded". */
  createdUpdated?: boolean;
}

const EPOCH = Date.parse("2026-01-01T00:00:00Z");
export const at = (s: number): string => new Date(EPOCH + s * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");

export function makePod(name: string, s: PodState = {}): Pod {
  const updated = s.updated ?? false;
  const consistent = s.consistent ?? true;
  const ready = s.ready ?? true;
  // Spec image: what the last upgrade wrote. Status: what the kubelet runs.
  const specImage = updated ? "sidecar:v2" : s.busy ? "sidecar:v1.5" : "sidecar:v1";
  const previous = updated ? "sidecar:v1" : "sidecar:v1";
  const running = (updated && !consistent) || s.busy ? previous : specImage;
  const annotations: Record<string, string> = {
    "kruise.io/sidecarset-injected-list": SET,
    "kruise.io/sidecarset-hash": JSON.stringify({
      [SET]: { updateTimestamp: at(s.patchedAt ?? 0), hash: updated ? HASH : OLD_HASH, sidecarSetName: SET, sidecarList: ["sidecar"] },
    }),
    "kruise.io/sidecarset-hash-without-image": JSON.stringify({
      [SET]: { updateTimestamp: at(0), hash: s.notUpgradable ? "without-image-old" : WITHOUT_IMAGE, sidecarSetName: SET, sidecarList: ["sidecar"] },
    }),
  };
  if ((updated && !s.createdUpdated) || s.busy) {
    annotations["kruise.io/sidecarset-inplace-update-state"] = JSON.stringify({
      [SET]: { revision: HASH, updateTimestamp: at(0), lastContainerStatuses: { sidecar: { imageID: imageID(previous) } } },
    });
  }
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: s.namespace ?? "default",
      labels: { app: "web", ...(s.labels ?? {}) },
      annotations,
      creationTimestamp: at(s.createdAt ?? 0),
      resourceVersion: "1",
    },
    spec: {
      nodeName: s.nodeName ?? "node-1",
      containers: [
        { name: "app", image: "app:v1" },
        { name: "sidecar", image: specImage },
      ],
    },
    status: {
      phase: s.phase ?? "Running",
      conditions: [{ type: "Ready", status: ready ? "True" : "False", lastTransitionTime: at(s.readySince ?? 0) }],
      containerStatuses: [
        { name: "app", image: "app:v1", imageID: imageID("app:v1"), ready: true, restartCount: s.restarts ?? 0 },
        {
          name: "sidecar",
          image: running,
          imageID: imageID(running),
          ready: true,
          restartCount: s.sidecar?.restartedAt !== undefined ? 2 : 0,
          ...(s.sidecar?.waiting ? { state: { waiting: { reason: s.sidecar.waiting } } } : {}),
          ...(s.sidecar?.restartedAt !== undefined
            ? { lastState: { terminated: { exitCode: 1, reason: "Error", startedAt: at(s.sidecar.restartedAt), finishedAt: at(s.sidecar.endedAt ?? s.sidecar.restartedAt + 1) } } }
            : {}),
        },
      ],
    },
  } as Pod;
}

export const names = (pods: readonly Pod[]): string[] => pods.map((p) => p.metadata?.name ?? "");
export const NOW = new Date("2026-02-01T00:00:00Z");
