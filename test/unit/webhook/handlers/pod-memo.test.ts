// The pod webhook reuses its answer for an identical pod within the same
// second while the cache is unchanged (src/webhook/handlers/injection-memo.ts).
// Every test compares against the answer the same handler gives without a
// cache version, i.e. with nothing reused.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { defaultSidecarSet } from "../../../../src/api/defaults.js";
import type { ControllerRevision, Pod } from "../../../../src/api/kube-types.js";
import type { SidecarSet } from "../../../../src/api/types.js";
import { silentLogger } from "../../../../src/observability/logger.js";
import type { AdmissionCache } from "../../../../src/webhook/handlers/cache-view.js";
import { InjectionMemo } from "../../../../src/webhook/handlers/injection-memo.js";
import { createPodHandler, type PodHandlerDeps } from "../../../../src/webhook/handlers/pod.js";
import { patchOf, podReview, responseOf, run } from "./fixtures.js";

function agent(name: string, image = `${name}:1`, extra: Partial<SidecarSet["spec"]> = {}): SidecarSet {
  return defaultSidecarSet({
    apiVersion: "apps.kruise.io/v1alpha1",
    kind: "SidecarSet",
    metadata: { name, annotations: { "kruise.io/sidecarset-hash": `hash-${image}`, "kruise.io/sidecarset-hash-without-image": `without-${name}` } },
    spec: { selector: { matchLabels: { app: "web" } }, containers: [{ name, image }], ...extra },
  } as SidecarSet);
}

function replica(labels: Record<string, string> = { app: "web" }): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { generateName: "web-7d9f-", labels, annotations: { "kubernetes.io/config.seen": "x" } },
    spec: { containers: [{ name: "app", image: "app:1", env: [{ name: "TZ", value: "UTC" }] }] },
  };
}

/** A cache whose content the test changes; `version` moves with every change, as AdmissionCaches' does. */
class MutableCache implements AdmissionCache {
  sets: SidecarSet[];
  namespaces: Record<string, Record<string, string>> = { default: {} };
  revisionList: ControllerRevision[] = [];
  changes = 0;
  reads = 0;
  constructor(sets: SidecarSet[]) {
    this.sets = sets;
  }
  sidecarSets(): readonly SidecarSet[] {
    this.reads++;
    return this.sets;
  }
  namespaceLabels(name: string): Record<string, string> | undefined {
    return this.namespaces[name];
  }
  revisions(): ControllerRevision[] {
    return this.revisionList;
  }
  whitelist(): string | undefined {
    return undefined;
  }
  version(): number {
    return this.changes;
  }
  change(f: () => void): void {
    f();
    this.changes++;
  }
}

function handlerOver(cache: AdmissionCache, clock: { now: Date }, extra: Partial<PodHandlerDeps> = {}) {
  const injected: string[][] = [];
  const handler = createPodHandler({
    cache,
    now: () => clock.now,
    random: () => 0.5,
    logger: silentLogger(),
    metrics: { onInjected: (names) => injected.push(names) },
    ...extra,
  });
  return { handler, injected };
}

async function answer(handler: ReturnType<typeof createPodHandler>, pod: Pod, uid: string, extra: Record<string, unknown> = {}) {
  const r = responseOf(await run(handler, podReview(pod, { uid, ...extra })));
  assert.equal(r.uid, uid, "the answer carries its own request's uid");
  return r;
}

/** The answer a handler that reuses nothing gives (a cache without a version). */
async function fresh(cache: MutableCache, clock: { now: Date }, pod: Pod) {
  const unversioned: AdmissionCache = {
    sidecarSets: () => cache.sets,
    namespaceLabels: (n) => cache.namespaceLabels(n),
    revisions: () => cache.revisions(),
    whitelist: () => undefined,
  };
  return answer(handlerOver(unversioned, clock).handler, pod, "fresh");
}

