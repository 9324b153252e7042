// The per-SidecarSet records kept in pod annotations (docs/behaviour.md §3.3): which hash of
// each SidecarSet a pod runs, and which container images were replaced in
// place. Serialization reproduces OpenKruise's Go structs byte for byte.
import { compareGoStrings, goJsonString } from "./canonical-json.js";
import type { Pod } from "./kube-types.js";
import {
  SIDECARSET_HASH_ANNOTATION,
  SIDECARSET_INJECTED_LIST_ANNOTATION,
  SIDECARSET_INPLACE_UPDATE_STATE_ANNOTATION,
  SIDECARSET_WORKING_HOT_UPGRADE_CONTAINER_ANNOTATION,
} from "./keys.js";

/** One entry of `kruise.io/sidecarset-hash` / `-hash-without-image`. */
export interface SidecarSetUpgradeRecord {
  /** RFC 3339 UTC with seconds, or null when unknown. */
  updateTimestamp: string | null;
  hash: string;
  sidecarSetName: string;
  /** Sorted logical container names, or null when unknown. */
  sidecarList: string[] | null;
  /** Omitted when empty; never written to the without-image annotation. */
  controllerRevision?: string;
}

export type UpgradeRecords = Record<string, SidecarSetUpgradeRecord>;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** An annotation holding a JSON object keyed by SidecarSet name; absent or empty ⇒ `{}`. */
function parseJsonObject(value: string | undefined, entry: string): ParseResult<Record<string, unknown>> {
  if (value === undefined || value === "") return { ok: true, value: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return { ok: false, error: "is not valid JSON" };
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return { ok: false, error: `must be a JSON object of SidecarSet name to ${entry}` };
  }
  return { ok: true, value: parsed as Record<string, unknown> };
}

/**
 * Reads a hash annotation value. Absent or empty ⇒ no records. The legacy flat
 * form `{"name":"hash"}` is converted; anything else is an error.
 */
export function parseUpgradeRecords(value: string | undefined): ParseResult<UpgradeRecords> {
  const parsed = parseJsonObject(value, "record");
  if (!parsed.ok) return parsed;
  const out: UpgradeRecords = {};
  const entries = Object.entries(parsed.value);
  const flat = entries.every(([, v]) => typeof v === "string");
  for (const [name, v] of entries) {
    if (flat) {
      out[name] = { updateTimestamp: null, hash: v as string, sidecarSetName: name, sidecarList: null };
      continue;
    }
    if (typeof v !== "object" || v === null || Array.isArray(v)) {
      return { ok: false, error: `entry "${name}" must be an object` };
    }
    const r = v as Record<string, unknown>;
    const record: SidecarSetUpgradeRecord = {
      updateTimestamp: typeof r.updateTimestamp === "string" ? r.updateTimestamp : null,
      hash: typeof r.hash === "string" ? r.hash : "",
      sidecarSetName: typeof r.sidecarSetName === "string" ? r.sidecarSetName : "",
      sidecarList: Array.isArray(r.sidecarList) ? r.sidecarList.filter((s): s is string => typeof s === "string") : null,
    };
    if (typeof r.controllerRevision === "string" && r.controllerRevision !== "") {
      record.controllerRevision = r.controllerRevision;
    }
    out[name] = record;
  }
  return { ok: true, value: out };
}

/** Lenient read: a value that parses as neither form reads as "no entries". */
export function readUpgradeRecords(value: string | undefined): UpgradeRecords {
  const r = parseUpgradeRecords(value);
  return r.ok ? r.value : {};
}

export type UpgradeRecordKind = "hash" | "without-image";

/**
 * A record's fields after its timestamp, in Go's encoding. Injection writes
 * the same fields into every pod of a SidecarSet version, and only the
 * timestamp differs, so this part can be kept (see recordWithTimestamp).
 */
export function encodeRecordFields(r: Omit<SidecarSetUpgradeRecord, "updateTimestamp">, kind: UpgradeRecordKind): string {
  const list = r.sidecarList === null ? "null" : `[${r.sidecarList.map((s) => goJsonString(s)).join(",")}]`;
  const revision = kind === "hash" && r.controllerRevision ? `,"controllerRevision":${goJsonString(r.controllerRevision)}` : "";
  return `"hash":${goJsonString(r.hash)},"sidecarSetName":${goJsonString(r.sidecarSetName)},"sidecarList":${list}${revision}`;
}

/** A whole record from its timestamp and its fields encoded by encodeRecordFields. */
export function recordWithTimestamp(updateTimestamp: string | null, fields: string): string {
  return `{"updateTimestamp":${updateTimestamp === null ? "null" : goJsonString(updateTimestamp)},${fields}}`;
}

/** Records already encoded one by one (name → record text), as Go writes their map: keys sorted. */
export function joinEncodedRecords(encoded: ReadonlyMap<string, string>): string {
  const names = [...encoded.keys()].sort(compareGoStrings);
  let body = "";
  for (const name of names) body += `${body === "" ? "" : ","}${goJsonString(name)}:${encoded.get(name)!}`;
  return `{${body}}`;
}

