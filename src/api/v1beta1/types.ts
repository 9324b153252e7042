// The SidecarSet API at apps.kruise.io/v1beta1, the version the API server
// stores (docs/compatibility.md). It is v1alpha1 field for field, except that
// the one-namespace shortcut `spec.namespace` is gone (a namespaceSelector on
// `kubernetes.io/metadata.name` says the same) and the custom version, a
// label in v1alpha1, is a spec field. The manager works on the v1alpha1 shape
// in memory; src/api/conversion.ts maps between the two.
import type { ObjectMeta } from "../kube-types.js";
import { GROUP, type SidecarSetSpec as V1alpha1Spec, type SidecarSetStatus } from "../types.js";

export const V1BETA1 = "v1beta1";
export const V1BETA1_API_VERSION = `${GROUP}/${V1BETA1}`;

export interface SidecarSetSpec extends Omit<V1alpha1Spec, "namespace"> {
  /** The revision's custom version; v1alpha1 keeps it in a label (keys.CUSTOM_VERSION_LABEL). */
  customVersion?: string;
}

export interface SidecarSet {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: SidecarSetSpec;
  status?: SidecarSetStatus;
}