test("identical pods in the same second get the same answer, computed once; each admission is counted", async () => {
  const cache = new MutableCache([agent("logtail"), agent("proxy")]);
  const clock = { now: new Date("2026-03-04T05:06:07.100Z") };
  const { handler, injected } = handlerOver(cache, clock);
  const first = await answer(handler, replica(), "u1");
  clock.now = new Date("2026-03-04T05:06:07.900Z");
  const second = await answer(handler, replica(), "u2");
  assert.equal(cache.reads, 1, "the second pod was answered without reading the SidecarSets");
  assert.deepEqual(patchOf(second), patchOf(first));
  assert.deepEqual(patchOf(second), patchOf(await fresh(cache, clock, replica())));
  assert.deepEqual(injected, [["logtail", "proxy"], ["logtail", "proxy"]], "both injections reach the metrics");
});

test("a pod that comes with its name is answered afresh each time: no identical pod follows it", async () => {
  const cache = new MutableCache([agent("logtail")]);
  const clock = { now: new Date("2026-03-04T05:06:07Z") };
  const { handler, injected } = handlerOver(cache, clock);
  const named = (): Pod => ({ ...replica(), metadata: { ...replica().metadata, name: "web-0", generateName: undefined } });
  const first = await answer(handler, named(), "u1");
  const again = await answer(handler, named(), "u2");
  assert.equal(cache.reads, 2, "each admission read the SidecarSets");
  assert.deepEqual(patchOf(again), patchOf(first));
  assert.deepEqual(patchOf(first), patchOf(await fresh(cache, clock, named())));
  assert.deepEqual(injected, [["logtail"], ["logtail"]]);
});

test("a dry run served from the memo is not counted as an injection", async () => {
  const cache = new MutableCache([agent("logtail")]);
  const clock = { now: new Date("2026-03-04T05:06:07Z") };
  const { handler, injected } = handlerOver(cache, clock);
  const real = await answer(handler, replica(), "u1");
  const dry = await answer(handler, replica(), "u2", { dryRun: true });
  assert.equal(cache.reads, 1);
  assert.deepEqual(patchOf(dry), patchOf(real));
  assert.deepEqual(injected, [["logtail"]]);
});

test("a new second is answered afresh: the hash records carry the new time", async () => {
  const cache = new MutableCache([agent("logtail")]);
  const clock = { now: new Date("2026-03-04T05:06:07.999Z") };
  const { handler } = handlerOver(cache, clock);
  const before = await answer(handler, replica(), "u1");
  clock.now = new Date("2026-03-04T05:06:08.000Z");
  const after = await answer(handler, replica(), "u2");
  assert.equal(cache.reads, 2);
  assert.notDeepEqual(patchOf(after), patchOf(before));
  assert.deepEqual(patchOf(after), patchOf(await fresh(cache, clock, replica())));
});

test("any change of the cache is seen by the next pod: a new image, a Namespace's labels", async () => {
  const cache = new MutableCache([agent("logtail")]);
  const clock = { now: new Date("2026-03-04T05:06:07Z") };
  const { handler } = handlerOver(cache, clock);
  await answer(handler, replica(), "u1");
  cache.change(() => (cache.sets = [agent("logtail", "logtail:2")]));
  const upgraded = await answer(handler, replica(), "u2");
  assert.match(JSON.stringify(patchOf(upgraded)), /logtail:2/);
  assert.deepEqual(patchOf(upgraded), patchOf(await fresh(cache, clock, replica())));

  cache.change(() => (cache.sets = [agent("logtail", "logtail:2", { namespaceSelector: { matchLabels: { team: "a" } } })]));
  const outside = await answer(handler, replica(), "u3");
  assert.deepEqual(patchOf(outside), [], "the default namespace has no team label");
  cache.change(() => (cache.namespaces = { default: { team: "a" } }));
  const inside = await answer(handler, replica(), "u4");
  assert.match(JSON.stringify(patchOf(inside)), /logtail:2/, "labelling the namespace takes effect at once");
});

