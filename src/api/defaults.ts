// Defaulting of a SidecarSet (docs/behaviour.md §2.6), as OpenKruise's mutating webhook
// does it: SidecarSet defaults, then the Kubernetes container and volume
// defaults it borrows, then the two hash annotations computed from the result.
//
// Every function returns a new object and leaves its input untouched. Values
// of an unexpected shape are left as they are; validation reports them.
import { goFieldNames } from "./canonical-json.js";
import { sidecarSetHash, sidecarSetHashWithoutImage } from "./hash.js";
import { isRecord } from "./is-record.js";
import { SIDECARSET_HASH_ANNOTATION, SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION } from "./keys.js";
import { parseImageReference } from "./image-reference.js";
import { defaultQuantity } from "./quantity.js";
import type { PodInjectPolicy, SidecarSet } from "./types.js";

export const DEFAULT_REVISION_HISTORY_LIMIT = 10;
export const DEFAULT_TARGET_CONTAINERS_NAME_REGEX = ".*";
export const DEFAULT_TERMINATION_MESSAGE_PATH = "/dev/termination-log";
/** 0644, the mode Kubernetes gives secret, configMap, downwardAPI and projected files. */
export const DEFAULT_VOLUME_FILE_MODE = 420;
export const DEFAULT_TOKEN_EXPIRATION_SECONDS = 3600;

type Obj = Record<string, unknown>;

/** Go's zero value for an optional string or pointer: nothing to keep. */
function isUnset(v: unknown): boolean {
  return v === undefined || v === null || v === "";
}

function isAbsent(v: unknown): boolean {
  return v === undefined || v === null;
}

/** Go's zero for an integer field. */
function isUnsetNumber(v: unknown): boolean {
  return v === undefined || v === null || v === 0;
}

function child(o: unknown, key: string): Obj | undefined {
  if (!isRecord(o)) return undefined;
  const v = o[key];
  return isRecord(v) ? v : undefined;
}

function objects(list: unknown): Obj[] {
  return Array.isArray(list) ? list.filter(isRecord) : [];
}

/** A struct field Go always has: created when absent so that its defaults can be set. */
function ensureChild(o: Obj, key: string): Obj | undefined {
  if (isAbsent(o[key])) o[key] = {};
  return child(o, key);
}

/**
 * `Always` for a `latest` tag or an image with neither tag nor digest,
 * otherwise `IfNotPresent` (also for `name@sha256:…` and for references that
 * do not parse).
 */
export function defaultImagePullPolicy(image: unknown): "Always" | "IfNotPresent" {
  const ref = typeof image === "string" ? parseImageReference(image) : undefined;
  return ref?.tag === "latest" ? "Always" : "IfNotPresent";
}

// ---- Kubernetes container defaults ----

function defaultFieldSelectorInPlace(fieldRef: Obj | undefined): void {
  if (fieldRef !== undefined && isUnset(fieldRef.apiVersion)) fieldRef.apiVersion = "v1";
}

/** Quantities rounded up to milli units and written as Kubernetes writes them; invalid ones stay. */
function defaultResourceListInPlace(list: Obj | undefined): void {
  if (list === undefined) return;
  for (const [name, value] of Object.entries(list)) {
    if (typeof value !== "string" && typeof value !== "number") continue;
    const r = defaultQuantity(value);
    if (r.ok) list[name] = r.value;
  }
}

function defaultHttpGetInPlace(httpGet: Obj | undefined): void {
  if (httpGet === undefined) return;
  if (isUnset(httpGet.path)) httpGet.path = "/";
  if (isUnset(httpGet.scheme)) httpGet.scheme = "HTTP";
}

function defaultProbeInPlace(probe: Obj | undefined): void {
  if (probe === undefined) return;
  if (isUnsetNumber(probe.timeoutSeconds)) probe.timeoutSeconds = 1;
  if (isUnsetNumber(probe.periodSeconds)) probe.periodSeconds = 10;
  if (isUnsetNumber(probe.successThreshold)) probe.successThreshold = 1;
  if (isUnsetNumber(probe.failureThreshold)) probe.failureThreshold = 3;
  defaultHttpGetInPlace(child(probe, "httpGet"));
}

/** The Kubernetes defaults OpenKruise applies to a sidecar; the startup probe is left alone. */
function defaultContainerInPlace(c: Obj): void {
  if (isUnset(c.imagePullPolicy)) c.imagePullPolicy = defaultImagePullPolicy(c.image);
  if (isUnset(c.terminationMessagePath)) c.terminationMessagePath = DEFAULT_TERMINATION_MESSAGE_PATH;
  if (isUnset(c.terminationMessagePolicy)) c.terminationMessagePolicy = "File";
  for (const port of objects(c.ports)) if (isUnset(port.protocol)) port.protocol = "TCP";
  for (const env of objects(c.env)) defaultFieldSelectorInPlace(child(child(env, "valueFrom"), "fieldRef"));
  defaultResourceListInPlace(child(child(c, "resources"), "limits"));
  defaultResourceListInPlace(child(child(c, "resources"), "requests"));
  defaultProbeInPlace(child(c, "livenessProbe"));
  defaultProbeInPlace(child(c, "readinessProbe"));
  const lifecycle = child(c, "lifecycle");
  defaultHttpGetInPlace(child(child(lifecycle, "postStart"), "httpGet"));
  defaultHttpGetInPlace(child(child(lifecycle, "preStop"), "httpGet"));
}

