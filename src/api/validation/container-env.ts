// Container env and envFrom (docs/behaviour.md §4.3), and the downward-API selectors
// that env vars and downwardAPI volumes share.
import type { Container, EnvVar } from "../kube-types.js";
import type { Findings } from "./findings.js";
import { childPath, indexPath } from "./paths.js";
import { compareQuantities, isZeroQuantity, parseQuantity } from "../quantity.js";
import { checkConfigMapKey, checkDns1123Subdomain, checkEnvVarName, checkQualifiedName } from "./syntax.js";

type FieldRef = { apiVersion?: string; fieldPath?: string };
type ResourceFieldRef = { containerName?: string; resource?: string; divisor?: string | number };

/** Field paths an env var may read (besides subscripted labels and annotations). */
export const ENV_FIELD_PATHS = [
  "metadata.name",
  "metadata.namespace",
  "metadata.uid",
  "spec.nodeName",
  "spec.serviceAccountName",
  "status.hostIP",
  "status.hostIPs",
  "status.podIP",
  "status.podIPs",
];
/** Field paths a downwardAPI volume file may read. */
export const VOLUME_FIELD_PATHS = ["metadata.name", "metadata.namespace", "metadata.labels", "metadata.annotations", "metadata.uid"];
// What the API server's downward-API conversion knows at all; anything else is not a field.
const CONVERTIBLE_FIELD_PATHS = new Set([
  ...ENV_FIELD_PATHS,
  "metadata.labels",
  "metadata.annotations",
  "spec.restartPolicy",
  "spec.schedulerName",
  "status.phase",
  "spec.host",
]);
const RESOURCE_FIELDS = [
  "limits.cpu",
  "limits.memory",
  "limits.ephemeral-storage",
  "requests.cpu",
  "requests.memory",
  "requests.ephemeral-storage",
];
const CPU_DIVISORS = ["1m", "1"];
const BYTE_DIVISORS = ["1", "1k", "1M", "1G", "1T", "1P", "1E", "1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei"];

export function validateEnv(c: Container, path: string, f: Findings): void {
  const envPath = childPath(path, "env");
  (c.env ?? []).forEach((ev, i) => {
    if (ev) validateEnvVar(ev, indexPath(envPath, i), f);
  });
  const fromPath = childPath(path, "envFrom");
  (c.envFrom ?? []).forEach((src, i) => {
    if (!src) return;
    const p = indexPath(fromPath, i);
    if (src.prefix) {
      const bad = checkEnvVarName(src.prefix);
      if (bad) f.error(childPath(p, "prefix"), bad);
    }
    const sources = [src.configMapRef && "configMapRef", src.secretRef && "secretRef"].filter(Boolean);
    if (sources.length === 0) {
      if (!f.hasShapeErrorWithin(p)) f.error(p, "names no source; set configMapRef or secretRef");
    } else if (sources.length > 1) {
      f.error(p, "sets both configMapRef and secretRef; use one per envFrom entry");
    }
    for (const ref of ["configMapRef", "secretRef"] as const) {
      const r = src[ref];
      if (r) checkObjectName(r.name, childPath(childPath(p, ref), "name"), f);
    }
  });
}

function validateEnvVar(ev: EnvVar, p: string, f: Findings): void {
  if (!ev.name) f.error(childPath(p, "name"), "must be set");
  else {
    const bad = checkEnvVarName(ev.name);
    if (bad) f.error(childPath(p, "name"), bad);
  }
  const from = ev.valueFrom;
  if (!from) return;
  const fromPath = childPath(p, "valueFrom");
  const sources = (["fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef"] as const).filter((k) => from[k]);
  if (sources.length === 0) {
    if (!f.hasShapeErrorWithin(fromPath)) {
      f.error(fromPath, "names no source; set one of fieldRef, resourceFieldRef, configMapKeyRef or secretKeyRef");
    }
  } else if (ev.value) {
    f.error(fromPath, "cannot be combined with value; set either value or valueFrom");
  } else if (sources.length > 1) {
    f.error(fromPath, `sets ${sources.join(" and ")}; use exactly one source`);
  }
  if (from.fieldRef) validateFieldRef(from.fieldRef, childPath(fromPath, "fieldRef"), ENV_FIELD_PATHS, f);
  if (from.resourceFieldRef) {
    validateResourceFieldRef(from.resourceFieldRef, childPath(fromPath, "resourceFieldRef"), false, f);
  }
  for (const ref of ["configMapKeyRef", "secretKeyRef"] as const) {
    const r = from[ref];
    if (!r) continue;
    const rp = childPath(fromPath, ref);
    checkObjectName(r.name, childPath(rp, "name"), f);
    if (!r.key) f.error(childPath(rp, "key"), "must be set");
    else {
      const bad = checkConfigMapKey(r.key);
      if (bad) f.error(childPath(rp, "key"), bad);
    }
  }
}

