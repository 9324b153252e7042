// The pods a full plan of a SidecarSet reads. Every pod in its namespace
// scope would do (the plan keeps only those its selector selects), but with
// many SidecarSets each selecting a few of many pods, reading them all is
// what a resync costs: 1,000 SidecarSets over 100k pods, 100 million pods
// tried. A pod the selector selects carries each label of an `In` (or
// `matchLabels`) requirement with one of its values, and each label of an
// `Exists`; the pod cache indexes those labels (on first use, then as pods
// change) and the listing is the smallest of what they, or the namespace,
// name. It only leaves out pods the selector could not select. An index no
// plan has used for a while is dropped (LabelIndexes.retireUnused).
import type { Pod } from "../api/kube-types.js";
import type { SidecarSet } from "../api/types.js";
import { cachedSelector } from "../core/inject/selector-cache.js";
import type { Requirement } from "../core/selector.js";
import { labelIndexFunc, NAMESPACE_INDEX, type IndexFunc } from "../kube/store.js";

/** The pod cache's index of one label key's values. */
export function labelIndexName(key: string): string {
  return `label:${key}`;
}

/** What the listing reads of the pod cache (an Informer, or its Store). */
export interface IndexedPods {
  readonly size: number;
  list(): Pod[];
  byIndex(indexName: string, value: string): Pod[];
  addIndex(indexName: string, fn: IndexFunc<Pod>): void;
  removeIndex(indexName: string): void;
  indexSize(indexName: string, value?: string): number;
  indexValues(indexName: string): string[];
}

/**
 * A label index costs an entry per pod carrying the label, and the label keys
 * selectors require change as SidecarSets come and go. Every SidecarSet is
 * planned in full at least once per informer resync (10 minutes), so an index
 * no plan used for longer than LABEL_INDEX_IDLE_MS belongs to no SidecarSet.
 */
export const LABEL_INDEX_IDLE_MS = 30 * 60_000;

/** The label indexes made on a pod cache and when a plan last used each. */
export class LabelIndexes {
  private readonly lastUsed = new Map<string, number>();

  constructor(
    readonly pods: IndexedPods,
    private readonly now: () => number = Date.now,
  ) {}

  /** The index of `key`'s values, made now if there is none. */
  use(key: string): string {
    const name = labelIndexName(key);
    if (!this.lastUsed.has(name)) this.pods.addIndex(name, labelIndexFunc<Pod>(key));
    this.lastUsed.set(name, this.now());
    return name;
  }

  /** Drops the indexes no plan used for LABEL_INDEX_IDLE_MS; returns their label keys' index names. */
  retireUnused(): string[] {
    const idleSince = this.now() - LABEL_INDEX_IDLE_MS;
    const retired: string[] = [];
    for (const [name, used] of this.lastUsed) {
      if (used > idleSince) continue;
      this.pods.removeIndex(name);
      this.lastUsed.delete(name);
      retired.push(name);
    }
    return retired;
  }
}

interface Listing {
  count: number;
  list: () => Pod[];
}

/** The pods of `set`'s namespace scope that its selector may select; a superset of those it does. */
export function podsSelectableBy(indexes: LabelIndexes, set: SidecarSet): Pod[] {
  const pods = indexes.pods;
  const namespace = set.spec.namespace;
  let best: Listing = namespace
    ? { count: pods.indexSize(NAMESPACE_INDEX, namespace), list: () => pods.byIndex(NAMESPACE_INDEX, namespace) }
    : { count: pods.size, list: () => pods.list() };
  const selector = set.spec.selector;
  const parsed = selector ? cachedSelector(selector) : undefined;
  if (parsed?.ok) {
    for (const requirement of parsed.requirements) {
      const listing = labelListing(indexes, requirement);
      if (listing && listing.count < best.count) best = listing;
    }
  }
  return best.list();
}

function labelListing(indexes: LabelIndexes, requirement: Requirement): Listing | undefined {
  if (requirement.operator !== "In" && requirement.operator !== "Exists") return undefined;
  const pods = indexes.pods;
  const index = indexes.use(requirement.key);
  const values = requirement.operator === "In" ? [...new Set(requirement.values)] : undefined;
  const count = values ? values.reduce((sum, v) => sum + pods.indexSize(index, v), 0) : pods.indexSize(index);
  return {
    count,
    list: () => {
      // A pod has one value per label: no pod is listed twice.
      const out: Pod[] = [];
      for (const value of values ?? pods.indexValues(index)) for (const pod of pods.byIndex(index, value)) out.push(pod);
      return out;
    },
  };
}
