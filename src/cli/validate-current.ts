// `sidecarset validate --current`: the SidecarSets a cluster holds now (e.g.
// `kubectl get sidecarsets -o yaml`). A given SidecarSet with the name of a
// current one is checked as an UPDATE of it, as the webhook checks a change;
// the other current ones are existing SidecarSets it must not conflict with.
import { isRecord } from "../api/is-record.js";
import { KIND } from "../api/types.js";
import type { SourceDocument } from "./documents.js";

export interface CurrentSidecarSets {
  /** The stored version of `name`, when the cluster holds one. */
  stored(name: string): unknown;
  /** Every current SidecarSet except those named in `given`, which the given versions replace. */
  othersThan(given: ReadonlySet<string>): unknown[];
}

/** `docs` as the cluster stores them: `normalize` applies what the defaulting webhook did on the way in. */
export function currentSidecarSets(docs: readonly SourceDocument[], normalize: (object: unknown) => unknown): CurrentSidecarSets {
  const byName = new Map<string, unknown>();
  for (const doc of docs) {
    const o = doc.object;
    if (!isRecord(o) || o.kind !== KIND || !isRecord(o.metadata) || typeof o.metadata.name !== "string") continue;
    byName.set(o.metadata.name, normalize(o));
  }
  return {
    stored: (name) => byName.get(name),
    othersThan: (given) => [...byName].filter(([name]) => !given.has(name)).map(([, o]) => o),
  };
}
