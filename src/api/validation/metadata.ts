// SidecarSet metadata: first what the API server checks on every custom
// resource — the name a DNS-1123 subdomain, label keys and values, annotation
// keys and their total size, finalizer names, owner references — at the paths
// and in the words the API server uses, so `validate` refuses what a cluster
// refuses and reads alike; then the SidecarSet name rule on top (no '.', at
// most 63 characters) and cluster scope.
import type { ObjectMeta } from "../kube-types.js";
import type { Findings } from "./findings.js";
import { validateOwnerReferences } from "./owner-references.js";
import { checkDns1123Subdomain, checkLabelValue, checkQualifiedName } from "./syntax.js";

/** OpenKruise's rule; together with the API server's lower-case subdomain rule it leaves lower-case letters, digits and '-'. */
const SIDECARSET_NAME = /^[a-zA-Z0-9-]+$/;
const SIDECARSET_NAME_MAX = 63;
/** Kubernetes' limit on the total size of an object's annotations. */
export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;
const NAME_ADVICE = `use lower-case letters, digits and '-', starting and ending with a letter or digit (e.g. "log-agent")`;

export function validateMetadata(meta: ObjectMeta | undefined, f: Findings): void {
  if (!meta) {
    if (!f.hasShapeErrorWithin("metadata")) f.error("metadata", "must be set; a SidecarSet needs at least metadata.name");
    return;
  }
  if (!meta.name && meta.generateName) validateGenerateName(meta.generateName, f);
  else validateName(meta.name, f);
  if (meta.namespace) {
    f.error(
      "metadata.namespace",
      `is ${JSON.stringify(meta.namespace)}; SidecarSet is cluster-scoped, remove metadata.namespace (use spec.namespace to limit it to one namespace's pods)`,
    );
  }
  validateLabels(meta.labels, "metadata.labels", f);
  validateAnnotations(meta.annotations, "metadata.annotations", f);
  validateFinalizers(meta.finalizers, f);
  validateOwnerReferences(meta.ownerReferences, f);
}

/** `subject`: how the name is spoken of in messages. */
function validateName(name: string | undefined, f: Findings, subject = JSON.stringify(name)): void {
  if (!name) {
    f.error("metadata.name", `must be set (or metadata.generateName); ${NAME_ADVICE}`);
    return;
  }
  if (!nameFitsApiServer(name, "metadata.name", subject, f)) return;
  if (!SIDECARSET_NAME.test(name)) {
    f.error("metadata.name", `${subject} is not a valid SidecarSet name: it must not contain '.'; ${NAME_ADVICE}`);
  }
  if (name.length > SIDECARSET_NAME_MAX) {
    f.error("metadata.name", `is ${name.length} characters long; a SidecarSet name has at most ${SIDECARSET_NAME_MAX}`);
  }
}

/** Stands for the five lower-case letters or digits the API server appends; any such five judge alike. */
const GENERATED_SUFFIX = "abcde";
const GENERATED_PREFIX_MAX = 58;

/**
 * As the API server: it checks the prefix as a subdomain with a trailing '-'
 * masked, then makes the name (the prefix cut to 58 characters and five
 * random ones), which every name rule then applies to.
 */
function validateGenerateName(prefix: string, f: Findings): void {
  const masked = prefix.length > 1 && prefix.endsWith("-") ? `${prefix.slice(0, -2)}a` : prefix;
  nameFitsApiServer(masked, "metadata.generateName", JSON.stringify(prefix), f);
  const generated = `${prefix.slice(0, GENERATED_PREFIX_MAX)}${GENERATED_SUFFIX}`;
  validateName(generated, f, `the name made from metadata.generateName ${JSON.stringify(prefix)}`);
}

/** The API server's own check, first: it is the one a cluster answers with. False when it fails. */
function nameFitsApiServer(name: string, path: string, subject: string, f: Findings): boolean {
  if (checkDns1123Subdomain(name) !== undefined) {
    const detail =
      name.length > 253
        ? `is ${name.length} characters long: must be no more than 253 characters, and a SidecarSet name has at most ${SIDECARSET_NAME_MAX}`
        : `${subject} is not a lowercase RFC 1123 subdomain, which the API server requires of every name (and a SidecarSet name has no '.')`;
    f.error(path, `${detail}; ${NAME_ADVICE}`);
    return false;
  }
  return true;
}

/** Errors are reported at `path` itself, naming the key or value, as the API server does. */
export function validateLabels(labels: Record<string, string> | undefined, path: string, f: Findings): void {
  for (const [key, value] of Object.entries(labels ?? {})) {
    const badKey = checkQualifiedName(key, "label key");
    if (badKey) f.error(path, badKey);
    const badValue = checkLabelValue(value);
    if (badValue) f.error(path, `label ${JSON.stringify(key)}: ${badValue}`);
  }
}

/** Annotation keys are qualified names (checked lower-cased) and all annotations together stay under 256 KiB. */
export function validateAnnotations(annotations: Record<string, string> | undefined, path: string, f: Findings): void {
  let total = 0;
  for (const [key, value] of Object.entries(annotations ?? {})) {
    const badKey = checkQualifiedName(key, "annotation key", true);
    if (badKey) f.error(path, badKey);
    total += Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT) {
    f.error(
      path,
      `may not be more than ${TOTAL_ANNOTATION_SIZE_LIMIT} bytes in total (these are ${total}); keep large data elsewhere, e.g. in a ConfigMap`,
    );
  }
}

const ORPHAN = "orphan";
const FOREGROUND = "foregroundDeletion";

/** Finalizers are qualified names, and the two garbage-collection ones exclude each other. */
function validateFinalizers(finalizers: readonly string[] | undefined, f: Findings): void {
  const all = (finalizers ?? []).filter((x): x is string => typeof x === "string");
  for (const finalizer of all) {
    const bad = checkQualifiedName(finalizer, "finalizer");
    if (bad) f.error("metadata.finalizers", bad);
  }
  if (all.includes(ORPHAN) && all.includes(FOREGROUND)) {
    f.error("metadata.finalizers", `finalizer ${ORPHAN} and ${FOREGROUND} cannot be both set; keep one of them`);
  }
}
