// The informer's cache: objects by key ("namespace/name", or "name" for
// cluster-scoped kinds) with secondary indexes. Objects are raw JSON shared by
// every reader; nobody may mutate them.

export interface KubeObjectMeta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  resourceVersion?: string;
  uid?: string;
  annotations?: Record<string, string>;
  managedFields?: unknown;
}

export interface KubeObject {
  metadata?: KubeObjectMeta;
}

/** Values an object is found under in one index (e.g. its namespace). */
export type IndexFunc<T> = (obj: T) => string[];

export const NAMESPACE_INDEX = "namespace";

const NO_VALUES: readonly string[] = Object.freeze([]);

/**
 * Files each object under its value of label `key`. Own properties only: an
 * object without the label is not filed under what `Object.prototype` holds.
 */
export function labelIndexFunc<T extends KubeObject>(key: string): IndexFunc<T> {
  return (obj) => {
    const labels = obj.metadata?.labels;
    if (!labels || !Object.hasOwn(labels, key)) return NO_VALUES as string[];
    const value = labels[key];
    return typeof value === "string" ? [value] : (NO_VALUES as string[]);
  };
}

export function objectKey(obj: KubeObject): string {
  const name = obj.metadata?.name ?? "";
  const ns = obj.metadata?.namespace;
  return ns ? `${ns}/${name}` : name;
}

