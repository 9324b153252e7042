// How events name the objects they are about.
import type { Pod } from "../api/kube-types.js";
import { API_VERSION, KIND, type SidecarSet } from "../api/types.js";
import type { ObjectReference } from "../kube/events.js";

export function sidecarSetRef(set: SidecarSet): ObjectReference {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    name: set.metadata.name ?? "",
    ...(set.metadata.uid ? { uid: set.metadata.uid } : {}),
    ...(set.metadata.resourceVersion ? { resourceVersion: set.metadata.resourceVersion } : {}),
  };
}

export function podRef(pod: Pod): ObjectReference {
  return {
    apiVersion: "v1",
    kind: "Pod",
    name: pod.metadata?.name ?? "",
    namespace: pod.metadata?.namespace ?? "",
    ...(pod.metadata?.uid ? { uid: pod.metadata.uid } : {}),
  };
}
