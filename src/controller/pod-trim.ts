// What the controller keeps of a pod in its cache. A pod's spec is mostly what
// the controller never reads (env, mounts, probes, resources, volumes), and
// with many sidecars it is most of the pod's size; the cache holds every pod of
// the cluster, so it keeps only what the rollout reads: every container's name
// and image, in their places (patches address containers by index), the native
// sidecar marker of init containers, and the node. Metadata and status are kept
// whole. A pod write that conflicts re-reads the whole pod from the API server.
import type { Container, Pod, PodSpec } from "../api/kube-types.js";

function nameAndImage(c: Container): Container {
  return c.image === undefined ? { name: c.name } : { name: c.name, image: c.image };
}

export function trimPodForController(pod: Pod): Pod {
  const spec = pod.spec;
  if (!spec) return pod;
  const kept: PodSpec = { containers: (spec.containers ?? []).map(nameAndImage) };
  if (spec.initContainers) {
    kept.initContainers = spec.initContainers.map((c) => (c.restartPolicy === undefined ? nameAndImage(c) : { ...nameAndImage(c), restartPolicy: c.restartPolicy }));
  }
  if (spec.nodeName !== undefined) kept.nodeName = spec.nodeName;
  return { ...pod, spec: kept };
}
