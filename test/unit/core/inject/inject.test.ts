import assert from "node:assert/strict";
import { test } from "node:test";
import jsonpatch from "fast-json-patch";
import type { Pod } from "../../../../src/api/kube-types.js";
import type { SidecarSet } from "../../../../src/api/types.js";
import { injectPod } from "../../../../src/core/inject/inject.js";
import { containerNamed, envOf, inject, injected, input, names, NOW_TEXT, pod, sidecar, sidecarSet } from "./fixtures.js";

function applies(original: Pod, result: ReturnType<typeof injected>): void {
  const patched = jsonpatch.applyPatch(structuredClone(original), structuredClone(result.patch), true, false).newDocument;
  assert.deepEqual(patched, result.pod);
}

test("E1: initContainers sorted by name after the pod's; containers placed Before/After", () => {
  const p = pod({ initContainers: [{ name: "init-0", image: "i" }], containers: [{ name: "nginx", image: "nginx" }] });
  const set = sidecarSet("e1", {
    initContainers: [sidecar("init-2"), sidecar("init-1")],
    containers: [sidecar("dns-f", { podInjectPolicy: "BeforeAppContainer" }), sidecar("log-agent", { podInjectPolicy: "AfterAppContainer" })],
  });
  const r = injected(inject(p, [set]));
  assert.deepEqual(names(r.pod.spec!.initContainers), ["init-0", "init-1", "init-2"]);
  assert.deepEqual(names(r.pod.spec!.containers), ["dns-f", "nginx", "log-agent"]);
  for (const n of ["init-1", "init-2", "dns-f", "log-agent"]) {
    assert.deepEqual(envOf(containerNamed(r.pod, n)), [{ name: "IS_INJECTED", value: "true" }], n);
  }
  applies(p, r);
});

test("E4: transferEnv into an initContainer (policy \"\") and a container", () => {
  const p = pod({
    initContainers: [{ name: "init-0", image: "i" }],
    containers: [{ name: "nginx", image: "nginx", env: [{ name: "hello1", value: "world1" }, { name: "hello2", value: "world2" }] }],
  });
  const transferEnv = [{ sourceContainerName: "nginx", envName: "hello2" }];
  const set = sidecarSet("e4", {
    initContainers: [sidecar("dns-e", { podInjectPolicy: "" as never, transferEnv })],
    containers: [sidecar("dns-f", { podInjectPolicy: "BeforeAppContainer", transferEnv })],
  });
  const r = injected(inject(p, [set]));
  assert.deepEqual(names(r.pod.spec!.initContainers), ["init-0", "dns-e"]);
  assert.deepEqual(names(r.pod.spec!.containers), ["dns-f", "nginx"]);
  const want = [{ name: "IS_INJECTED", value: "true" }, { name: "hello2", value: "world2" }];
  assert.deepEqual(envOf(containerNamed(r.pod, "dns-e")), want);
  assert.deepEqual(envOf(containerNamed(r.pod, "dns-f")), want);
  applies(p, r);
});

const e5Set = (): SidecarSet =>
  sidecarSet(
    "sidecarset1",
    {
      containers: [
        sidecar("dns-f", {
          image: "dns-f-image:1.0",
          podInjectPolicy: "BeforeAppContainer",
          upgradeStrategy: { upgradeType: "HotUpgrade", hotUpgradeEmptyImage: "busy:hotupgrade-empty" },
        }),
        sidecar("log-agent", { podInjectPolicy: "AfterAppContainer" }),
      ],
    },
    {
      metadata: {
        name: "sidecarset1",
        annotations: { "kruise.io/sidecarset-hash": "c4k2dbb95d", "kruise.io/sidecarset-hash-without-image": "without-c4k2dbb95d" },
      },
    },
  );

