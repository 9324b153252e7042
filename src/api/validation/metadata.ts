// SidecarSet metadata (SPEC §4.2 #1): the name, cluster scope, and the label
// and annotation syntax every Kubernetes object must follow.
import type { ObjectMeta } from "../kube-types.js";
import type { Findings } from "./findings.js";
import { keyPath } from "./paths.js";
import { checkLabelValue, checkQualifiedName } from "./syntax.js";

const SIDECARSET_NAME = /^[a-zA-Z0-9-]+$/;
const SIDECARSET_NAME_MAX = 63;
/** Kubernetes' limit on the total size of an object's annotations. */
export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

export function validateMetadata(meta: ObjectMeta | undefined, f: Findings): void {
  if (!meta) {
    if (!f.hasShapeErrorWithin("metadata")) f.error("metadata", "must be set; a SidecarSet needs at least metadata.name");
    return;
  }
  validateName(meta.name, f);
  if (meta.namespace) {
    f.error(
      "metadata.namespace",
      `is ${JSON.stringify(meta.namespace)}; SidecarSet is cluster-scoped, remove metadata.namespace (use spec.namespace to limit it to one namespace's pods)`,
    );
  }
  validateLabels(meta.labels, "metadata.labels", f);
  validateAnnotations(meta.annotations, "metadata.annotations", f);
}

function validateName(name: string | undefined, f: Findings): void {
  if (!name) {
    f.error("metadata.name", "must be set; use letters, digits and '-' (e.g. log-agent)");
    return;
  }
  if (!SIDECARSET_NAME.test(name)) {
    f.error("metadata.name", `${JSON.stringify(name)} is not a valid SidecarSet name; use only letters, digits and '-' (e.g. log-agent)`);
  }
  if (name.length > SIDECARSET_NAME_MAX) {
    f.error("metadata.name", `is ${name.length} characters long; a SidecarSet name has at most ${SIDECARSET_NAME_MAX}`);
  }
}

export function validateLabels(labels: Record<string, string> | undefined, path: string, f: Findings): void {
  for (const [key, value] of Object.entries(labels ?? {})) {
    const badKey = checkQualifiedName(key, "label key");
    if (badKey) f.error(keyPath(path, key), badKey);
    const badValue = checkLabelValue(value);
    if (badValue) f.error(keyPath(path, key), badValue);
  }
}

/** Annotation keys are qualified names (checked lower-cased) and all annotations together stay under 256 KiB. */
export function validateAnnotations(annotations: Record<string, string> | undefined, path: string, f: Findings): void {
  let total = 0;
  for (const [key, value] of Object.entries(annotations ?? {})) {
    const badKey = checkQualifiedName(key.toLowerCase(), "annotation key");
    if (badKey) f.error(keyPath(path, key), badKey);
    total += Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT) {
    f.error(path, `total ${total} bytes; annotations may hold at most ${TOTAL_ANNOTATION_SIZE_LIMIT} bytes`);
  }
}