function checkObjectName(name: string | undefined, path: string, f: Findings): void {
  if (!name) {
    f.error(path, "must be set to the name of a ConfigMap or Secret");
    return;
  }
  const bad = checkDns1123Subdomain(name);
  if (bad) f.error(path, bad);
}

/** A downward-API fieldRef: `apiVersion: v1` and a supported field path. */
export function validateFieldRef(ref: FieldRef, p: string, allowed: readonly string[], f: Findings): void {
  if (!ref.apiVersion) {
    f.error(childPath(p, "apiVersion"), `must be set; use "v1"`);
    return;
  }
  if (!ref.fieldPath) {
    f.error(childPath(p, "fieldPath"), `must be set; use one of ${allowed.join(", ")}, metadata.labels['<key>'] or metadata.annotations['<key>']`);
    return;
  }
  if (ref.apiVersion !== "v1") {
    f.error(childPath(p, "apiVersion"), `${JSON.stringify(ref.apiVersion)} is not supported; use "v1"`);
    return;
  }
  const sub = splitSubscript(ref.fieldPath);
  if (sub) {
    const { path, key } = sub;
    if (path !== "metadata.labels" && path !== "metadata.annotations") {
      f.error(childPath(p, "fieldPath"), `${JSON.stringify(ref.fieldPath)}: only metadata.labels and metadata.annotations take a ['<key>'] subscript`);
      return;
    }
    const bad = checkQualifiedName(key, path === "metadata.labels" ? "label key" : "annotation key", path === "metadata.annotations");
    if (bad) f.error(childPath(p, "fieldPath"), bad);
    return;
  }
  const field = ref.fieldPath === "spec.host" ? "spec.nodeName" : ref.fieldPath;
  if (!CONVERTIBLE_FIELD_PATHS.has(ref.fieldPath) || !allowed.includes(field)) {
    f.error(
      childPath(p, "fieldPath"),
      `${JSON.stringify(ref.fieldPath)} is not supported here; use one of ${allowed.join(", ")}, metadata.labels['<key>'] or metadata.annotations['<key>']`,
    );
  }
}

/** `metadata.labels['app']` → {path: metadata.labels, key: app}. */
export function splitSubscript(fieldPath: string): { path: string; key: string } | undefined {
  if (!fieldPath.endsWith("']")) return undefined;
  const inner = fieldPath.slice(0, -2);
  const at = inner.indexOf("['");
  if (at <= 0) return undefined;
  return { path: inner.slice(0, at), key: inner.slice(at + 2) };
}

export function validateResourceFieldRef(ref: ResourceFieldRef, p: string, inVolume: boolean, f: Findings): void {
  if (inVolume && !ref.containerName) {
    f.error(childPath(p, "containerName"), "must be set; name the container whose resources to expose");
  } else if (!ref.resource) {
    f.error(childPath(p, "resource"), `must be set; use one of ${RESOURCE_FIELDS.join(", ")}`);
  } else if (
    !RESOURCE_FIELDS.includes(ref.resource) &&
    !ref.resource.startsWith("limits.hugepages-") &&
    !ref.resource.startsWith("requests.hugepages-")
  ) {
    f.error(childPath(p, "resource"), `${JSON.stringify(ref.resource)} is not supported; use one of ${RESOURCE_FIELDS.join(", ")} or limits/requests.hugepages-<size>`);
  }
  if (ref.divisor === undefined || !ref.resource) return;
  const divisor = parseQuantity(ref.divisor);
  if (!divisor.ok) {
    f.error(childPath(p, "divisor"), divisor.error);
    return;
  }
  if (isZeroQuantity(divisor.value)) return; // "0" means unset
  const allowed = ref.resource.endsWith(".cpu") ? CPU_DIVISORS : BYTE_DIVISORS;
  const ok = allowed.some((a) => {
    const q = parseQuantity(a);
    return q.ok && compareQuantities(q.value, divisor.value) === 0;
  });
  if (!ok) {
    f.error(childPath(p, "divisor"), `${String(ref.divisor)} is not supported for ${ref.resource}; use one of ${allowed.join(", ")}`);
  }
}
