import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import jsonpatch from "fast-json-patch";
import { defaultSidecarSet } from "../../../../src/api/defaults.js";
import type { Pod } from "../../../../src/api/kube-types.js";
import type { SidecarSet } from "../../../../src/api/types.js";
import { silentLogger } from "../../../../src/observability/logger.js";
import { createPodHandler, type PodHandlerDeps } from "../../../../src/webhook/handlers/pod.js";
import { GOLDEN_NOW, goldenCaseNames, loadGoldenCase } from "../../../support/golden.js";
import { capturingLogger, fakeCache, patchOf, podReview, responseOf, review, run } from "./fixtures.js";

const NOW = new Date("2026-03-04T05:06:07Z");

function logAgent(extra: Partial<SidecarSet["spec"]> = {}, name = "log-agent"): SidecarSet {
  return defaultSidecarSet({
    apiVersion: "apps.kruise.io/v1alpha1",
    kind: "SidecarSet",
    metadata: { name },
    spec: {
      selector: { matchLabels: { app: "web" } },
      containers: [{ name: "logtail", image: "logtail:1.0" }],
      ...extra,
    },
  } as SidecarSet);
}

function webPod(extra: { namespace?: string | undefined; annotations?: Record<string, string>; phase?: string } = {}): Pod {
  const pod: Pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web-0", labels: { app: "web" } },
    spec: { containers: [{ name: "app", image: "app:1" }] },
  };
  if (extra.namespace !== undefined) pod.metadata!.namespace = extra.namespace;
  if (extra.annotations) pod.metadata!.annotations = extra.annotations;
  if (extra.phase) pod.status = { phase: extra.phase };
  return pod;
}

function handler(sets: SidecarSet[], extra: Partial<PodHandlerDeps> = {}) {
  return createPodHandler({
    cache: fakeCache({ sidecarSets: sets }),
    now: () => NOW,
    random: () => 0,
    logger: silentLogger(),
    ...extra,
  });
}

function applyPatch(pod: unknown, ops: jsonpatch.Operation[]): unknown {
  return jsonpatch.applyPatch(structuredClone(pod), structuredClone(ops), true, false).newDocument;
}

// ---- golden cases shared with the core and the `inject` CLI ----

for (const name of goldenCaseNames()) {
  test(`golden ${name}: the webhook's JSON patch turns the submitted pod into ${name}.injected.yaml`, async () => {
    const c = loadGoldenCase(name);
    const h = createPodHandler({
      cache: fakeCache({ sidecarSets: c.sidecarSets, namespaces: c.namespaces, revisions: c.revisions }),
      now: () => GOLDEN_NOW,
      random: () => 0,
      logger: silentLogger(),
    });
    const r = responseOf(await run(h, podReview(c.pod)));
    assert.equal(r.allowed, true, r.status?.message);
    assert.equal(r.uid, "pod-uid");
    assert.deepEqual(applyPatch(c.pod, patchOf(r)), c.expected);
  });
}

test("golden cases exist for the webhook to replay", () => {
  assert.ok(goldenCaseNames().length >= 5);
});

// ---- when the webhook does nothing (docs/behaviour.md §5.1) ----

const noOps: { name: string; body: Record<string, unknown> }[] = [
  { name: "a request for a subresource (pods/status) is allowed unchanged", body: podReview(webPod(), { subResource: "status" }) },
  {
    name: "an UPDATE is allowed unchanged: sidecars are never added to existing pods",
    body: podReview(webPod(), { operation: "UPDATE", oldObject: webPod() }),
  },
  { name: "a DELETE is allowed unchanged", body: podReview(undefined, { operation: "DELETE", oldObject: webPod() }) },
  { name: "a pod that already finished (phase Succeeded) gets no sidecars", body: podReview(webPod({ phase: "Succeeded" })) },
  { name: "a pod no SidecarSet selects is allowed without a patch", body: podReview({ ...webPod(), metadata: { name: "db-0", labels: { app: "db" } } }) },
];
for (const c of noOps) {
  test(c.name, async () => {
    const r = responseOf(await run(handler([logAgent()]), c.body));
    assert.equal(r.allowed, true);
    assert.equal(r.patch, undefined);
    assert.equal(r.patchType, undefined);
  });
}

