// The controller's view of its SidecarSet cache for pod events
// (core/triggers.ts): a pod event reconciles the SidecarSets that select the
// pod, and with a SidecarSet per team there are thousands to ask. They are
// filed by what their selectors require (the webhook's SelectionIndex, with
// the selection rule alone), so a pod is tried only against those that may
// select it. Status writes replace cached SidecarSets every second without
// changing what they select: the index is made again only when a SidecarSet
// comes, goes or changes its selection (or the base it is a canary of), and
// hands out the cache's current objects.
import type { Pod } from "../api/kube-types.js";
import type { SidecarSet } from "../api/types.js";
import { canaryBaseOf } from "../core/inject/canary.js";
import { SelectionIndex, selectionFiling } from "../core/inject/selection-index.js";
import { canaryNamesByBase } from "../core/rollout/matching.js";
import type { SidecarSetLookup } from "../core/triggers.js";
import type { EventHandlers } from "../kube/informer.js";

/** What the lookup reads of the SidecarSet informer. */
export interface SidecarSetSource {
  get(name: string): SidecarSet | undefined;
  list(): SidecarSet[];
  addEventHandler(handlers: EventHandlers<SidecarSet>): () => void;
}

/** Everything of a SidecarSet that decides which pods it selects, and whose canary it is. */
function selectionOf(set: SidecarSet): string {
  const { selector, namespace, namespaceSelector } = set.spec;
  return JSON.stringify([selector ?? null, namespace ?? null, namespaceSelector ?? null, canaryBaseOf(set) ?? null]);
}

export class IndexedSidecarSets implements SidecarSetLookup {
  private index: SelectionIndex | undefined;
  /** Canary names by base name (canaryNamesOf over the whole cache), made with the index. */
  private canaries: Map<string, string[]> | undefined;
  readonly unsubscribe: () => void;

  constructor(private readonly source: SidecarSetSource) {
    const forget = () => {
      this.index = undefined;
      this.canaries = undefined;
    };
    this.unsubscribe = source.addEventHandler({
      add: forget,
      update: (oldSet, newSet) => {
        if (oldSet !== newSet && selectionOf(oldSet) !== selectionOf(newSet)) forget();
      },
      delete: forget,
    });
  }

  byName(name: string): SidecarSet | undefined {
    return this.source.get(name);
  }

  /** The names of the SidecarSets that are canaries of `base` (canaryNamesOf), without reading every SidecarSet. */
  canaryNamesOf(base: string): readonly string[] {
    this.canaries ??= canaryNamesByBase(this.source.list());
    return this.canaries.get(base) ?? [];
  }

  selectionCandidates(pod: Pod): SidecarSet[] {
    this.index ??= new SelectionIndex(this.source.list(), selectionFiling);
    const out: SidecarSet[] = [];
    for (const filed of this.index.candidates(pod)) {
      const current = this.source.get(filed.metadata.name ?? "");
      if (current) out.push(current);
    }
    return out;
  }
}
