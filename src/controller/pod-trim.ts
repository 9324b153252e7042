// What the controller keeps of a pod in its cache. A pod's spec is mostly what
// the controller never reads (env, mounts, probes, resources, volumes), and
// with many sidecars it is most of the pod's size; the cache holds every pod of
// the cluster, so it keeps only what the rollout reads: every container's name
// and image, in their places (patches address containers by index), the native
// sidecar marker of init containers, and the node. Of the status it keeps the
// phase, the conditions and, of each container status, what says which image
// runs and how the container fares (no addresses, IDs, resources or mounts).
// Metadata is kept whole. Repeated string values are shared between pods
// (interned in place: the informer hands over a freshly parsed object, and
// equal strings replace equal strings). A pod write that conflicts re-reads
// the whole pod from the API server.
import type { Container, ContainerStatus, Pod, PodSpec, PodStatus } from "../api/kube-types.js";
import { StringInterner } from "../kube/string-interner.js";

/**
 * Metadata values unique to one pod, not worth a place in the table (owner references' names are skipped
 * with the pod's name: one per ReplicaSet, a small loss).
 */
const UNIQUE_METADATA_KEYS: ReadonlySet<string> = new Set(["name", "uid", "resourceVersion"]);
/** The controller's pod cache is one per process: so is its table. */
const sharedStrings = new StringInterner();

function nameAndImage(c: Container): Container {
  return c.image === undefined ? { name: c.name } : { name: c.name, image: c.image };
}

/** Built in one key order, so the kept statuses of all pods share one object shape. */
function keptContainerStatus(s: ContainerStatus): ContainerStatus {
  const out = { name: s.name } as ContainerStatus;
  if (s.image !== undefined) out.image = s.image;
  if (s.imageID !== undefined) out.imageID = s.imageID;
  if (s.ready !== undefined) out.ready = s.ready;
  if (s.restartCount !== undefined) out.restartCount = s.restartCount;
  if (s.state !== undefined) out.state = s.state;
  if (s.lastState !== undefined) out.lastState = s.lastState;
  return out;
}

function keptStatus(status: PodStatus): PodStatus {
  const out: PodStatus = {};
  if (status.phase !== undefined) out.phase = status.phase;
  if (status.conditions !== undefined) out.conditions = status.conditions;
  if (status.containerStatuses !== undefined) out.containerStatuses = status.containerStatuses.map(keptContainerStatus);
  if (status.initContainerStatuses !== undefined) out.initContainerStatuses = status.initContainerStatuses.map(keptContainerStatus);
  return out;
}

export function trimPodForController(pod: Pod): Pod {
  const strings = sharedStrings;
  const { metadata, spec, status } = pod;
  if (metadata) strings.internAll(metadata, UNIQUE_METADATA_KEYS);
  const kept = status && strings.internAll(keptStatus(status));
  if (!spec) return kept ? { ...pod, status: kept } : pod;
  const keptSpec: PodSpec = { containers: (spec.containers ?? []).map(nameAndImage) };
  if (spec.initContainers) {
    keptSpec.initContainers = spec.initContainers.map((c) => (c.restartPolicy === undefined ? nameAndImage(c) : { ...nameAndImage(c), restartPolicy: c.restartPolicy }));
  }
  if (spec.nodeName !== undefined) keptSpec.nodeName = spec.nodeName;
  return { ...pod, spec: strings.internAll(keptSpec), ...(kept ? { status: kept } : {}) };
}