test("E5: a HotUpgrade sidecar becomes a working/idle pair with version envs and annotations", () => {
  const p = pod({ containers: [{ name: "nginx", image: "nginx" }] });
  const r = injected(inject(p, [e5Set()]));
  const containers = r.pod.spec!.containers;
  assert.deepEqual(
    containers.map((c) => [c.name, c.image]),
    [
      ["dns-f-1", "dns-f-image:1.0"],
      ["dns-f-2", "busy:hotupgrade-empty"],
      ["nginx", "nginx"],
      ["log-agent", "log-agent:1.0"],
    ],
  );
  assert.deepEqual(containers[0]!.env, [
    { name: "IS_INJECTED", value: "true" },
    { name: "SIDECARSET_VERSION", valueFrom: { fieldRef: { fieldPath: "metadata.annotations['version.sidecarset.kruise.io/dns-f-1']" } } },
    { name: "SIDECARSET_VERSION_ALT", valueFrom: { fieldRef: { fieldPath: "metadata.annotations['versionalt.sidecarset.kruise.io/dns-f-1']" } } },
  ]);
  assert.deepEqual(containers[1]!.env?.map((e) => e.valueFrom?.fieldRef?.fieldPath ?? e.name), [
    "IS_INJECTED",
    "metadata.annotations['version.sidecarset.kruise.io/dns-f-2']",
    "metadata.annotations['versionalt.sidecarset.kruise.io/dns-f-2']",
  ]);
  assert.deepEqual(envOf(containers[3]), [{ name: "IS_INJECTED", value: "true" }]);
  const a = r.pod.metadata!.annotations!;
  assert.equal(a["kruise.io/sidecarset-injected-list"], "sidecarset1");
  assert.equal(a["kruise.io/sidecarset-working-hotupgrade-container"], '{"dns-f":"dns-f-1"}');
  assert.equal(a["version.sidecarset.kruise.io/dns-f-1"], "1");
  assert.equal(a["versionalt.sidecarset.kruise.io/dns-f-1"], "0");
  assert.equal(a["version.sidecarset.kruise.io/dns-f-2"], "0");
  assert.equal(a["versionalt.sidecarset.kruise.io/dns-f-2"], "1");
  assert.equal(
    a["kruise.io/sidecarset-hash"],
    `{"sidecarset1":{"updateTimestamp":"${NOW_TEXT}","hash":"c4k2dbb95d","sidecarSetName":"sidecarset1","sidecarList":["dns-f","log-agent"]}}`,
  );
  assert.equal(
    a["kruise.io/sidecarset-hash-without-image"],
    `{"sidecarset1":{"updateTimestamp":"${NOW_TEXT}","hash":"without-c4k2dbb95d","sidecarSetName":"sidecarset1","sidecarList":["dns-f","log-agent"]}}`,
  );
  applies(p, r);
});

test("hot upgrade: the working map keeps the pod's other entries; a HotUpgrade native sidecar initContainer is paired too", () => {
  const p = pod({ annotations: { "kruise.io/sidecarset-working-hotupgrade-container": '{"other":"other-2"}' } });
  const set = sidecarSet("hot", {
    initContainers: [
      sidecar("native", { restartPolicy: "Always", upgradeStrategy: { upgradeType: "HotUpgrade", hotUpgradeEmptyImage: "empty:1" } }),
      sidecar("plain", { upgradeStrategy: { upgradeType: "HotUpgrade", hotUpgradeEmptyImage: "empty:1" } }),
    ],
    containers: [sidecar("mesh", { upgradeStrategy: { upgradeType: "HotUpgrade", hotUpgradeEmptyImage: "empty:1" } })],
  });
  const r = injected(inject(p, [set]));
  assert.deepEqual(names(r.pod.spec!.initContainers), ["native-1", "native-2", "plain"]);
  assert.equal(containerNamed(r.pod, "native-2")!.image, "empty:1");
  assert.equal(
    r.pod.metadata!.annotations!["kruise.io/sidecarset-working-hotupgrade-container"],
    '{"mesh":"mesh-1","native":"native-1","other":"other-2"}',
  );
  applies(p, r);
});

test("hot upgrade without an empty image: the idle container has no image (the API server will refuse the pod)", () => {
  const set = sidecarSet("hot", { containers: [sidecar("mesh", { upgradeStrategy: { upgradeType: "HotUpgrade" } })] });
  const r = injected(inject(pod({}), [set]));
  assert.equal("image" in containerNamed(r.pod, "mesh-2")!, false);
});