test("a matching pod is allowed with a JSONPatch that adds the sidecar and the records", async () => {
  const pod = webPod({ namespace: "default" });
  const r = responseOf(await run(handler([logAgent()]), podReview(pod)));
  assert.equal(r.allowed, true);
  const out = applyPatch(pod, patchOf(r)) as Pod;
  assert.deepEqual(out.spec!.containers.map((c) => c.name), ["logtail", "app"]);
  assert.equal(out.metadata!.annotations!["kruise.io/sidecarset-injected-list"], "log-agent");
  // The clock is the handler's, not the wall clock.
  assert.match(out.metadata!.annotations!["kruise.io/sidecarset-hash"]!, /"updateTimestamp":"2026-03-04T05:06:07Z"/);
});

test("the SidecarSets a pod is matched against follow the cache's list: a new list is indexed again", async () => {
  let sets = [logAgent({ selector: { matchLabels: { app: "api" } } }, "api-agent")];
  const podHandler = createPodHandler({ cache: { ...fakeCache(), sidecarSets: () => sets }, now: () => NOW, random: () => 0, logger: silentLogger() });
  const injected = async () => {
    const r = responseOf(await run(podHandler, podReview(webPod({ namespace: "default" }))));
    return r.patch === undefined ? [] : (applyPatch(webPod(), patchOf(r)) as Pod).spec!.containers.map((c) => c.name);
  };
  assert.deepEqual(await injected(), []);
  sets = [...sets, logAgent()];
  assert.deepEqual(await injected(), ["logtail", "app"]);
  sets = [logAgent({ selector: { matchLabels: { app: "web" } }, containers: [{ name: "proxy", image: "proxy:1" }] }, "proxy")];
  assert.deepEqual(await injected(), ["proxy", "app"]);
});

test("a pod without a namespace is matched in the request's namespace", async () => {
  const scoped = logAgent({ namespace: "team-a" });
  const inTeam = responseOf(await run(handler([scoped]), podReview(webPod(), { namespace: "team-a" })));
  assert.ok(patchOf(inTeam).length > 0);
  const elsewhere = responseOf(await run(handler([scoped]), podReview(webPod(), { namespace: "team-b" })));
  assert.equal(elsewhere.patch, undefined);
});

test("the sort-injected-containers-by-name flag reaches the injection", async () => {
  const two = logAgent({
    containers: [
      { name: "zeta", image: "z:1", podInjectPolicy: "AfterAppContainer" },
      { name: "alpha", image: "a:1", podInjectPolicy: "AfterAppContainer" },
    ],
  });
  const names = async (sort: boolean) => {
    const r = responseOf(await run(handler([two], { sortInjectedContainersByName: sort }), podReview(webPod())));
    return (applyPatch(webPod(), patchOf(r)) as Pod).spec!.containers.map((c) => c.name);
  };
  assert.deepEqual(await names(false), ["app", "zeta", "alpha"]);
  assert.deepEqual(await names(true), ["app", "alpha", "zeta"]);
});

// ---- denials ----

test("an injection error is a denial with code 500 and the message naming the SidecarSet and field", async () => {
  const pod = webPod({ annotations: { "kruise.io/sidecarset-hash": "{not json" } });
  const r = responseOf(await run(handler([logAgent()]), podReview(pod)));
  assert.equal(r.allowed, false);
  assert.equal(r.status?.code, 500);
  assert.match(r.status!.message, /^sidecarset "log-agent": metadata\.annotations\[kruise\.io\/sidecarset-hash\]: /);
  assert.equal(r.patch, undefined);
});

