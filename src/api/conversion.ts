// Conversion between the two served SidecarSet versions (docs/compatibility.md,
// "v1alpha1 and v1beta1"). Objects stay raw JSON: only the fields the versions
// name differently are touched, and everything else — unknown fields, status,
// metadata — is carried over as it is, so nothing a newer client or another
// controller wrote is lost on the way through the API server.
//
// v1alpha1 → v1beta1: `spec.namespace: X` becomes a namespaceSelector on the
//   label Kubernetes puts on every Namespace (its name); the custom-version
//   label moves to `spec.customVersion`.
// v1beta1 → v1alpha1: `spec.customVersion` moves back to the label; the
//   namespaceSelector stays a selector (it cannot be told apart from one the
//   user wrote).
import { isRecord } from "./is-record.js";
import { CUSTOM_VERSION_LABEL } from "./keys.js";
import { API_VERSION, GROUP, KIND, VERSION } from "./types.js";
import { V1BETA1, V1BETA1_API_VERSION } from "./v1beta1/types.js";

export type ServedVersion = typeof VERSION | typeof V1BETA1;
export const SERVED_VERSIONS: readonly ServedVersion[] = [VERSION, V1BETA1];

/** The label every Namespace carries with its own name (Kubernetes ≥ 1.21). */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

type Json = Record<string, unknown>;

/** "apps.kruise.io/v1beta1" → "v1beta1"; undefined for another group or an unserved version. */
export function servedVersionOf(apiVersion: unknown): ServedVersion | undefined {
  if (apiVersion === API_VERSION) return VERSION;
  if (apiVersion === V1BETA1_API_VERSION) return V1BETA1;
  return undefined;
}

export function apiVersionOf(version: ServedVersion): string {
  return `${GROUP}/${version}`;
}

/**
 * Why `object` cannot be converted, or undefined when it can: it must be a
 * JSON object of kind SidecarSet in one of the served versions.
 */
export function conversionProblem(object: unknown): string | undefined {
  if (!isRecord(object)) return `expected a SidecarSet object, got ${object === null ? "null" : Array.isArray(object) ? "an array" : typeof object}`;
  if (object.kind !== KIND) return `kind ${JSON.stringify(object.kind)} is not ${KIND}`;
  if (servedVersionOf(object.apiVersion) === undefined) {
    return `apiVersion ${JSON.stringify(object.apiVersion)} is not served; use ${API_VERSION} or ${V1BETA1_API_VERSION}`;
  }
  if (object.metadata !== undefined && !isRecord(object.metadata)) return "metadata is not an object";
  if (object.spec !== undefined && !isRecord(object.spec)) return "spec is not an object";
  return undefined;
}

/**
 * A copy of `object` (a SidecarSet, see conversionProblem) at `to`. An object
 * already at `to` comes back as an equal copy. Never modifies its argument.
 */
export function convertSidecarSet(object: Json, to: ServedVersion): Json {
  const from = servedVersionOf(object.apiVersion);
  const out = structuredClone(object);
  out.apiVersion = apiVersionOf(to);
  if (from === to) return out;
  if (to === V1BETA1) alphaToBeta(out);
  else betaToAlpha(out);
  return out;
}

function alphaToBeta(out: Json): void {
  const spec = isRecord(out.spec) ? out.spec : undefined;
  if (spec && typeof spec.namespace === "string") {
    // An empty namespace means "unset" in v1alpha1, as in OpenKruise.
    if (spec.namespace === "") delete spec.namespace;
    else replaceKey(spec, "namespace", "namespaceSelector", { matchLabels: { [NAMESPACE_NAME_LABEL]: spec.namespace } });
  }
  const meta = isRecord(out.metadata) ? out.metadata : undefined;
  const labels = meta && isRecord(meta.labels) ? meta.labels : undefined;
  const value = labels?.[CUSTOM_VERSION_LABEL];
  // An empty label names no version; it stays a label, so that a round trip
  // gives it back (spec.customVersion "" would mean unset).
  if (meta && labels && typeof value === "string" && value !== "") {
    delete labels[CUSTOM_VERSION_LABEL];
    if (Object.keys(labels).length === 0) delete meta.labels;
    specOf(out).customVersion = value;
  }
}

function betaToAlpha(out: Json): void {
  const spec = isRecord(out.spec) ? out.spec : undefined;
  if (!spec || typeof spec.customVersion !== "string") return;
  const value = spec.customVersion;
  delete spec.customVersion;
  if (value === "") return;
  const meta = isRecord(out.metadata) ? out.metadata : (out.metadata = {});
  const labels = isRecord(meta.labels) ? meta.labels : (meta.labels = {});
  labels[CUSTOM_VERSION_LABEL] = value;
}

/** Puts `value` under `newKey` where `oldKey` was, so a rewritten manifest keeps its field order. */
function replaceKey(o: Json, oldKey: string, newKey: string, value: unknown): void {
  const entries = Object.entries(o);
  for (const k of Object.keys(o)) delete o[k];
  for (const [k, v] of entries) {
    if (k === oldKey) o[newKey] = value;
    else if (k !== newKey) o[k] = v;
  }
}

function specOf(out: Json): Json {
  if (!isRecord(out.spec)) out.spec = {};
  return out.spec as Json;
}