test("an existing hash record of another SidecarSet is kept; this SidecarSet's entry is replaced", () => {
  const other = '{"updateTimestamp":"2025-01-01T00:00:00Z","hash":"h-other","sidecarSetName":"other","sidecarList":["o"],"controllerRevision":"other-abc"}';
  const p = pod({
    annotations: {
      "kruise.io/sidecarset-hash": `{"other":${other},"mine":{"hash":"stale","sidecarSetName":"mine"}}`,
      "kruise.io/sidecarset-injected-list": "other",
    },
  });
  const set = sidecarSet("mine", { containers: [sidecar("m")] }, { status: { matchedPods: 0, updatedPods: 0, readyPods: 0, latestRevision: "mine-123" } });
  const r = injected(inject(p, [set]));
  const a = r.pod.metadata!.annotations!;
  assert.equal(
    a["kruise.io/sidecarset-hash"],
    `{"mine":{"updateTimestamp":"${NOW_TEXT}","hash":"hash-mine","sidecarSetName":"mine","sidecarList":["m"],"controllerRevision":"mine-123"},"other":${other}}`,
  );
  assert.equal(
    a["kruise.io/sidecarset-hash-without-image"],
    `{"mine":{"updateTimestamp":"${NOW_TEXT}","hash":"without-mine","sidecarSetName":"mine","sidecarList":["m"]}}`,
  );
  assert.equal(a["kruise.io/sidecarset-injected-list"], "mine,other");
  applies(p, r);
});

test("a legacy flat hash record is read and rewritten in the object form", () => {
  const p = pod({ annotations: { "kruise.io/sidecarset-hash": '{"old":"abc"}' } });
  const r = injected(inject(p, [sidecarSet("new", { containers: [sidecar("n")] })]));
  assert.match(r.pod.metadata!.annotations!["kruise.io/sidecarset-hash"]!, /^\{"new":\{.*\},"old":\{"updateTimestamp":null,"hash":"abc","sidecarSetName":"old","sidecarList":null\}\}$/);
});

test("an unparseable pod hash annotation denies, naming the annotation", () => {
  const p = pod({ annotations: { "kruise.io/sidecarset-hash-without-image": "[1,2]" } });
  const r = inject(p, [sidecarSet("s", { containers: [sidecar("c")] })]);
  assert.equal(r.kind, "denied");
  if (r.kind === "denied") {
    assert.match(r.message, /^sidecarset "s": metadata\.annotations\[kruise\.io\/sidecarset-hash-without-image\]: must be a JSON object/);
  }
});

test("several SidecarSets: containers in SidecarSet order, records and injected list for all", () => {
  const sets = [
    sidecarSet("b", { containers: [sidecar("b1", { podInjectPolicy: "AfterAppContainer" })] }),
    sidecarSet("a", { containers: [sidecar("a1", { podInjectPolicy: "AfterAppContainer" }), sidecar("a0", { podInjectPolicy: "AfterAppContainer" })] }),
  ];
  const r = injected(inject(pod({}), sets));
  assert.deepEqual(names(r.pod.spec!.containers), ["app", "a1", "a0", "b1"]);
  assert.deepEqual(r.injected, ["a", "b"]);
  assert.equal(r.pod.metadata!.annotations!["kruise.io/sidecarset-injected-list"], "a,b");
});

test("--sort-injected-containers-by-name sorts emitted containers by name before placing them", () => {
  const sets = [
    sidecarSet("b", { containers: [sidecar("b1", { podInjectPolicy: "AfterAppContainer" })] }),
    sidecarSet("a", { containers: [sidecar("a1", { podInjectPolicy: "AfterAppContainer" }), sidecar("a0", { podInjectPolicy: "AfterAppContainer" })] }),
  ];
  const r = injected(inject(pod({}), sets, { sortInjectedContainersByName: true }));
  assert.deepEqual(names(r.pod.spec!.containers), ["app", "a0", "a1", "b1"]);
});

