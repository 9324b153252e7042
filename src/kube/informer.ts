// An informer over raw JSON list+watch. It differs from the client library's
// informer where that one falls short for a controller that must not go blind:
// - any error (not only 410) restarts the loop after an exponential backoff,
//   instead of stopping for good;
// - list results are raw JSON like watch events, so the cache has one shape;
// - `metadata.managedFields` and kubectl's last-applied-configuration
//   annotation are dropped before caching (often the biggest parts of an
//   object, and never read);
// - a periodic resync re-delivers every cached object as an update from the
//   local store (no request to the API server), so level-based consumers
//   reconcile everything periodically;
// - a relist (after a watch error or an expired resourceVersion) keeps the
//   cached object when its resourceVersion is unchanged, so consumers that
//   remember what they derived from an object (by identity) keep it.
import type { Logger } from "pino";
import type { QueryParams, RawKubeClient, RawList, WatchEvent } from "./raw-client.js";
import { describeError, isGone } from "./errors.js";
import { keyOf, objectKey, Store, type IndexFunc, type KubeObject } from "./store.js";

export { objectKey, keyOf, NAMESPACE_INDEX } from "./store.js";
export type { IndexFunc, KubeObject } from "./store.js";

/** The annotation client-side `kubectl apply` keeps the applied manifest in. */
export const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

/** Where the informer gets its data; `rawListWatch` for a real API server. */
export interface ListWatchSource<T> {
  list(query: QueryParams, signal: AbortSignal): Promise<RawList<T>>;
  /** Resolves when the server ends the stream; rejects on errors (410 included). */
  watch(query: QueryParams, onEvent: (ev: WatchEvent<T>) => void, signal: AbortSignal): Promise<void>;
}

/** List+watch on a collection path such as "/api/v1/pods" or "/apis/apps.kruise.io/v1alpha1/sidecarsets". */
export function rawListWatch<T>(client: RawKubeClient, path: string, opts: { idleTimeoutMs?: number } = {}): ListWatchSource<T> {
  return {
    list: (query, signal) => client.list<T>(path, { query, signal }),
    watch: (query, onEvent, signal) =>
      client.watch<T>(path, query, onEvent, { signal, idleTimeoutMs: opts.idleTimeoutMs ?? 5 * 60_000 }),
  };
}

export interface EventHandlers<T> {
  add?(obj: T): void;
  /** Also called on every relist with equal resourceVersions (resync); compare them if that matters. */
  update?(oldObj: T, newObj: T): void;
  /** Gets the last state of the object. */
  delete?(obj: T): void;
}

export interface InformerOptions<T> {
  /** For log lines: "pods", "sidecarsets". */
  name: string;
  source: ListWatchSource<T>;
  labelSelector?: string;
  fieldSelector?: string;
  /** Resync period in ms (a replay of the local store); 0 or undefined disables it. */
  resyncMs?: number;
  /** Page size of list calls. */
  pageSize?: number;
  /** Server-side watch timeout; a fresh watch is opened afterwards. Default: random in [300, 600) like client-go. */
  watchTimeoutSeconds?: number;
  backoff?: { initialMs?: number; maxMs?: number };
  indexers?: Record<string, IndexFunc<T>>;
  logger?: Logger;
  /** Extra trimming before caching (managedFields is always removed). */
  transform?: (obj: T) => T;
  /** Keep a journal of replaced objects for changesSince (StoreOptions.journal). */
  journal?: boolean;
  /**
   * Whether `next` changes nothing this cache's readers read of `cached`. When it says so, the cache keeps
   * `cached` (its resourceVersion included), its revision stays and no handler hears of the update: readers that
   * key derived data on the object, or on the revision, keep it.
   */
  sameForReaders?: (cached: T, next: T) => boolean;
}

const DEFAULT_BACKOFF = { initialMs: 800, maxMs: 30_000 };

export class Informer<T extends KubeObject> {
  private readonly store: Store<T>;
  private readonly handlers = new Set<EventHandlers<T>>();
  private readonly syncWaiters = new Set<{ resolve: () => void; reject: (e: Error) => void }>();
  private abort: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private synced = false;
  private resourceVersion = "";
  private readonly log: Logger | undefined;

  constructor(private readonly opts: InformerOptions<T>) {
    this.store = new Store<T>(opts.indexers, { journal: opts.journal === true });
    this.log = opts.logger?.child({ informer: opts.name });
  }

  /** Adds handlers; when the cache already holds objects they are replayed as adds. Returns an unsubscribe. */
  addEventHandler(handlers: EventHandlers<T>): () => void {
    this.handlers.add(handlers);
    if (handlers.add) for (const obj of this.store.list()) this.call(() => handlers.add!(obj));
    return () => this.handlers.delete(handlers);
  }

  start(): void {
    if (this.loop) return;
    const abort = new AbortController();
    this.abort = abort;
    this.loop = this.run(abort.signal);
  }

