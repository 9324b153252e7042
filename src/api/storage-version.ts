// The one place that names the SidecarSet version the manager reads, watches
// and writes: the CRD's storage version. Reading it needs no conversion for
// objects stored at it, so the manager does not wait on its own conversion
// webhook for them; everything inside works on the v1alpha1 shape, into which
// objects are converted in memory as they arrive.
import { convertSidecarSet, NAMESPACE_NAME_LABEL } from "./conversion.js";
import type { LabelSelector } from "./kube-types.js";
import { GROUP, PLURAL, VERSION, type SidecarSet } from "./types.js";
import { V1BETA1 } from "./v1beta1/types.js";

export const STORAGE_VERSION = V1BETA1;

/** `/apis/apps.kruise.io/v1beta1/sidecarsets`: what the manager lists and watches. */
export const SIDECARSET_COLLECTION_PATH = `/apis/${GROUP}/${STORAGE_VERSION}/${PLURAL}`;

/**
 * A SidecarSet as read from the API server, in the manager's in-memory
 * (v1alpha1) shape. A namespaceSelector that only names one namespace — what
 * v1beta1 has instead of `spec.namespace` — is read as that namespace: the
 * API server sets the name label on every Namespace and never lets it change,
 * so the two select the same pods, and the name needs no Namespace object in
 * the cache (a pod in a namespace the cache has not seen yet is still
 * injected) and scopes the controller to that namespace's pods.
 */
export function sidecarSetFromStorage(object: SidecarSet): SidecarSet {
  const set = convertSidecarSet(object as unknown as Record<string, unknown>, VERSION) as unknown as SidecarSet;
  const name = set.spec && !set.spec.namespace ? namespaceNamedBy(set.spec.namespaceSelector) : undefined;
  if (name !== undefined) {
    delete set.spec.namespaceSelector;
    set.spec.namespace = name;
  }
  return set;
}

/** X for `{matchLabels: {kubernetes.io/metadata.name: X}}` and nothing else; otherwise undefined. */
function namespaceNamedBy(selector: LabelSelector | undefined): string | undefined {
  if (typeof selector !== "object" || selector === null) return undefined;
  const keys = Object.keys(selector).filter((k) => !(k === "matchExpressions" && (selector.matchExpressions ?? []).length === 0));
  if (keys.length !== 1 || keys[0] !== "matchLabels") return undefined;
  const labels = selector.matchLabels ?? {};
  const labelKeys = Object.keys(labels);
  const name = labels[NAMESPACE_NAME_LABEL];
  return labelKeys.length === 1 && typeof name === "string" && name !== "" ? name : undefined;
}
