// Out-of-cluster mode (`--webhook-host`): the API server must reach `/convert`
// at the manager's URL, so the manager points the CRD's conversion webhook at
// itself, as it does with its admission webhook configurations.
import type { RawKubeClient } from "../kube/raw-client.js";
import { resourcePath } from "../kube/resource-path.js";
import { isNotFound } from "../kube/errors.js";
import { PatchType } from "../kube/raw-client.js";
import { CRD_NAME, crdConversion } from "../manifests/crd.js";
import type { ManifestOptions } from "../manifests/options.js";

/**
 * Sets the SidecarSet CRD's `spec.conversion` to call the manager as
 * `options` say. Returns false when the CRD does not exist.
 */
export async function pointCrdConversionAt(client: Pick<RawKubeClient, "patch">, options: ManifestOptions): Promise<boolean> {
  const path = resourcePath({ group: "apiextensions.k8s.io", version: "v1", resource: "customresourcedefinitions", name: CRD_NAME });
  // A whole replace: a merge would keep a `service` next to the new `url`.
  const ops = [{ op: "replace" as const, path: "/spec/conversion", value: crdConversion(options) }];
  try {
    await client.patch(path, ops, PatchType.json);
    return true;
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
}
