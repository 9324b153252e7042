// Pods for a simulation when none are given: N running, ready pods that the
// SidecarSet selects and injected at an earlier version, so every one of them
// has an upgrade waiting (its native sidecars too, as init containers that
// restart always). Scatter keys get spread values, so scatter has something
// to do.
import { splitImageReference } from "../api/image-reference.js";
import type { Pod } from "../api/kube-types.js";
import {
  SIDECARSET_HASH_ANNOTATION,
  SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION,
  SIDECARSET_INJECTED_LIST_ANNOTATION,
  SIDECARSET_WORKING_HOT_UPGRADE_CONTAINER_ANNOTATION,
} from "../api/keys.js";
import { formatTimestamp, serializeStringMap, serializeUpgradeRecords } from "../api/pod-records.js";
import type { SidecarSet } from "../api/types.js";
import { hotUpgradePairNames, isHotUpgradeContainer, isNativeSidecar, sidecarListOf } from "../api/sidecar-containers.js";
import type { NamespaceLabels } from "../core/rollout/matching.js";
import { isKeyOnlyTerm } from "../core/rollout/scatter.js";
import { setHashWithoutImage } from "../core/rollout/status.js";
import { versionAltAnnotation, versionAnnotation } from "../core/rollout/upgrade-pod.js";
import { simulatedImageID } from "./kubelet.js";

/** The image a pod ran before this version: the tag gets a `-previous` suffix. */
export function previousImage(image: string): string {
  const { repository, tag } = splitImageReference(image);
  return tag ? `${repository}:${tag}-previous` : `${repository}:previous`;
}

/** Labels that satisfy a selector's matchLabels, `In` and `Exists` terms. */
function labelsFor(selector: SidecarSet["spec"]["selector"]): Record<string, string> {
  const labels: Record<string, string> = { ...(selector?.matchLabels ?? {}) };
  for (const e of selector?.matchExpressions ?? []) {
    if (e.operator === "In" && e.values?.[0] !== undefined) labels[e.key] = e.values[0];
    if (e.operator === "Exists") labels[e.key] = "true";
  }
  return labels;
}

export interface GeneratedPods {
  pods: Pod[];
  namespaceLabels: NamespaceLabels;
}

/** `replicas` pods injected by an older version of `set`, created one second apart before `start`. */
export function generatePods(set: SidecarSet, replicas: number, start: Date): GeneratedPods {
  const name = set.metadata.name ?? "";
  const namespace = set.spec.namespace || (set.spec.namespaceSelector ? "simulated" : "default");
  const namespaceLabels: NamespaceLabels = set.spec.namespaceSelector ? { [namespace]: labelsFor(set.spec.namespaceSelector) } : {};
  const baseLabels = labelsFor(set.spec.selector);
  const sidecarList = sidecarListOf(set);
  // Injected when created: each pod's records carry its own creation time.
  const record = (hash: string, stamp: string) => ({ [name]: { updateTimestamp: stamp, hash, sidecarSetName: name, sidecarList } });
  const width = String(Math.max(replicas - 1, 0)).length;
  const pods: Pod[] = [];
  for (let i = 0; i < replicas; i++) {
    const labels: Record<string, string> = { ...baseLabels };
    (set.spec.updateStrategy?.scatterStrategy ?? []).forEach((term, t) => {
      if (isKeyOnlyTerm(term)) labels[term.key] = `${term.key}-${(i + t) % 3}`;
      else if (i % 3 === t % 3) labels[term.key] = term.value as string;
    });
    const created = formatTimestamp(new Date(start.getTime() - (replicas - i) * 1000));
    const annotations: Record<string, string> = {
      [SIDECARSET_INJECTED_LIST_ANNOTATION]: name,
      [SIDECARSET_HASH_ANNOTATION]: serializeUpgradeRecords(record("previous", created), "hash"),
      [SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION]: serializeUpgradeRecords(record(setHashWithoutImage(set), created), "without-image"),
    };
    const containers: { name: string; image: string }[] = [{ name: "app", image: "app:1" }];
    const working: Record<string, string> = {};
    for (const c of set.spec.containers ?? []) {
      const old = previousImage(c.image ?? "");
      if (isHotUpgradeContainer(c)) {
        const [first, second] = hotUpgradePairNames(c.name);
        containers.push({ name: first, image: old }, { name: second, image: c.upgradeStrategy?.hotUpgradeEmptyImage ?? "" });
        working[c.name] = first;
        Object.assign(annotations, {
          [versionAnnotation(first)]: "1",
          [versionAltAnnotation(first)]: "0",
          [versionAnnotation(second)]: "0",
          [versionAltAnnotation(second)]: "1",
        });
      } else {
        containers.push({ name: c.name, image: old });
      }
    }
    if (Object.keys(working).length > 0) annotations[SIDECARSET_WORKING_HOT_UPGRADE_CONTAINER_ANNOTATION] = serializeStringMap(working);
    const nativeSidecars = (set.spec.initContainers ?? [])
      .filter(isNativeSidecar)
      .map((c) => ({ name: c.name, image: previousImage(c.image ?? ""), restartPolicy: "Always" }));
    const running = (c: { name: string; image: string }) => ({ name: c.name, image: c.image, imageID: simulatedImageID(c.image), ready: true, restartCount: 0 });
    pods.push({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: `pod-${String(i).padStart(width, "0")}`, namespace, labels, annotations, creationTimestamp: created },
      spec: { nodeName: `node-${i % 10}`, ...(nativeSidecars.length > 0 ? { initContainers: nativeSidecars } : {}), containers },
      status: {
        phase: "Running",
        conditions: [{ type: "Ready", status: "True", lastTransitionTime: created }],
        ...(nativeSidecars.length > 0 ? { initContainerStatuses: nativeSidecars.map(running) } : {}),
        containerStatuses: containers.map(running),
      },
    } as Pod);
  }
  return { pods, namespaceLabels };
}