export function keyOf(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/** Changes the journal keeps; a reader further behind is told to read everything. */
export const JOURNAL_CAPACITY = 4096;

export interface StoreOptions {
  /**
   * Keep a journal of the objects the latest changes replaced (changesSince).
   * Off unless a reader asks for it: each entry keeps a replaced object alive.
   */
  journal?: boolean;
}

interface JournalEntry<T> {
  key: string;
  /** The object the change replaced or deleted; undefined for an add. */
  previous: T | undefined;
}

export class Store<T extends KubeObject> {
  private readonly items = new Map<string, T>();
  // The latest changes, so a reader can ask what changed since it last
  // looked instead of comparing every object. A store without a journal
  // only moves journalStart, so the revision still counts changes.
  private journal: JournalEntry<T>[] = [];
  private journalStart = 0;
  private readonly journaled: boolean;
  private readonly indexFuncs: Map<string, IndexFunc<T>>;
  private readonly indexes = new Map<string, Map<string, Set<string>>>();
  /** Per index, how many (value, object) entries it holds. */
  private readonly indexEntries = new Map<string, number>();

  constructor(indexers: Record<string, IndexFunc<T>> = {}, opts: StoreOptions = {}) {
    this.journaled = opts.journal === true;
    this.indexFuncs = new Map(Object.entries(indexers));
    if (!this.indexFuncs.has(NAMESPACE_INDEX)) {
      this.indexFuncs.set(NAMESPACE_INDEX, (o) => [o.metadata?.namespace ?? ""]);
    }
    for (const name of this.indexFuncs.keys()) {
      this.indexes.set(name, new Map());
      this.indexEntries.set(name, 0);
    }
  }

  /**
   * Adds an index over the objects already stored and those to come, unless
   * one of that name exists: readers that learn at run time what they look
   * objects up by (a selector's label keys) index only that.
   */
  addIndex(indexName: string, fn: IndexFunc<T>): void {
    if (this.indexFuncs.has(indexName)) return;
    this.indexFuncs.set(indexName, fn);
    this.indexes.set(indexName, new Map());
    this.indexEntries.set(indexName, 0);
    for (const [key, obj] of this.items) this.indexOne(indexName, fn, key, obj);
  }

  hasIndex(indexName: string): boolean {
    return this.indexFuncs.has(indexName);
  }

  /** Drops an index added by addIndex (no reader looks objects up by it any more). */
  removeIndex(indexName: string): void {
    if (indexName === NAMESPACE_INDEX) throw new Error(`the "${NAMESPACE_INDEX}" index cannot be removed`);
    this.indexFuncs.delete(indexName);
    this.indexes.delete(indexName);
    this.indexEntries.delete(indexName);
  }

  /** How many objects an index holds under `value`, or under any value: a count without a list. */
  indexSize(indexName: string, value?: string): number {
    const index = this.indexOf(indexName);
    if (value === undefined) return this.indexEntries.get(indexName)!;
    return index.get(value)?.size ?? 0;
  }

  /** The values an index holds objects under. */
  indexValues(indexName: string): string[] {
    return [...this.indexOf(indexName).keys()];
  }

  get size(): number {
    return this.items.size;
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  has(key: string): boolean {
    return this.items.has(key);
  }

  list(): T[] {
    return [...this.items.values()];
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  /** Objects whose index function returned `value`. Unknown index names are a programming error. */
  byIndex(indexName: string, value: string): T[] {
    const keys = this.indexOf(indexName).get(value);
    if (!keys) return [];
    const out: T[] = [];
    for (const k of keys) {
      const obj = this.items.get(k);
      if (obj) out.push(obj);
    }
    return out;
  }

  /** Stores `obj` and returns the object it replaced. */
  set(key: string, obj: T): T | undefined {
    const old = this.items.get(key);
    if (old === obj) return old;
    if (old) this.unindex(key, old);
    this.items.set(key, obj);
    this.index(key, obj);
    this.record(key, old);
    return old;
  }

  delete(key: string): T | undefined {
    const old = this.items.get(key);
    if (!old) return undefined;
    this.unindex(key, old);
    this.items.delete(key);
    this.record(key, old);
    return old;
  }

  /** Counts the changes so far: a position in the journal. */
  get revision(): number {
    return this.journalStart + this.journal.length;
  }

  /**
   * The keys changed since `revision`, each with the object it held then
   * (undefined when it did not exist), or undefined when the journal no longer
   * reaches back that far (or the store keeps none).
   */
  changesSince(revision: number): Map<string, T | undefined> | undefined {
    if (!this.journaled || revision < this.journalStart || revision > this.revision) return undefined;
    const out = new Map<string, T | undefined>();
    for (let i = revision - this.journalStart; i < this.journal.length; i++) {
      const e = this.journal[i]!;
      if (!out.has(e.key)) out.set(e.key, e.previous);
    }
    return out;
  }

  /**
   * No reader will ask for changes before `revision` any more: the objects
   * they replaced are let go. The revision numbers stay as they are.
   */
  forgetChangesBefore(revision: number): void {
    const drop = Math.min(revision, this.revision) - this.journalStart;
    if (drop <= 0) return;
    this.journal = drop >= this.journal.length ? [] : this.journal.slice(drop);
    this.journalStart += drop;
  }

  private record(key: string, previous: T | undefined): void {
    if (!this.journaled) {
      this.journalStart++;
      return;
    }
    this.journal.push({ key, previous });
    if (this.journal.length > JOURNAL_CAPACITY) {
      const drop = this.journal.length - JOURNAL_CAPACITY / 2;
      this.journal = this.journal.slice(drop);
      this.journalStart += drop;
    }
  }

  private indexOf(indexName: string): Map<string, Set<string>> {
    const index = this.indexes.get(indexName);
    if (!index) throw new Error(`no index "${indexName}" (known: ${[...this.indexes.keys()].join(", ")})`);
    return index;
  }

  private index(key: string, obj: T): void {
    for (const [name, fn] of this.indexFuncs) this.indexOne(name, fn, key, obj);
  }

  private indexOne(name: string, fn: IndexFunc<T>, key: string, obj: T): void {
    const index = this.indexes.get(name)!;
    let added = 0;
    for (const value of fn(obj)) {
      let keys = index.get(value);
      if (!keys) index.set(value, (keys = new Set()));
      if (keys.has(key)) continue;
      keys.add(key);
      added++;
    }
    if (added) this.indexEntries.set(name, this.indexEntries.get(name)! + added);
  }

  private unindex(key: string, obj: T): void {
    for (const [name, fn] of this.indexFuncs) {
      const index = this.indexes.get(name)!;
      let removed = 0;
      for (const value of fn(obj)) {
        const keys = index.get(value);
        if (!keys?.delete(key)) continue;
        removed++;
        if (keys.size === 0) index.delete(value);
      }
      if (removed) this.indexEntries.set(name, this.indexEntries.get(name)! - removed);
    }
  }
}