const badRequests: { name: string; body: unknown; uid?: string; message: RegExp }[] = [
  {
    name: "a request for another kind (Deployment) is denied naming what this webhook admits",
    body: podReview(webPod(), { kind: { group: "apps", version: "v1", kind: "Deployment" } }),
    uid: "pod-uid",
    message: /admits core\/v1 Pods, got apps\/v1 Deployment/,
  },
  {
    name: "an object whose kind is not Pod in a Pod request is denied",
    body: podReview({ ...webPod(), kind: "Service" }),
    uid: "pod-uid",
    message: /request\.object\.kind: "Service"/,
  },
  {
    name: "a pod with a non-string annotation value is denied with the annotation's path",
    body: podReview({ ...webPod(), metadata: { name: "web-0", labels: { app: "web" }, annotations: { a: 7 } } }),
    uid: "pod-uid",
    message: /request\.object\.metadata\.annotations\[a\]: number 7, expected a string/,
  },
  {
    name: "a pod whose annotations are a list is denied",
    body: podReview({ ...webPod(), metadata: { name: "web-0", labels: { app: "web" }, annotations: ["x"] } }),
    uid: "pod-uid",
    message: /request\.object\.metadata\.annotations: a list, expected a map/,
  },
  {
    name: "a pod whose containers are not a list is denied",
    body: podReview({ ...webPod(), spec: { containers: "app" } }),
    uid: "pod-uid",
    message: /request\.object\.spec\.containers: the string "app", expected a list/,
  },
  {
    name: "a container whose env is not a list is denied with the container's path",
    body: podReview({ ...webPod(), spec: { containers: [{ name: "app", image: "app:1", env: { TZ: "UTC" } }] } }),
    uid: "pod-uid",
    message: /request\.object\.spec\.containers\[0\]\.env: an object, expected a list/,
  },
  {
    name: "a review of the wrong apiVersion is denied when its uid is known",
    body: { ...podReview(webPod()), apiVersion: "admission.k8s.io/v1beta1" },
    uid: "pod-uid",
    message: /only admission\.k8s\.io\/v1 is supported/,
  },
  {
    name: "a CREATE review without the object is denied",
    body: podReview(undefined),
    uid: "pod-uid",
    message: /request\.object: missing/,
  },
  { name: "a review without a uid is an HTTP 400", body: podReview(webPod(), { uid: undefined }), message: /request\.uid: missing/ },
  { name: "a body that is not an object is an HTTP 400", body: ["not", "a", "review"], message: /body: an array/ },
  { name: "a review of the wrong kind is an HTTP 400 without uid", body: { ...review({}), kind: "Pod" }, message: /kind: "Pod"/ },
];
for (const c of badRequests) {
  test(c.name, async () => {
    const a = await run(handler([logAgent()]), c.body);
    if (c.uid === undefined) {
      assert.equal(a.status, 400);
      assert.match((a.body as { message: string }).message, c.message);
    } else {
      const r = responseOf(a);
      assert.equal(r.uid, c.uid);
      assert.equal(r.allowed, false);
      assert.equal(r.status?.code, 400);
      assert.match(r.status!.message, c.message);
    }
  });
}

// ---- metrics and logs ----

test("each injected pod is counted once with its SidecarSets and logged at debug level as one JSON line", async () => {
  const counted: string[][] = [];
  const { logger, lines } = capturingLogger("debug");
  const h = handler([logAgent(), logAgent({}, "mesh")], { metrics: { onInjected: (names) => counted.push(names) }, logger });
  const pod = { ...webPod({ namespace: "shop" }), metadata: { generateName: "web-7d9f-", namespace: "shop", labels: { app: "web" } } };
  await run(h, podReview(pod));
  assert.deepEqual(counted, [["log-agent", "mesh"]]);
  const injected = lines().filter((l) => l.msg === "injected sidecars into pod");
  assert.equal(injected.length, 1);
  assert.equal(injected[0]!.namespace, "shop");
  assert.equal(injected[0]!.pod, "web-7d9f-*");
  assert.equal(injected[0]!.requestUid, "pod-uid", "the request uid names a pod that has no name yet");
  assert.deepEqual(injected[0]!.sidecarsets, ["log-agent", "mesh"]);
});

test("a dry run gets the patch but is neither counted nor logged as an injection", async () => {
  const counted: string[][] = [];
  const { logger, lines } = capturingLogger("debug");
  const h = handler([logAgent()], { metrics: { onInjected: (names) => counted.push(names) }, logger });
  const r = responseOf(await run(h, podReview(webPod(), { dryRun: true })));
  assert.ok(patchOf(r).length > 0);
  assert.deepEqual(counted, []);
  assert.equal(lines().filter((l) => l.msg === "injected sidecars into pod").length, 0);
});