/** Each record in Go's encoding, by name; joinEncodedRecords makes the annotation of them. */
export function encodeUpgradeRecords(records: UpgradeRecords, kind: UpgradeRecordKind): Map<string, string> {
  const encoded = new Map<string, string>();
  for (const [name, r] of Object.entries(records)) encoded.set(name, recordWithTimestamp(r.updateTimestamp, encodeRecordFields(r, kind)));
  return encoded;
}

/** Serializes records as Go does a map of structs: keys sorted, fields in declaration order. */
export function serializeUpgradeRecords(records: UpgradeRecords, kind: UpgradeRecordKind): string {
  return joinEncodedRecords(encodeUpgradeRecords(records, kind));
}

let formattedSecond = NaN;
let formatted = "";

/** Formats a time as Go's metav1.Time does: RFC 3339, UTC, whole seconds. */
export function formatTimestamp(t: Date): string {
  // The pod webhook writes the time into every pod it injects: one text per second does for all of them.
  const second = Math.floor(t.getTime() / 1000);
  if (second !== formattedSecond) {
    formatted = t.toISOString().replace(/\.\d{3}Z$/, "Z");
    formattedSecond = second;
  }
  return formatted;
}

/** `kruise.io/sidecarset-injected-list`: names sorted ascending, joined with ",". */
export function parseInjectedList(value: string | undefined): string[] {
  if (!value) return [];
  return value.split(",").filter((s) => s !== "");
}

export function formatInjectedList(names: Iterable<string>): string {
  return [...new Set(names)].sort().join(",");
}

/** One entry of `kruise.io/sidecarset-inplace-update-state`. */
export interface InPlaceUpdateState {
  revision: string;
  updateTimestamp: string | null;
  lastContainerStatuses: Record<string, { imageID: string }>;
}

export type InPlaceUpdateStates = Record<string, InPlaceUpdateState>;

export function parseInPlaceUpdateStates(value: string | undefined): ParseResult<InPlaceUpdateStates> {
  const parsed = parseJsonObject(value, "state");
  if (!parsed.ok) return parsed;
  const out: InPlaceUpdateStates = {};
  for (const [name, v] of Object.entries(parsed.value)) {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return { ok: false, error: `entry "${name}" must be an object` };
    const s = v as Record<string, unknown>;
    const statuses: Record<string, { imageID: string }> = {};
    if (typeof s.lastContainerStatuses === "object" && s.lastContainerStatuses !== null) {
      for (const [c, st] of Object.entries(s.lastContainerStatuses as Record<string, unknown>)) {
        const id = typeof st === "object" && st !== null ? (st as Record<string, unknown>).imageID : undefined;
        statuses[c] = { imageID: typeof id === "string" ? id : "" };
      }
    }
    out[name] = {
      revision: typeof s.revision === "string" ? s.revision : "",
      updateTimestamp: typeof s.updateTimestamp === "string" ? s.updateTimestamp : null,
      lastContainerStatuses: statuses,
    };
  }
  return { ok: true, value: out };
}

export function serializeInPlaceUpdateStates(states: InPlaceUpdateStates): string {
  const names = Object.keys(states).sort(compareGoStrings);
  const body = names.map((n) => {
    const s = states[n]!;
    const containers = Object.keys(s.lastContainerStatuses).sort(compareGoStrings);
    const statuses = containers
      .map((c) => {
        // Go's `imageID,omitempty`: an unknown imageID is left out.
        const id = s.lastContainerStatuses[c]!.imageID;
        return `${goJsonString(c)}:{${id ? `"imageID":${goJsonString(id)}` : ""}}`;
      })
      .join(",");
    const ts = s.updateTimestamp === null ? "null" : goJsonString(s.updateTimestamp);
    return `${goJsonString(n)}:{"revision":${goJsonString(s.revision)},"updateTimestamp":${ts},"lastContainerStatuses":{${statuses}}}`;
  });
  return `{${body.join(",")}}`;
}

/** `kruise.io/sidecarset-working-hotupgrade-container`: sidecar name → working pod container. */
export function readWorkingHotUpgradeContainers(pod: Pod): Record<string, string> {
  const v = pod.metadata?.annotations?.[SIDECARSET_WORKING_HOT_UPGRADE_CONTAINER_ANNOTATION];
  if (!v) return {};
  try {
    const parsed: unknown = JSON.parse(v);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return {};
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(parsed as Record<string, unknown>)) if (typeof val === "string") out[k] = val;
    return out;
  } catch {
    return {};
  }
}

/** Go marshals map[string]string with sorted keys. */
export function serializeStringMap(m: Record<string, string>): string {
  return `{${Object.keys(m)
    .sort(compareGoStrings)
    .map((k) => `${goJsonString(k)}:${goJsonString(m[k]!)}`)
    .join(",")}}`;
}

export function podHashRecords(pod: Pod): UpgradeRecords {
  return readUpgradeRecords(pod.metadata?.annotations?.[SIDECARSET_HASH_ANNOTATION]);
}

export function podInjectedList(pod: Pod): string[] {
  return parseInjectedList(pod.metadata?.annotations?.[SIDECARSET_INJECTED_LIST_ANNOTATION]);
}

export function podInPlaceUpdateStates(pod: Pod): ParseResult<InPlaceUpdateStates> {
  return parseInPlaceUpdateStates(pod.metadata?.annotations?.[SIDECARSET_INPLACE_UPDATE_STATE_ANNOTATION]);
}