test("imagePullSecrets join the pod's, without duplicates", () => {
  const p = pod({ imagePullSecrets: [{ name: "pod-secret" }] });
  const set = sidecarSet("s", { containers: [sidecar("c")], imagePullSecrets: [{ name: "pod-secret" }, { name: "sidecar-secret" }] });
  const r = injected(inject(p, [set]));
  assert.deepEqual(r.pod.spec!.imagePullSecrets, [{ name: "pod-secret" }, { name: "sidecar-secret" }]);
  applies(p, r);
});

test("patchPodMetadata is applied before building, and in SidecarSet order", () => {
  const sets = [
    sidecarSet("a", { containers: [sidecar("a1")], patchPodMetadata: [{ annotations: { k: '{"a":1}' }, patchPolicy: "MergePatchJson" }] }),
    sidecarSet("b", { containers: [sidecar("b1")], patchPodMetadata: [{ annotations: { k: '{"b":2}' }, patchPolicy: "MergePatchJson" }] }),
  ];
  const r = injected(inject(pod({ annotations: { k: '{"z":0}' } }), sets));
  assert.equal(r.pod.metadata!.annotations!.k, '{"a":1,"b":2,"z":0}');
});

test("patchPodMetadata runs before building: a transferEnv source named by a patched annotation is seen", () => {
  const p = pod({ containers: [{ name: "app", image: "a", env: [{ name: "TZ", value: "UTC" }] }] });
  const set = sidecarSet("s", {
    patchPodMetadata: [{ annotations: { "example.com/main": "app" } }],
    containers: [
      sidecar("log", {
        transferEnv: [{ sourceContainerNameFrom: { fieldRef: { fieldPath: "metadata.annotations['example.com/main']" } }, envName: "TZ" }],
      }),
    ],
  });
  const r = injected(inject(p, [set]));
  assert.deepEqual(envOf(containerNamed(r.pod, "log")), [{ name: "IS_INJECTED", value: "true" }, { name: "TZ", value: "UTC" }]);
  assert.equal(r.pod.metadata!.annotations!["example.com/main"], "app");
});

test("patchPodMetadata with invalid JSON denies with the SidecarSet's name and field", () => {
  const set = sidecarSet("meta", { containers: [sidecar("m")], patchPodMetadata: [{ annotations: { k: "{bad" }, patchPolicy: "MergePatchJson" }] });
  const r = inject(pod({ annotations: { k: '{"a":1}' } }), [set]);
  assert.equal(r.kind, "denied");
  if (r.kind === "denied") assert.match(r.message, /^sidecarset "meta": spec\.patchPodMetadata\[0\]\.annotations\[k\]: "\{bad" is not valid JSON/);
});

test("no-op: no SidecarSet matches ⇒ unchanged, with the reasons", () => {
  const r = inject(pod({ labels: { app: "db" } }), [sidecarSet("s", { containers: [sidecar("c")] })]);
  assert.equal(r.kind, "unchanged");
  if (r.kind === "unchanged") assert.deepEqual(r.match.skipped, [
      { name: "s", reason: "selector-mismatch", unmet: { requirement: { key: "app", operator: "In", values: ["web"] }, value: "db" } },
    ]);
});

for (const [what, mutate] of [
  ["phase Succeeded", (p: Pod) => (p.status = { phase: "Succeeded" })],
  ["phase Failed", (p: Pod) => (p.status = { phase: "Failed" })],
  ["a deletionTimestamp", (p: Pod) => (p.metadata!.deletionTimestamp = "2026-01-01T00:00:00Z")],
] as const) {
  test(`no-op: a pod with ${what} is not active and is left unchanged`, () => {
    const p = pod({});
    mutate(p);
    assert.equal(inject(p, [sidecarSet("s", { containers: [sidecar("c")] })]).kind, "unchanged");
  });
}

test("namespace: an empty pod namespace falls back to the request namespace, then to default", () => {
  const set = sidecarSet("s", { containers: [sidecar("c")], namespace: "team-a" });
  assert.equal(inject(pod({}), [set], { requestNamespace: "team-a" }).kind, "injected");
  assert.equal(inject(pod({ namespace: "" }), [set], { requestNamespace: "team-b" }).kind, "unchanged");
  const inDefault = sidecarSet("d", { containers: [sidecar("c")], namespace: "default" });
  assert.equal(inject(pod({}), [inDefault]).kind, "injected");
});