test("a pod that differs in anything, or a request for another namespace, is not answered from the memo", async () => {
  const cache = new MutableCache([agent("logtail")]);
  const clock = { now: new Date("2026-03-04T05:06:07Z") };
  const { handler } = handlerOver(cache, clock);
  await answer(handler, replica(), "u1");
  const other = replica({ app: "api" });
  assert.deepEqual(patchOf(await answer(handler, other, "u2")), [], "a pod the selector does not take");
  const elsewhere = responseOf(await run(handler, podReview(replica(), { uid: "u3", namespace: "team-b" })));
  assert.deepEqual(patchOf(elsewhere), patchOf(await fresh(cache, clock, replica())));
  assert.equal(cache.reads, 3);
});

test("a random draw (injectionStrategy.revision.policy Partial) is made for every pod, never reused", async () => {
  const pinned = agent("logtail", "logtail:2", {
    injectionStrategy: { revision: { revisionName: "logtail-old", policy: "Partial" } },
    updateStrategy: { partition: "50%" },
  });
  const old: ControllerRevision = {
    apiVersion: "apps/v1",
    kind: "ControllerRevision",
    metadata: {
      name: "logtail-old",
      namespace: "sidecarset-system",
      labels: { "kruise.io/sidecarset-name": "logtail" },
      annotations: { "kruise.io/sidecarset-hash": "hash-old", "kruise.io/sidecarset-hash-without-image": "without-logtail" },
    },
    revision: 1,
    data: { spec: { $patch: "replace", containers: [{ name: "logtail", image: "logtail:1" }] } },
  };
  const cache = new MutableCache([pinned]);
  cache.revisionList = [old];
  const clock = { now: new Date("2026-03-04T05:06:07Z") };
  const draws = [0.1, 0.9, 0.2, 0.8];
  const { handler } = handlerOver(cache, clock, { random: () => draws.shift()! });
  const images: string[] = [];
  for (const uid of ["u1", "u2", "u3", "u4"]) images.push(/logtail:(\d)/.exec(JSON.stringify(patchOf(await answer(handler, replica(), uid))))![0]);
  assert.deepEqual(images, ["logtail:1", "logtail:2", "logtail:1", "logtail:2"], "each pod drew its own number");
  assert.equal(draws.length, 0);
});

test("property: with the memo, every answer equals the one computed afresh", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ pod: fc.integer({ min: 0, max: 2 }), ms: fc.integer({ min: 0, max: 1500 }), change: fc.boolean() }), { minLength: 1, maxLength: 12 }),
      async (steps) => {
        const cache = new MutableCache([agent("logtail"), agent("proxy")]);
        const clock = { now: new Date("2026-03-04T05:06:07Z") };
        const { handler } = handlerOver(cache, clock);
        const pods = [replica(), replica({ app: "web", tier: "a" }), replica({ app: "api" })];
        let image = 1;
        for (const [i, step] of steps.entries()) {
          clock.now = new Date(clock.now.getTime() + step.ms);
          if (step.change) cache.change(() => (cache.sets = [agent("logtail", `logtail:${++image}`), agent("proxy")]));
          const got = await answer(handler, pods[step.pod]!, `u${i}`);
          assert.deepEqual(patchOf(got), patchOf(await fresh(cache, clock, pods[step.pod]!)));
        }
      },
    ),
    { numRuns: 60 },
  );
});

test("the memo keeps at most 64 answers, of the current second and cache version only", () => {
  const memo = new InjectionMemo();
  const unchanged = { kind: "unchanged" } as const;
  for (let i = 0; i < 100; i++) memo.set({ key: `pod-${i}`, second: 7, version: 1 }, unchanged);
  assert.equal(memo.size, 64);
  assert.deepEqual(memo.get({ key: "pod-0", second: 7, version: 1 }), unchanged);
  assert.equal(memo.get({ key: "pod-99", second: 7, version: 1 }), undefined, "beyond the bound nothing is kept");
  assert.equal(memo.get({ key: "pod-0", second: 8, version: 1 }), undefined, "another second");
  assert.equal(memo.get({ key: "pod-0", second: 7, version: 2 }), undefined, "another version");
  memo.set({ key: "pod-x", second: 8, version: 1 }, unchanged);
  assert.equal(memo.size, 1, "a new second starts empty");
});
