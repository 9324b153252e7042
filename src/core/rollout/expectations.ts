// Expectations: writes the informer cache has not shown yet.
// Acting on a stale cache would upgrade the same pods twice or overrun
// maxUnavailable, so a reconcile waits until every write it made is visible,
// the pod is gone or unmatched, or the entry has waited too long. Time is
// always an argument.

export const DEFAULT_EXPECTATION_TIMEOUT_MS = 60_000;

export type ExpectationKind = "update" | "resource-version";

interface Entry {
  kind: ExpectationKind;
  /** Hash written (update) or resourceVersion returned by the write (resource-version). */
  value: string;
  since: number;
}

/** What the cache shows of one matched pod now. */
export interface ObservedPod {
  /** The pod's recorded hash for S. */
  recordedHash: string;
  resourceVersion?: string;
}

export interface ExpectationCheck {
  satisfied: boolean;
  /** Pods still awaited, sorted. */
  pending: string[];
  /** Entries dropped because they waited longer than the timeout (to be logged as warnings). */
  expired: { pod: string; kind: ExpectationKind; ageMs: number }[];
}

/**
 * Compares resourceVersions as numbers (they are etcd revisions); a value that
 * is not a decimal integer only satisfies by equality.
 */
export function resourceVersionAtLeast(observed: string | undefined, written: string): boolean {
  if (observed === undefined) return false;
  if (!/^\d+$/.test(observed) || !/^\d+$/.test(written)) return observed === written;
  return BigInt(observed) >= BigInt(written);
}

export class Expectations {
  /** SidecarSet name → pod key → entry. */
  private readonly bySet = new Map<string, Map<string, Entry>>();

  constructor(private readonly timeoutMs: number = DEFAULT_EXPECTATION_TIMEOUT_MS) {}

  /** After upgrading `pod` for S with hash `hash`. */
  expectUpdate(setName: string, pod: string, hash: string, now: Date): void {
    this.entries(setName).set(pod, { kind: "update", value: hash, since: now.getTime() });
  }

  /** After a write that leaves the hash alone (hot-upgrade flip): wait for its resourceVersion. */
  expectResourceVersion(setName: string, pod: string, resourceVersion: string, now: Date): void {
    this.entries(setName).set(pod, { kind: "resource-version", value: resourceVersion, since: now.getTime() });
  }

  /** A pod was deleted: whatever was expected of it will never show, for any SidecarSet. */
  forgetPod(pod: string): void {
    for (const [set, entries] of this.bySet) {
      entries.delete(pod);
      if (entries.size === 0) this.bySet.delete(set);
    }
  }

  forgetSidecarSet(setName: string): void {
    this.bySet.delete(setName);
  }

  /** Whether anything is awaited for S (a reconcile with nothing pending looks at no pod). */
  hasPending(setName: string): boolean {
    return this.bySet.has(setName);
  }

  /**
   * Clears what the cache now satisfies and reports whether S may act.
   * `currentHash` is S's hash now; `matched` tells what the cache shows of an
   * awaited pod when it is one of S's matched pods (undefined otherwise). Only
   * awaited pods are looked up, so the cost follows the writes in flight, not
   * the pods that exist.
   */
  check(setName: string, currentHash: string, matched: (pod: string) => ObservedPod | undefined, now: Date): ExpectationCheck {
    const entries = this.bySet.get(setName);
    const expired: ExpectationCheck["expired"] = [];
    if (!entries) return { satisfied: true, pending: [], expired };
    const t = now.getTime();
    for (const [pod, e] of entries) {
      const seen = matched(pod);
      let done: boolean;
      if (!seen) done = true;
      else if (e.kind === "update") done = e.value !== currentHash || seen.recordedHash === e.value;
      else done = resourceVersionAtLeast(seen.resourceVersion, e.value);
      if (!done && t - e.since > this.timeoutMs) {
        expired.push({ pod, kind: e.kind, ageMs: t - e.since });
        done = true;
      }
      if (done) entries.delete(pod);
    }
    if (entries.size === 0) this.bySet.delete(setName);
    const pending = [...(this.bySet.get(setName)?.keys() ?? [])].sort();
    return { satisfied: pending.length === 0, pending, expired };
  }

  /** The SidecarSets that await a write of `pod`, so that its events can tell them when the write shows. */
  awaiting(pod: string): string[] {
    const out: string[] = [];
    for (const [set, entries] of this.bySet) if (entries.has(pod)) out.push(set);
    return out;
  }

  /** Pods awaited for S, sorted (for logs and tests). */
  pending(setName: string): string[] {
    return [...(this.bySet.get(setName)?.keys() ?? [])].sort();
  }

  private entries(setName: string): Map<string, Entry> {
    let m = this.bySet.get(setName);
    if (!m) {
      m = new Map();
      this.bySet.set(setName, m);
    }
    return m;
  }
}
