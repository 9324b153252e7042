// Pods of one ReplicaSet (or Job, or StatefulSet revision) reach the pod
// webhook as the same object: the API server has not named them yet, so a
// scale-up of 100 replicas sends 100 identical pods that differ only in the
// request uid. Their answers are identical too, as long as nothing else the
// answer depends on changed: the cached SidecarSets, Namespaces and
// ControllerRevisions (the cache's version), the second written into the
// hash records, and no random draw (`injectionStrategy.revision.policy:
// Partial`). Within those bounds the answer is computed once and reused:
// injecting ten sidecars and encoding the patch is most of an admission's CPU.
//
// Only the current (second, version) is kept: a new second or any change of
// the cache drops every entry, so nothing stale can be served and the memo
// never holds more than the pods admitted in one second. Pods that come with
// their name are never identical to a later one and are not kept.

/** Where an answer is kept: the pod's key (`InjectionMemo.keyOf`), the second and the cache version. */
export interface MemoSlot {
  key: string;
  second: number;
  version: number;
}

/** What answering a pod came to, apart from its uid. */
export type MemoizedAnswer = { kind: "unchanged" } | { kind: "injected"; injected: string[]; base64Patch: string | undefined };

/**
 * Bounds on one second's entries. A scale-up brings a few templates at a time; pods that all differ would
 * only fill the memo with entries that outlive the young generation (measured: 10 % more CPU per admission
 * with no bound, the same as without a memo with this one).
 */
const MAX_ENTRIES = 64;
const MAX_KEY_CHARS = 1024 * 1024;

export class InjectionMemo {
  private entries = new Map<string, MemoizedAnswer>();
  private second = NaN;
  private version = NaN;
  private keyChars = 0;

  /** The key of a pod admitted into `namespace` (the request's; the pod's own is in its text). */
  static keyOf(requestNamespace: string | undefined, pod: unknown): string {
    return `${requestNamespace ?? ""}\n${JSON.stringify(pod)}`;
  }

  get({ key, second, version }: MemoSlot): MemoizedAnswer | undefined {
    if (second !== this.second || version !== this.version) return undefined;
    return this.entries.get(key);
  }

  set({ key, second, version }: MemoSlot, answer: MemoizedAnswer): void {
    if (second !== this.second || version !== this.version) {
      this.entries = new Map();
      this.second = second;
      this.version = version;
      this.keyChars = 0;
    }
    if (this.entries.size >= MAX_ENTRIES || this.keyChars + key.length > MAX_KEY_CHARS) return;
    this.keyChars += key.length;
    this.entries.set(key, answer);
  }

  get size(): number {
    return this.entries.size;
  }
}