test("a pinned revision is injected and recorded with its revision name", () => {
  const set = sidecarSet("pin", { containers: [sidecar("c", { image: "c:new" })], injectionStrategy: { revision: { revisionName: "pin-old" } } });
  const revision = {
    metadata: { name: "pin-old", annotations: { "kruise.io/sidecarset-hash": "old-hash", "kruise.io/sidecarset-hash-without-image": "old-without" } },
    revision: 1,
    data: { spec: { containers: [{ name: "c", image: "c:old" }] } },
  };
  const r = injected(inject(pod({}), [set], { revisions: [revision] }));
  assert.equal(containerNamed(r.pod, "c")!.image, "c:old");
  assert.deepEqual(r.match.pinned, { pin: "pin-old" });
  assert.match(r.pod.metadata!.annotations!["kruise.io/sidecarset-hash"]!, /"hash":"old-hash","sidecarSetName":"pin","sidecarList":\["c"\],"controllerRevision":"pin-old"/);
});

test("a canary's containers replace its base's on the pod", () => {
  const base = sidecarSet("mesh", { containers: [sidecar("envoy", { image: "envoy:1" })] });
  const canary = sidecarSet(
    "mesh-canary",
    { containers: [sidecar("envoy", { image: "envoy:2" })], updateStrategy: { type: "NotUpdate" } },
    { metadata: { name: "mesh-canary", annotations: { "apps.kruise.io/sidecarset-canary": "true", "apps.kruise.io/sidecarset-base": "mesh" } } },
  );
  const r = injected(inject(pod({}), [base, canary]));
  assert.deepEqual(names(r.pod.spec!.containers), ["app", "envoy"]);
  assert.equal(containerNamed(r.pod, "envoy")!.image, "envoy:2");
  assert.equal(r.pod.metadata!.annotations!["kruise.io/sidecarset-injected-list"], "mesh-canary");
});

test("a pod container with a sidecar's name is replaced, not duplicated", () => {
  const p = pod({ containers: [{ name: "app", image: "a" }, { name: "log", image: "old-log" }] });
  const r = injected(inject(p, [sidecarSet("s", { containers: [sidecar("log", { podInjectPolicy: "BeforeAppContainer" })] })]));
  assert.deepEqual(r.pod.spec!.containers.map((c) => `${c.name}=${c.image}`), ["app=a", "log=log:1.0"]);
});

test("the submitted pod and the SidecarSets are not modified", () => {
  const p = pod({ annotations: { x: "y" }, containers: [{ name: "app", image: "a", volumeMounts: [{ name: "v", mountPath: "/v" }] }] });
  const set = sidecarSet("s", { containers: [sidecar("c", { shareVolumePolicy: { type: "enabled" }, env: [{ name: "E", value: "1" }] })] });
  const podBefore = structuredClone(p);
  const setBefore = structuredClone(set);
  injected(inject(p, [set]));
  assert.deepEqual(p, podBefore);
  assert.deepEqual(set, setBefore);
});

test("injectPod never throws: malformed input becomes a denial naming the SidecarSet", () => {
  const broken = sidecarSet("broken", { containers: 5 as never });
  const r = injectPod(input(pod({}), [broken]));
  assert.equal(r.kind, "denied");
  if (r.kind === "denied") assert.match(r.message, /^sidecarset "broken": internal error/);
  const r2 = injectPod(input(null as never, []));
  assert.equal(r2.kind, "denied");
});

test("the patch is field-level: whole lists and single annotations, never the whole pod", () => {
  const p = pod({ annotations: { keep: "me", "kruise.io/sidecarset-injected-list": "x" } });
  const r = injected(inject(p, [sidecarSet("s", { containers: [sidecar("c")] })]));
  const paths = r.patch.map((op) => `${op.op} ${op.path}`).sort();
  assert.deepEqual(paths, [
    "add /metadata/annotations/kruise.io~1sidecarset-hash",
    "add /metadata/annotations/kruise.io~1sidecarset-hash-without-image",
    "replace /metadata/annotations/kruise.io~1sidecarset-injected-list",
    "replace /spec/containers",
  ]);
  applies(p, r);
});
