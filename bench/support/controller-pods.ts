// Pods as the controller benchmarks' caches hold them: injected by the given
// SidecarSets, up to date with each, running, and decoded from JSON as an
// informer delivers them.
import { SIDECARSET_HASH_ANNOTATION, SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION, SIDECARSET_INJECTED_LIST_ANNOTATION } from "../../src/api/keys.js";
import type { Container, Pod } from "../../src/api/kube-types.js";
import { serializeUpgradeRecords } from "../../src/api/pod-records.js";
import type { SidecarSet } from "../../src/api/types.js";
import { setHash, setHashWithoutImage } from "../../src/core/rollout/status.js";

export const STAMP = "2026-01-01T00:00:00Z";

/** The annotations of a pod injected by `sets` and up to date with each; each record lists the SidecarSet's containers. */
export function upToDateAnnotations(sets: readonly SidecarSet[]): Record<string, string> {
  const records = (kind: "hash" | "without-image") =>
    serializeUpgradeRecords(
      Object.fromEntries(
        sets.map((s) => {
          const name = s.metadata.name!;
          const hash = kind === "hash" ? setHash(s) : setHashWithoutImage(s);
          return [name, { updateTimestamp: STAMP, hash, sidecarSetName: name, sidecarList: (s.spec.containers ?? []).map((c) => c.name) }];
        }),
      ),
      kind,
    );
  return {
    [SIDECARSET_INJECTED_LIST_ANNOTATION]: sets.map((s) => s.metadata.name).join(","),
    [SIDECARSET_HASH_ANNOTATION]: records("hash"),
    [SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION]: records("without-image"),
  };
}

/** Pod `web-<index>`, running with every container started, Ready or not. */
export function runningPod(opts: {
  index: number;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  containers: Container[];
  ready: boolean;
}): Pod {
  const pod: Pod = {
    metadata: {
      name: `web-${opts.index}`,
      namespace: opts.namespace,
      uid: `pod-${opts.index}`,
      resourceVersion: String(1000 + opts.index),
      creationTimestamp: STAMP,
      labels: opts.labels,
      annotations: opts.annotations,
    },
    spec: { nodeName: "node-1", containers: opts.containers },
    status: {
      phase: "Running",
      conditions: [{ type: "Ready", status: opts.ready ? "True" : "False", lastTransitionTime: STAMP }],
      containerStatuses: opts.containers.map((c) => ({
        name: c.name,
        image: c.image,
        imageID: `docker-pullable://${(c.image ?? "").split(":")[0]}@sha256:${"1".repeat(64)}`,
        ready: true,
        restartCount: 0,
        started: true,
        state: { running: { startedAt: STAMP } },
      })),
    },
  } as Pod;
  return JSON.parse(JSON.stringify(pod)) as Pod;
}
