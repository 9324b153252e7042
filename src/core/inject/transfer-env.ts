// transferEnv (docs/behaviour.md §5.6 step 3): env vars a sidecar copies from one of the
// pod's own containers, e.g. the app's TZ or a service name.
import type { EnvVar, Pod } from "../../api/kube-types.js";
import type { SidecarContainer, TransferEnvVar } from "../../api/types.js";

/**
 * The env vars to copy, entry by entry: names = {envName} ∪ envNames in sorted
 * order, each copied whole from the source container of `pod.spec.containers`.
 * A missing container or variable is skipped silently; an entry whose
 * `sourceContainerNameFrom` cannot be read is skipped entirely.
 */
export function transferEnvs(sidecar: SidecarContainer, pod: Pod): EnvVar[] {
  const entries = sidecar.transferEnv;
  if (!entries || entries.length === 0) return [];
  const out: EnvVar[] = [];
  for (const entry of entries) {
    const source = sourceContainerName(entry, pod);
    if (source === undefined) continue;
    for (const name of envNamesOf(entry)) {
      const env = findPodEnv(pod, source, name);
      if (env) out.push(env);
    }
  }
  return out;
}

function envNamesOf(entry: TransferEnvVar): string[] {
  // The usual entry names one variable: no set to build, nothing to sort.
  if (!entry.envNames || entry.envNames.length === 0) return entry.envName ? [entry.envName] : [];
  const names = new Set<string>();
  if (entry.envName) names.add(entry.envName);
  for (const n of entry.envNames ?? []) names.add(n);
  return [...names].sort();
}

/**
 * The source container: `sourceContainerName`, or — when
 * `sourceContainerNameFrom.fieldRef` is set — the value of the pod label or
 * annotation it names (a missing key gives the empty name, which matches no
 * container). Undefined when the fieldPath is not one of the two supported forms.
 */
export function sourceContainerName(entry: TransferEnvVar, pod: Pod): string | undefined {
  const fieldRef = entry.sourceContainerNameFrom?.fieldRef;
  if (!fieldRef) return entry.sourceContainerName ?? "";
  const split = splitSubscriptedPath(fieldRef.fieldPath ?? "");
  if (!split) return undefined;
  switch (split.path) {
    case "metadata.annotations":
      if (!isQualifiedName(split.key.toLowerCase())) return undefined;
      return ownString(pod.metadata?.annotations, split.key);
    case "metadata.labels":
      if (!isQualifiedName(split.key)) return undefined;
      return ownString(pod.metadata?.labels, split.key);
    default:
      return undefined;
  }
}

/**
 * The map's own string value at `key`, else "". A label named like an Object
 * method (`constructor` is a valid key) must not read the inherited function.
 */
function ownString(map: Readonly<Record<string, string>> | null | undefined, key: string): string {
  if (map === null || map === undefined || !Object.prototype.hasOwnProperty.call(map, key)) return "";
  const value: unknown = map[key];
  return typeof value === "string" ? value : "";
}

/** `metadata.labels['app']` → {path: "metadata.labels", key: "app"}. */
export function splitSubscriptedPath(fieldPath: string): { path: string; key: string } | undefined {
  if (!fieldPath.endsWith("']")) return undefined;
  const body = fieldPath.slice(0, -2);
  const open = body.indexOf("['");
  if (open <= 0) return undefined;
  return { path: body.slice(0, open), key: body.slice(open + 2) };
}

const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Kubernetes qualified name: `[prefix/]name`, name ≤ 63 characters, prefix a DNS subdomain. */
export function isQualifiedName(value: string): boolean {
  const parts = value.split("/");
  if (parts.length > 2) return false;
  const name = parts[parts.length - 1]!;
  if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME_PART.test(name)) return false;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    if (prefix.length === 0 || prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix)) return false;
  }
  return true;
}

/**
 * The env var `name` of container `container`. When names repeat, the last
 * container of that name holding the variable and its last definition win,
 * which is what a name-keyed lookup table built in spec order gives.
 */
function findPodEnv(pod: Pod, container: string, name: string): EnvVar | undefined {
  const containers = pod.spec?.containers ?? [];
  for (let i = containers.length - 1; i >= 0; i--) {
    const c = containers[i]!;
    if (c.name !== container || !c.env) continue;
    for (let j = c.env.length - 1; j >= 0; j--) if (c.env[j]!.name === name) return c.env[j];
  }
  return undefined;
}
