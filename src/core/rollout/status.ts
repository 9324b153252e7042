// SidecarSet status counts (docs/behaviour.md §6.4) and the "updated" test they rest on.
import type { Pod } from "../../api/kube-types.js";
import { SIDECARSET_HASH_ANNOTATION, SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION } from "../../api/keys.js";
import type { SidecarSet } from "../../api/types.js";

export interface RolloutStatus {
  matchedPods: number;
  updatedPods: number;
  readyPods: number;
  updatedReadyPods: number;
  notInjectedPods: number;
}

/** S's current hash (`kruise.io/sidecarset-hash` on the SidecarSet). */
export function setHash(set: SidecarSet): string {
  return set.metadata.annotations?.[SIDECARSET_HASH_ANNOTATION] ?? "";
}

export function setHashWithoutImage(set: SidecarSet): string {
  return set.metadata.annotations?.[SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION] ?? "";
}

/**
 * The `hash` of entry `setName` in a hash annotation value, read as
 * `readUpgradeRecords` would (legacy flat form included; a value that parses
 * as neither form has no entries) without building every record: the planner
 * reads two of these per pod.
 */
export function hashInRecords(value: string | undefined, setName: string): string {
  if (!value) return "";
  return readHashInRecords(value, setName);
}

function readHashInRecords(value: string, setName: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return "";
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return "";
  const records = parsed as Record<string, unknown>;
  let flat = true;
  let allObjects = true;
  for (const k in records) {
    const v = records[k];
    if (typeof v !== "string") flat = false;
    if (typeof v !== "object" || v === null || Array.isArray(v)) allObjects = false;
  }
  const entry = Object.prototype.hasOwnProperty.call(records, setName) ? records[setName] : undefined;
  if (flat) return typeof entry === "string" ? entry : "";
  if (!allObjects || entry === undefined) return "";
  const hash = (entry as Record<string, unknown>).hash;
  return typeof hash === "string" ? hash : "";
}

/** The hash of S the pod records (empty when it has no entry or the annotation is unreadable). */
export function recordedHash(pod: Pod, setName: string): string {
  return hashInRecords(pod.metadata?.annotations?.[SIDECARSET_HASH_ANNOTATION], setName);
}

/** Characters that JSON never escapes: a name or hash made of them is found in the raw text as it is. */
const VERBATIM_IN_JSON = /^[A-Za-z0-9._-]+$/;

/** A JSON string without escapes or control characters: its text is its value. */
const PLAIN_STRING = '"[^"\\\\\\u0000-\\u001f]*"';

/** One record as the manager and OpenKruise write it, with no escapes anywhere. */
const PLAIN_RECORD =
  `\\{"updateTimestamp":(?:null|${PLAIN_STRING}),"hash":${PLAIN_STRING},"sidecarSetName":${PLAIN_STRING},` +
  `"sidecarList":(?:null|\\[(?:${PLAIN_STRING}(?:,${PLAIN_STRING})*)?\\])(?:,"controllerRevision":${PLAIN_STRING})?\\}`;

/**
 * Records as the manager and OpenKruise write them: `{"S":{"updateTimestamp":…,"hash":"H",…},…}` with no escapes
 * anywhere. One pattern for every SidecarSet and hash: a pattern per pair cost about half a millisecond to
 * compile and 10 KB to keep, for each of thousands of pairs a cluster with many SidecarSets asks about.
 */
const PLAIN_RECORDS = new RegExp(`^\\{(?:${PLAIN_STRING}:${PLAIN_RECORD}(?:,${PLAIN_STRING}:${PLAIN_RECORD})*)?\\}$`);

/**
 * S's hash in records that PLAIN_RECORDS matches, read without a parse; undefined when S has more than one entry
 * (the parse decides which counts). In such a value a quote followed by S's name, a quote, a colon and a brace
 * can only open S's entry: strings hold no quotes, and a string followed by a colon is a key.
 */
function plainRecordHash(value: string, setName: string): string | undefined {
  const key = `"${setName}":{"updateTimestamp":`;
  const at = value.indexOf(key);
  if (at < 0) return "";
  if (value.indexOf(key, at + key.length) >= 0) return undefined;
  let from = at + key.length;
  from = value.charCodeAt(from) === 110 /* n of null */ ? from + 4 : value.indexOf('"', from + 1) + 1;
  from += ',"hash":"'.length;
  return value.slice(from, value.indexOf('"', from));
}

/** Whether the records in `value` give S the hash `hash`, as `hashInRecords(value, setName) === hash`. */
export function recordsHold(value: string | undefined, setName: string, hash: string): boolean {
  if (value) {
    // Most values do not contain the hash at all, and most that do are plain
    // records as written by a controller: neither needs a parse. (A hash
    // written with \u escapes reads the same, so the first shortcut needs a
    // value without any.)
    const verbatim = VERBATIM_IN_JSON.test(hash);
    if (verbatim && !value.includes(hash)) {
      if (!value.includes("\\")) return false;
    } else if (verbatim && VERBATIM_IN_JSON.test(setName) && PLAIN_RECORDS.test(value)) {
      const found = plainRecordHash(value, setName);
      if (found !== undefined) return found === hash;
    }
  }
  return hashInRecords(value, setName) === hash;
}

/** Updated: the pod records S's current hash. */
export function isPodUpdated(set: SidecarSet, pod: Pod): boolean {
  return recordsHold(pod.metadata?.annotations?.[SIDECARSET_HASH_ANNOTATION], set.metadata.name ?? "", setHash(set));
}

/** Adds one matched pod to the counts: ready = consistent ∧ ready; updatedReady = updated ∧ that. */
export function tallyFacts(status: RolloutStatus, updated: boolean, consistent: boolean, ready: boolean): void {
  status.matchedPods++;
  if (updated) status.updatedPods++;
  if (consistent && ready) {
    status.readyPods++;
    if (updated) status.updatedReadyPods++;
  }
}

/** Every matched pod updated and ready: the end of a rollout, which `rollout status` and users wait for. */
export function isSettled(status: { matchedPods: number; updatedReadyPods?: number }): boolean {
  // Updated-and-ready pods are a subset of the updated ones, which are a subset of the matched ones.
  return status.updatedReadyPods === status.matchedPods;
}

/** Matched pods that are updated but not yet serving it: they use the maxUnavailable budget. */
export function updatedButUnavailable(updated: boolean, consistent: boolean, ready: boolean): boolean {
  return updated && (!consistent || !ready);
}
