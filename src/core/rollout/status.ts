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

/** Characters that JSON never escapes and that a regex takes literally once "." is escaped. */
const VERBATIM_IN_JSON = /^[A-Za-z0-9._-]+$/;

/** A JSON string without escapes or control characters: its text is its value. */
const PLAIN_STRING = '"[^"\\\\\\u0000-\\u001f]*"';

/**
 * Records as the manager and OpenKruise write them, S's with hash H among
 * any others: `{…,"S":{"updateTimestamp":…,"hash":"H","sidecarSetName":…,"sidecarList":…},…}`
 * with no escapes anywhere. A value matching it is valid JSON whose entry S
 * (the only key S: the others are checked not to be S) has hash H, so the
 * parse can be skipped; anything else is parsed.
 */
function recordsPattern(setName: string, hash: string): RegExp {
  const lit = (s: string): string => s.replace(/[.]/g, "\\.");
  const record = (hashPattern: string): string =>
    `\\{"updateTimestamp":(?:null|${PLAIN_STRING}),"hash":${hashPattern},"sidecarSetName":${PLAIN_STRING},` +
    `"sidecarList":(?:null|\\[(?:${PLAIN_STRING}(?:,${PLAIN_STRING})*)?\\])(?:,"controllerRevision":${PLAIN_STRING})?\\}`;
  const key = `"${lit(setName)}":`;
  const other = `(?!${key})${PLAIN_STRING}:${record(PLAIN_STRING)}`;
  return new RegExp(`^\\{(?:${other},)*${key}${record(`"${lit(hash)}"`)}(?:,${other})*\\}$`);
}

interface HashProbe {
  setName: string;
  hash: string;
  verbatim: boolean;
  pattern: RegExp | null;
}

// The planner asks about the same two (SidecarSet, hash) pairs for every pod:
// prepare each once. Bounded, as SidecarSets and hashes come and go.
const PROBE_LIMIT = 256;
const probes = new Map<string, Map<string, HashProbe>>();
let probeCount = 0;

// The last two probes asked for: the planner alternates between two pairs,
// and comparing the (usually identical) strings is cheaper than two lookups.
let recent: HashProbe | undefined;
let previous: HashProbe | undefined;

function probeFor(setName: string, hash: string): HashProbe {
  if (recent !== undefined && recent.hash === hash && recent.setName === setName) return recent;
  if (previous !== undefined && previous.hash === hash && previous.setName === setName) {
    const found = previous;
    previous = recent;
    recent = found;
    return found;
  }
  previous = recent;
  recent = preparedProbe(setName, hash);
  return recent;
}

function preparedProbe(setName: string, hash: string): HashProbe {
  let bySet = probes.get(setName);
  let probe = bySet?.get(hash);
  if (probe) return probe;
  if (probeCount >= PROBE_LIMIT) {
    probes.clear();
    probeCount = 0;
    bySet = undefined;
  }
  if (!bySet) probes.set(setName, (bySet = new Map()));
  const verbatim = VERBATIM_IN_JSON.test(hash);
  probe = { setName, hash, verbatim, pattern: verbatim && VERBATIM_IN_JSON.test(setName) ? recordsPattern(setName, hash) : null };
  bySet.set(hash, probe);
  probeCount++;
  return probe;
}

/** Whether the records in `value` give S the hash `hash`, as `hashInRecords(value, setName) === hash`. */
export function recordsHold(value: string | undefined, setName: string, hash: string): boolean {
  if (value) {
    const probe = probeFor(setName, hash);
    // Most values do not contain the hash at all, and most that do are plain
    // records as written by a controller: neither needs a parse. (A hash
    // written with \u escapes reads the same, so the first shortcut needs a
    // value without any.)
    if (probe.verbatim && !value.includes(hash)) {
      if (!value.includes("\\")) return false;
    } else if (probe.pattern?.test(value)) {
      return true;
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
