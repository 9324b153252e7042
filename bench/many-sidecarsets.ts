// Benchmark: what a cluster's number of SidecarSets costs per pod, 10 of them
// matching the pod whatever their number. For the pod webhook, `injectPod` with
// the selection index it keeps of its cache's list
// (core/inject/selection-index.ts), beside trying every SidecarSet, as a
// library caller without an index does; and the index's own making, first
// (every selector parsed) and again after a change. For the controller, the
// SidecarSets a pod event reconciles (core/triggers.ts) for a pod created and
// for a pod relabelled, through the controller's lookup that files its cache's
// SidecarSets by selector (controller/sidecarset-lookup.ts) and trying every
// SidecarSet. Prints µs per pod; never fails a build.
import { performance } from "node:perf_hooks";
import type { Pod } from "../src/api/kube-types.js";
import type { SidecarSet } from "../src/api/types.js";
import { injectPod, type InjectInput } from "../src/core/inject/inject.js";
import { SelectionIndex } from "../src/core/inject/selection-index.js";
import { IndexedSidecarSets } from "../src/controller/sidecarset-lookup.js";
import { lookupOf, podAddedOrDeletedTriggers, podUpdatedTriggers, type SidecarSetLookup } from "../src/core/triggers.js";
import { pod, sidecarSets } from "./support/admission-workload.js";
import { printTable } from "./support/table.js";

const NOW = new Date("2026-01-01T00:00:00Z");
const COUNTS = [100, 1_000, 5_000];
const NO_NAMESPACE_LABELS = {};

/** Median µs per call over batches, after a warm-up batch. */
function microsPerCall(call: () => unknown, calls: number): number {
  const batch = Math.max(1, Math.floor(calls / 10));
  for (let i = 0; i < batch; i++) call();
  const batches: number[] = [];
  for (let b = 0; b < 10; b++) {
    const started = performance.now();
    for (let i = 0; i < batch; i++) call();
    batches.push(((performance.now() - started) * 1000) / batch);
  }
  return batches.sort((a, b) => a - b)[5]!;
}

function injectInput(sets: readonly SidecarSet[], index?: SelectionIndex): InjectInput {
  return {
    pod: pod(),
    sidecarSets: sets,
    namespaceLabels: () => ({ "kubernetes.io/metadata.name": "demo" }),
    revisions: [],
    now: NOW,
    random: () => 0.5,
    skipReasons: false,
    ...(index ? { selectionIndex: index } : {}),
  };
}

/** The workload's pod as the controller's cache holds it after injection: running, with its injected list. */
function injectedPod(sets: readonly SidecarSet[], labels: Record<string, string>, resourceVersion: string): Pod {
  const result = injectPod(injectInput(sets));
  if (result.kind !== "injected" || result.injected.length !== 10) throw new Error(`benchmark setup is wrong: ${result.kind}`);
  const p = result.pod;
  return { ...p, metadata: { ...p.metadata, name: "web-1", labels, resourceVersion }, status: { phase: "Running" } };
}

const admission = [["SIDECARSETS", "INJECTPOD WITH THE INDEX (THE WEBHOOK)", "TRYING EVERY SIDECARSET", "INDEX MADE: FIRST, AGAIN AFTER A CHANGE (MEDIAN OF 5)"]];
const controller = [["SIDECARSETS", "POD CREATED: FILED BY SELECTOR, TRYING EVERY ONE", "POD RELABELLED: FILED BY SELECTOR, TRYING EVERY ONE"]];

/** The controller's lookup over a fixed list, as its informer would hand it out. */
function indexedLookup(sets: readonly SidecarSet[]): SidecarSetLookup {
  const named = new Map(sets.map((s) => [s.metadata.name ?? "", s]));
  return new IndexedSidecarSets({ get: (name) => named.get(name), list: () => [...sets], addEventHandler: () => () => undefined });
}

for (const count of COUNTS) {
  const sets = sidecarSets(count);
  const calls = count > 1_000 ? 2_000 : 10_000;
  let started = performance.now();
  const index = new SelectionIndex(sets);
  const first = performance.now() - started;
  const rebuilds: number[] = [];
  for (let i = 0; i < 5; i++) {
    const changed = [...sets];
    started = performance.now();
    new SelectionIndex(changed);
    rebuilds.push(performance.now() - started);
  }
  const again = rebuilds.sort((a, b) => a - b)[2]!;
  const indexed = injectInput(sets, index);
  const plain = injectInput(sets);
  admission.push([
    count.toLocaleString("en-US"),
    microsPerCall(() => injectPod(indexed), calls).toFixed(1),
    microsPerCall(() => injectPod(plain), calls).toFixed(1),
    `${first.toFixed(2)} ms, ${again.toFixed(2)} ms`,
  ]);
  const created = injectedPod(sets, { app: "web" }, "1");
  const relabelled = injectedPod(sets, { app: "web", tier: "front" }, "2");
  const filed = indexedLookup(sets);
  const every = lookupOf(sets);
  const both = (event: (lookup: SidecarSetLookup) => unknown): string =>
    `${microsPerCall(() => event(filed), calls).toFixed(1)}, ${microsPerCall(() => event(every), calls).toFixed(1)}`;
  controller.push([
    count.toLocaleString("en-US"),
    both((lookup) => podAddedOrDeletedTriggers(created, lookup, NO_NAMESPACE_LABELS)),
    both((lookup) => podUpdatedTriggers(created, relabelled, lookup, NO_NAMESPACE_LABELS)),
  ]);
}
process.stdout.write("one pod against a growing number of SidecarSets, 10 of them matching; µs per pod, median of 10 batches, one core\n\n");
process.stdout.write("the pod webhook's injection\n");
printTable(admission);
process.stdout.write("\nthe controller: the SidecarSets one pod event reconciles\n");
printTable(controller);