function defaultSidecarContainerInPlace(c: Obj, injectPolicy: PodInjectPolicy): void {
  if (isUnset(c.podInjectPolicy)) c.podInjectPolicy = injectPolicy;
  const upgrade = ensureChild(c, "upgradeStrategy");
  if (upgrade !== undefined && isUnset(upgrade.upgradeType)) upgrade.upgradeType = "ColdUpgrade";
  const share = ensureChild(c, "shareVolumePolicy");
  if (share !== undefined && isUnset(share.type)) share.type = "disabled";
  defaultContainerInPlace(c);
  for (const t of objects(c.transferEnv)) defaultFieldSelectorInPlace(child(child(t, "sourceContainerNameFrom"), "fieldRef"));
  const policy = child(c, "resourcesPolicy");
  if (policy !== undefined && isAbsent(policy.targetContainersNameRegex)) {
    policy.targetContainersNameRegex = DEFAULT_TARGET_CONTAINERS_NAME_REGEX;
  }
}

// ---- Kubernetes volume defaults ----

const VOLUME_SOURCES = goFieldNames("Volume").filter((k) => k !== "name");

function defaultModeInPlace(source: Obj | undefined): void {
  if (source !== undefined && isAbsent(source.defaultMode)) source.defaultMode = DEFAULT_VOLUME_FILE_MODE;
}

function defaultVolumeInPlace(v: Obj): void {
  if (!VOLUME_SOURCES.some((k) => !isAbsent(v[k]))) v.emptyDir = {};
  const hostPath = child(v, "hostPath");
  if (hostPath !== undefined && isAbsent(hostPath.type)) hostPath.type = "";
  defaultModeInPlace(child(v, "secret"));
  defaultModeInPlace(child(v, "configMap"));
  const downward = child(v, "downwardAPI");
  defaultModeInPlace(downward);
  for (const item of objects(downward?.items)) defaultFieldSelectorInPlace(child(item, "fieldRef"));
  const projected = child(v, "projected");
  defaultModeInPlace(projected);
  for (const source of objects(projected?.sources)) {
    for (const item of objects(child(source, "downwardAPI")?.items)) defaultFieldSelectorInPlace(child(item, "fieldRef"));
    const token = child(source, "serviceAccountToken");
    if (token !== undefined && isAbsent(token.expirationSeconds)) token.expirationSeconds = DEFAULT_TOKEN_EXPIRATION_SECONDS;
  }
}

// ---- public API ----

/**
 * The SidecarSet as the defaulting webhook leaves it (docs/behaviour.md §2.6 steps 1-6, in
 * order), including fresh hash annotations. The input is not modified.
 */
export function defaultSidecarSet(set: SidecarSet): SidecarSet {
  const out = structuredClone(set);
  if (!isRecord(out.spec)) out.spec = {};
  const spec = out.spec as Obj;

  const strategy = ensureChild(spec, "updateStrategy");
  if (strategy !== undefined) {
    if (isUnset(strategy.type)) strategy.type = "RollingUpdate";
    if (isAbsent(strategy.maxUnavailable)) strategy.maxUnavailable = 1;
    if (isAbsent(strategy.partition)) strategy.partition = 0;
  }
  for (const c of objects(spec.initContainers)) defaultSidecarContainerInPlace(c, "AfterAppContainer");
  for (const c of objects(spec.containers)) defaultSidecarContainerInPlace(c, "BeforeAppContainer");
  for (const v of objects(spec.volumes)) defaultVolumeInPlace(v);
  if (isAbsent(spec.revisionHistoryLimit)) spec.revisionHistoryLimit = DEFAULT_REVISION_HISTORY_LIMIT;
  for (const p of objects(spec.patchPodMetadata)) if (isUnset(p.patchPolicy)) p.patchPolicy = "Retain";
  const revision = child(child(spec, "injectionStrategy"), "revision");
  if (revision !== undefined && isUnset(revision.policy)) revision.policy = "Always";

  if (!isRecord(out.metadata)) out.metadata = {};
  out.metadata.annotations = {
    ...(isRecord(out.metadata.annotations) ? (out.metadata.annotations as Record<string, string>) : {}),
    [SIDECARSET_HASH_ANNOTATION]: sidecarSetHash(out),
    [SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION]: sidecarSetHashWithoutImage(out),
  };
  return out;
}