  async stop(): Promise<void> {
    this.abort?.abort();
    await this.loop;
    for (const w of this.syncWaiters) w.reject(new Error(`informer ${this.opts.name} stopped before it synced`));
    this.syncWaiters.clear();
  }

  /** True once the first list has been stored and delivered to the handlers. */
  hasSynced(): boolean {
    return this.synced;
  }

  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
        reject: (e: Error) => {
          signal?.removeEventListener("abort", onAbort);
          reject(e);
        },
      };
      const onAbort = () => {
        this.syncWaiters.delete(waiter);
        reject(new Error(`waiting for informer ${this.opts.name} to sync was cancelled`));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });
      this.syncWaiters.add(waiter);
    });
  }

  get(key: string): T | undefined {
    return this.store.get(key);
  }

  getByName(namespace: string | undefined, name: string): T | undefined {
    return this.store.get(keyOf(namespace, name));
  }

  list(): T[] {
    return this.store.list();
  }

  /** A position in the cache's change journal (see changesSince). */
  get revision(): number {
    return this.store.revision;
  }

  /**
   * Keys whose object changed since `revision`, each with its object then
   * (undefined: it did not exist), or undefined when that is too far back.
   */
  changesSince(revision: number): Map<string, T | undefined> | undefined {
    return this.store.changesSince(revision);
  }

  /** See Store.forgetChangesBefore. */
  forgetChangesBefore(revision: number): void {
    this.store.forgetChangesBefore(revision);
  }

  /** Objects in the cache, without copying them out. */
  get size(): number {
    return this.store.size;
  }

  /** Objects in one namespace (built-in index). */
  listInNamespace(namespace: string): T[] {
    return this.store.byIndex("namespace", namespace);
  }

  byIndex(indexName: string, value: string): T[] {
    return this.store.byIndex(indexName, value);
  }

  /** See Store.addIndex. */
  addIndex(indexName: string, fn: IndexFunc<T>): void {
    this.store.addIndex(indexName, fn);
  }

  /** See Store.removeIndex. */
  removeIndex(indexName: string): void {
    this.store.removeIndex(indexName);
  }

  /** See Store.indexSize. */
  indexSize(indexName: string, value?: string): number {
    return this.store.indexSize(indexName, value);
  }

  /** See Store.indexValues. */
  indexValues(indexName: string): string[] {
    return this.store.indexValues(indexName);
  }

  /** The resourceVersion the next watch starts from. */
  get lastSyncResourceVersion(): string {
    return this.resourceVersion;
  }

  private async run(signal: AbortSignal): Promise<void> {
    const backoff = { ...DEFAULT_BACKOFF, ...this.opts.backoff };
    let failures = 0;
    let needList = true;
    let resyncAt = Infinity;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.listAndReplace(signal);
          needList = false;
          resyncAt = this.opts.resyncMs ? Date.now() + this.opts.resyncMs : Infinity;
        }
        if (resyncAt - Date.now() <= 0) {
          this.resync();
          resyncAt = Date.now() + (this.opts.resyncMs ?? 0);
        }
        const remainingMs = resyncAt - Date.now();
        const watchTimeout = this.opts.watchTimeoutSeconds ?? 300 + Math.floor(Math.random() * 300);
        const timeoutSeconds = Math.max(1, Math.min(watchTimeout, Math.ceil(remainingMs / 1000)));
        let events = 0;
        const began = Date.now();
        // The server should end the watch after timeoutSeconds; the timer makes
        // the resync happen on time even when it does not. The watch is then
        // resumed from the last resourceVersion.
        const resyncDue = new AbortController();
        const resyncTimer = Number.isFinite(remainingMs) ? setTimeout(() => resyncDue.abort(), remainingMs) : undefined;
        try {
          await this.opts.source.watch(
            this.query({ resourceVersion: this.resourceVersion, allowWatchBookmarks: true, timeoutSeconds }),
            (ev) => {
              events++;
              this.applyWatchEvent(ev);
            },
            AbortSignal.any([signal, resyncDue.signal]),
          );
        } finally {
          clearTimeout(resyncTimer);
        }
        if (events > 0) failures = 0;
        // A stream that closes at once without events would otherwise spin.
        else if (Date.now() - began < 1000 && !signal.aborted && !resyncDue.signal.aborted) {
          failures++;
          await sleep(backoffMs(failures, backoff), signal);
        }
      } catch (e) {
        if (signal.aborted) break;
        if (isGone(e)) {
          // The resourceVersion fell out of the server's window: relist. At once
          // the first time; repeated 410s without progress back off.
          this.log?.info({ rv: this.resourceVersion }, "watch expired (410), relisting");
          needList = true;
          if (failures++ === 0) continue;
        } else {
          failures++;
          this.log?.warn({ err: describeError(e), attempt: failures }, needList ? "list failed" : "watch failed");
        }
        await sleep(backoffMs(failures, backoff), signal);
      }
    }
  }

  private query(extra: QueryParams): QueryParams {
    return { labelSelector: this.opts.labelSelector, fieldSelector: this.opts.fieldSelector, ...extra };
  }

  private async listAll(signal: AbortSignal): Promise<{ items: T[]; resourceVersion: string }> {
    const pageSize = this.opts.pageSize ?? 500;
    const items: T[] = [];
    let cont: string | undefined;
    let resourceVersion = "";
    do {
      let page: RawList<T>;
      try {
        page = await this.opts.source.list(this.query({ limit: pageSize, continue: cont }), signal);
      } catch (e) {
        if (cont === undefined || !isGone(e)) throw e;
        // The continue token expired mid-list: take the whole list in one call.
        this.log?.info("list continue token expired, listing without pages");
        items.length = 0;
        page = await this.opts.source.list(this.query({}), signal);
      }
      // Prepared page by page: a raw page (a list of large pods runs to megabytes) becomes garbage before the
      // next one arrives, instead of all pages surviving together into the old generation.
      for (const raw of page.items) items.push(this.prepare(raw));
      resourceVersion = page.metadata.resourceVersion ?? "";
      cont = page.metadata.continue || undefined;
    } while (cont && !signal.aborted);
    return { items, resourceVersion };
  }

  private async listAndReplace(signal: AbortSignal): Promise<void> {
    const { items, resourceVersion } = await this.listAll(signal);
    if (signal.aborted) return;
    const seen = new Set<string>();
    const changes: (() => void)[] = [];
    for (const obj of items) {
      const key = objectKey(obj);
      seen.add(key);
      const old = this.store.get(key);
      if (old && (sameVersion(old, obj) || this.opts.sameForReaders?.(old, obj))) {
        changes.push(() => this.emitUpdate(old, old));
        continue;
      }
      this.store.set(key, obj);
      changes.push(old ? () => this.emitUpdate(old, obj) : () => this.emitAdd(obj));
    }
    for (const key of this.store.keys()) {
      if (seen.has(key)) continue;
      const gone = this.store.delete(key)!;
      changes.push(() => this.emitDelete(gone));
    }
    this.resourceVersion = resourceVersion;
    for (const change of changes) change();
    this.log?.debug({ count: items.length, rv: resourceVersion }, "listed");
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters) w.resolve();
      this.syncWaiters.clear();
    }
  }

  /** Re-delivers every cached object as an update to itself. */
  private resync(): void {
    const objects = this.store.list();
    for (const obj of objects) this.emitUpdate(obj, obj);
    this.log?.debug({ count: objects.length }, "resynced from the local store");
  }

  private applyWatchEvent(ev: WatchEvent<T>): void {
    const rv = ev.object?.metadata?.resourceVersion;
    if (ev.type === "BOOKMARK") {
      if (rv) this.resourceVersion = rv;
      return;
    }
    const obj = this.prepare(ev.object);
    const key = objectKey(obj);
    if (ev.type === "DELETED") {
      this.store.delete(key);
      this.emitDelete(obj);
    } else {
      const { sameForReaders } = this.opts;
      const cached = sameForReaders && this.store.get(key);
      // Otherwise the cached object stays as it is; the informer still moves on to this resourceVersion.
      if (!(cached && sameForReaders(cached, obj))) {
        const old = this.store.set(key, obj);
        if (old) this.emitUpdate(old, obj);
        else this.emitAdd(obj);
      }
    }
    if (rv) this.resourceVersion = rv;
  }

  private prepare(obj: T): T {
    const metadata = obj.metadata;
    if (metadata) {
      if ("managedFields" in metadata) delete metadata.managedFields;
      // The whole object again, as `kubectl apply` last wrote it: kubectl's own record, which the manager never
      // reads and never writes back (it writes only status and the pods it upgrades).
      if (metadata.annotations && LAST_APPLIED in metadata.annotations) delete metadata.annotations[LAST_APPLIED];
    }
    return this.opts.transform ? this.opts.transform(obj) : obj;
  }

  private emitAdd(obj: T): void {
    for (const h of this.handlers) if (h.add) this.call(() => h.add!(obj));
  }

  private emitUpdate(oldObj: T, newObj: T): void {
    for (const h of this.handlers) if (h.update) this.call(() => h.update!(oldObj, newObj));
  }

  private emitDelete(obj: T): void {
    for (const h of this.handlers) if (h.delete) this.call(() => h.delete!(obj));
  }

  // One failing handler must not stop the informer or the other handlers.
  private call(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.log?.error({ err: describeError(e) }, "event handler threw");
    }
  }
}

function sameVersion(a: KubeObject, b: KubeObject): boolean {
  const rv = a.metadata?.resourceVersion;
  return rv !== undefined && rv !== "" && rv === b.metadata?.resourceVersion;
}

export function backoffMs(failures: number, b: { initialMs: number; maxMs: number }): number {
  const base = Math.min(b.maxMs, b.initialMs * 2 ** Math.max(0, failures - 1));
  // Jitter spreads the relists of many replicas after an API server restart.
  return Math.min(b.maxMs, base * (1 + Math.random() * 0.5));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
