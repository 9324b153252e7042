// The SidecarSet API at apps.kruise.io/v1beta1, the version the API server
// stores (docs/compatibility.md). It is v1alpha1 field for field, except that
// the one-namespace shortcut `spec.namespace` is gone (a namespaceSelector on
// `kubernetes.io/metadata.name` says the same) and the custom version, a
// label in v1alpha1, is a spec field. The manager works on the v1alpha1 shape
// in memory; src/api/conversion.ts maps between the two.
import { GROUP, type SidecarSet as V1alpha1SidecarSet, type SidecarSetSpec as V1alpha1Spec } from "../types.js";

export const V1BETA1 = "v1beta1";
export const V1BETA1_API_VERSION = `${GROUP}/${V1BETA1}`;

export interface SidecarSetSpec extends Omit<V1alpha1Spec, "namespace"> {
  /** The revision's custom version; v1alpha1 keeps it in a label (keys.CUSTOM_VERSION_LABEL). */
  customVersion?: string;
}

/** Metadata and status as in v1alpha1. */
export interface SidecarSet extends Omit<V1alpha1SidecarSet, "spec"> {
  spec: SidecarSetSpec;
}