test("pods that get nothing are not counted", async () => {
  const counted: string[][] = [];
  await run(handler([logAgent()], { metrics: { onInjected: (n) => counted.push(n) } }), podReview({ ...webPod(), metadata: { labels: { app: "db" } } }));
  assert.deepEqual(counted, []);
});

// ---- nothing crashes the handler ----

const sets = [
  logAgent(),
  logAgent(
    {
      containers: [
        { name: "envoy", image: "envoy:1", upgradeStrategy: { upgradeType: "HotUpgrade", hotUpgradeEmptyImage: "empty:1" }, shareVolumePolicy: { type: "enabled" } },
      ],
      volumes: [{ name: "shared", emptyDir: {} }],
    },
    "mesh",
  ),
];

/** Checks an answer for any body: HTTP 400, or a review whose patch (if any) applies to the submitted object. */
async function checkAnswer(body: unknown): Promise<void> {
  const a = await run(handler(sets), body);
  assert.ok(a.status === 200 || a.status === 400, `status ${a.status}`);
  if (a.status === 400) return;
  const r = a.response!;
  assert.equal(typeof r.allowed, "boolean");
  if (!r.allowed) {
    assert.ok([400, 500].includes(r.status!.code), `code ${r.status!.code}`);
    assert.ok(r.status!.message.length > 0);
    return;
  }
  const ops = patchOf(r);
  if (ops.length > 0) {
    const object = (body as { request: { object: unknown } }).request.object;
    assert.equal(jsonpatch.validate(structuredClone(ops), structuredClone(object)), undefined);
  }
}

test("property: any JSON body gets an HTTP 400 or an AdmissionReview answer, never an exception", async () => {
  await fc.assert(fc.asyncProperty(fc.jsonValue(), checkAnswer), { numRuns: 300 });
});

test("property: a review carrying any JSON as the pod is answered, and an allowed patch applies to that pod", async () => {
  const junk = fc.jsonValue({ maxDepth: 3 });
  const labels = fc.oneof(fc.constant({ app: "web" }), junk);
  const annotations = fc.oneof(fc.dictionary(fc.string(), fc.string()), junk);
  const container = fc.oneof(fc.record({ name: fc.string(), image: fc.string(), env: junk, volumeMounts: junk }, { requiredKeys: ["name"] }), junk);
  const podLike = fc.oneof(
    junk,
    fc.record(
      {
        apiVersion: fc.oneof(fc.constant("v1"), junk),
        kind: fc.oneof(fc.constant("Pod"), junk),
        metadata: fc.oneof(fc.record({ name: fc.string(), namespace: junk, labels, annotations }, { requiredKeys: ["labels"] }), junk),
        spec: fc.oneof(
          fc.record({ containers: fc.oneof(fc.array(container, { maxLength: 3 }), junk), initContainers: fc.oneof(fc.array(container, { maxLength: 2 }), junk), volumes: junk }, { requiredKeys: [] }),
          junk,
        ),
        status: junk,
      },
      { requiredKeys: [] },
    ),
  );
  await fc.assert(fc.asyncProperty(podLike, (pod) => checkAnswer(podReview(pod))), { numRuns: 400 });
});

// ---- hostile pods found by the hostile-input suite (docs/reliability.md) ----

test("a subPathExpr that is not a string is a 400 naming the field, not an internal error of shared volumes", async () => {
  const c = loadGoldenCase("e3-share-volumes");
  const h = createPodHandler({ cache: fakeCache({ sidecarSets: c.sidecarSets }), now: () => GOLDEN_NOW, random: () => 0, logger: silentLogger() });
  const pod = structuredClone(c.pod) as unknown as { spec: { containers: { volumeMounts: Record<string, unknown>[] }[] } };
  pod.spec.containers[0]!.volumeMounts[3]!.subPathExpr = 7;
  const r = responseOf(await run(h, podReview(pod)));
  assert.equal(r.allowed, false);
  assert.equal(r.status?.code, 400);
  assert.match(r.status?.message ?? "", /request\.object\.spec\.containers\[0\]\.volumeMounts\[3\]\.subPathExpr: number 7, expected a string/);
});
