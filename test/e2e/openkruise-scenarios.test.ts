// The scenarios of OpenKruise's own SidecarSet end-to-end suites that no other
// file here covers, written as an OpenKruise 1.9 user writes them (v1beta1,
// namespaceSelector, spec.customVersion) and run through the real API server:
// resourcesPolicy, transferEnv from a pod annotation, a downwardAPI volume,
// the revision history and what each revision holds, a pinned injection
// revision, injection in the middle of a canary rollout, two SidecarSets on
// one pod, and an initContainer change. docs/compatibility.md lists every
// scenario of those suites beside the test that covers it.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ControllerRevision, Pod } from "../../src/api/kube-types.js";
import { REVISION_SIDECARSET_NAME_LABEL, SIDECARSET_HASH_ANNOTATION, SIDECARSET_WORKING_HOT_UPGRADE_CONTAINER_ANNOTATION } from "../../src/api/keys.js";
import type { SidecarContainer } from "../../src/api/types.js";
import { applyYaml, createNamespace, MANAGER_NAMESPACE, useEnvironment, waitFor } from "../support/environment.js";
import { KubeRequestError, rawRequest } from "../support/kube.js";
import { activePods, awaitTwoReconciles, deploymentManifest, runsSpecImage, upgradableCondition, waitForAppPods, waitForStatus } from "../support/rollout.js";
import { containerNamed, createBarePod } from "../support/pods.js";
import { BETA_SIDECARSETS, betaSidecarSetObject, waitForObserved, type SidecarSetObject } from "../support/sidecarsets.js";

const env = useEnvironment();

const INJECTED = { name: "IS_INJECTED", value: "true" };

type Spec = Record<string, unknown>;
interface BetaSidecarSet extends SidecarSetObject {
  metadata: SidecarSetObject["metadata"] & { resourceVersion?: string };
  spec: SidecarSetObject["spec"] & { containers: SidecarContainer[]; initContainers?: SidecarContainer[]; customVersion?: string };
}

async function createBeta(name: string, namespace: string, spec: Spec, annotations?: Record<string, string>): Promise<BetaSidecarSet> {
  await rawRequest(env().clients.kc, "POST", BETA_SIDECARSETS, betaSidecarSetObject(name, namespace, spec, annotations));
  await waitForObserved(env(), name);
  return readBeta(name);
}

function readBeta(name: string): Promise<BetaSidecarSet> {
  return rawRequest<BetaSidecarSet>(env().clients.kc, "GET", `${BETA_SIDECARSETS}/${name}`);
}

/** Read, change and write back the whole v1beta1 object (a conflict reads it again), then wait until it is observed. */
async function updateBeta(name: string, change: (spec: BetaSidecarSet["spec"]) => void): Promise<BetaSidecarSet> {
  for (;;) {
    const current = await readBeta(name);
    change(current.spec);
    try {
      await rawRequest(env().clients.kc, "PUT", `${BETA_SIDECARSETS}/${name}`, current);
      break;
    } catch (e) {
      if (!(e instanceof KubeRequestError && e.status === 409)) throw e;
    }
  }
  await waitForObserved(env(), name);
  return readBeta(name);
}

const createPod = (namespace: string, name: string, spec: Spec, metadata: Record<string, unknown> = {}) => createBarePod(env(), namespace, name, spec, metadata);

const resources = (limits: Record<string, string> | undefined, requests: Record<string, string> | undefined) => ({
  ...(limits ? { limits } : {}),
  ...(requests ? { requests } : {}),
});
const app = (name: string, limits?: Record<string, string>, requests?: Record<string, string>, extra: Spec = {}) => ({
  name,
  image: `registry.local/${name}:1`,
  resources: resources(limits, requests),
  ...extra,
});
const sidecar = (name: string, extra: Spec = {}) => ({ name, image: "registry.local/busybox:1", command: ["/bin/sh", "-c", "sleep 10000000"], ...extra });
const policy = (mode: "sum" | "max", regex: string, limits: Record<string, string> | undefined, requests: Record<string, string> | undefined) => ({
  targetContainersMode: mode,
  targetContainersNameRegex: regex,
  resourcesExpr: resources(limits, requests),
});

// OpenKruise's "Sidecar ResourcesPolicy" suite, stories 1 to 5: one SidecarSet and one pod per story.
test("resourcesPolicy: a sum over the containers the regex names, max mode, a target without a limit, linear expressions; exactly as the API server stores them", async () => {
  const ns = "res-policy";
  await createNamespace(env().clients, ns);
  const halfOrFloor = policy("sum", "", { cpu: "max(cpu*50%, 50m)", memory: "200Mi" }, { cpu: "max(cpu*50%, 50m)", memory: "100Mi" });
  const v4 = app("large-engine-v4", { cpu: "200m", memory: "200Mi" }, { cpu: "50m", memory: "100Mi" });
  const v8 = app("large-engine-v8", { cpu: "400m", memory: "400Mi" }, { cpu: "100m", memory: "200Mi" });
  const v8NoCpuLimit = app("large-engine-v8", { memory: "400Mi" }, { cpu: "100m", memory: "200Mi" });
  const stories: { story: string; policy: Spec; containers: Spec[]; want: Spec }[] = [
    {
      story: "one-name",
      policy: { ...halfOrFloor, targetContainersNameRegex: "^large-engine-v4$" },
      containers: [v4, { ...v8, name: "large-engine-v8" }],
      // Only large-engine-v4 counts: max(200m × 50 %, 50m), max(50m × 50 %, 50m).
      want: resources({ cpu: "100m", memory: "200Mi" }, { cpu: "50m", memory: "100Mi" }),
    },
    {
      story: "sum",
      policy: { ...halfOrFloor, targetContainersNameRegex: "^large-engine-v.*$" },
      containers: [v4, v8],
      // (200m + 400m) × 50 %, (50m + 100m) × 50 %.
      want: resources({ cpu: "300m", memory: "200Mi" }, { cpu: "75m", memory: "100Mi" }),
    },
    {
      story: "max",
      policy: { ...halfOrFloor, targetContainersMode: "max", targetContainersNameRegex: "^large-engine-v.*$" },
      containers: [v4, v8],
      // max(200m, 400m) × 50 %, max(50m, 100m) × 50 % = the 50m floor.
      want: resources({ cpu: "200m", memory: "200Mi" }, { cpu: "50m", memory: "100Mi" }),
    },
    {
      story: "unlimited",
      policy: { ...halfOrFloor, targetContainersMode: "max", targetContainersNameRegex: "^large-engine-v.*$" },
      containers: [v4, v8NoCpuLimit],
      // A target without a CPU limit leaves the sidecar's CPU unlimited too.
      want: resources({ memory: "200Mi" }, { cpu: "50m", memory: "100Mi" }),
    },
    {
      story: "linear",
      policy: policy(
        "sum",
        ".*",
        { cpu: "cpu*50% + 100m", memory: "max(memory*20% + 100Mi, 200Mi)" },
        { cpu: "cpu*30% + 50m", memory: "memory*15% + 50Mi" },
      ),
      containers: [
        app("app1", { cpu: "200m", memory: "400Mi" }, { cpu: "100m", memory: "200Mi" }),
        app("app2", { cpu: "400m", memory: "600Mi" }, { cpu: "200m", memory: "300Mi" }),
      ],
      // 600m × 50 % + 100m; max(1000Mi × 20 % + 100Mi, 200Mi); 300m × 30 % + 50m; 500Mi × 15 % + 50Mi.
      want: resources({ cpu: "400m", memory: "300Mi" }, { cpu: "140m", memory: "125Mi" }),
    },
  ];
  for (const s of stories) {
    await createBeta(`res-${s.story}`, ns, {
      selector: { matchLabels: { app: `story-${s.story}` } },
      containers: [sidecar("sidecar1", { resourcesPolicy: s.policy })],
    });
  }
  for (const s of stories) {
    const pod = await createPod(ns, `story-${s.story}`, { containers: s.containers }, { labels: { app: `story-${s.story}` } });
    assert.deepEqual(containerNamed(pod, "sidecar1").resources, s.want, `story ${s.story}`);
  }
});

// Stories 6 and the two filtering cases of the same suite.
test("resourcesPolicy on a native sidecar; a plain initContainer and the sidecars of another SidecarSet are never targets", async () => {
  const ns = "res-native";
  await createNamespace(env().clients, ns);
  const halfAndFortyPercent = policy("sum", ".*", { cpu: "cpu*50%", memory: "memory*50%" }, { cpu: "cpu*40%", memory: "memory*40%" });
  const app1 = app("app1", { cpu: "200m", memory: "200Mi" }, { cpu: "100m", memory: "100Mi" });

  await createBeta("res-native-init", ns, {
    selector: { matchLabels: { app: "native" } },
    updateStrategy: { type: "NotUpdate" },
    initContainers: [
      sidecar("init-sidecar", {
        restartPolicy: "Always",
        resourcesPolicy: policy("sum", "^app.*$", { cpu: "max(cpu*30%, 50m)", memory: "max(memory*25%, 100Mi)" }, { cpu: "cpu*20%", memory: "memory*15%" }),
      }),
    ],
  });
  await createBeta("res-plain-init", ns, {
    selector: { matchLabels: { app: "plain-init" } },
    containers: [sidecar("sidecar1", { resourcesPolicy: halfAndFortyPercent })],
  });
  await createBeta("res-other-sidecars", ns, {
    selector: { matchLabels: { app: "two-sets" } },
    updateStrategy: { type: "NotUpdate" },
    initContainers: [sidecar("kruise-init-sidecar", { restartPolicy: "Always", resources: resources({ cpu: "300m", memory: "300Mi" }, { cpu: "150m", memory: "150Mi" }) })],
    containers: [sidecar("kruise-sidecar", { resources: resources({ cpu: "400m", memory: "400Mi" }, { cpu: "200m", memory: "200Mi" }) })],
  });
  await createBeta("res-policy-sidecar", ns, {
    selector: { matchLabels: { app: "two-sets" } },
    containers: [sidecar("policy-sidecar", { resourcesPolicy: halfAndFortyPercent })],
  });

  const native = await createPod(
    ns,
    "native",
    {
      containers: [
        app("app1", { cpu: "400m", memory: "800Mi" }, { cpu: "200m", memory: "400Mi" }),
        app("app2", { cpu: "600m", memory: "1200Mi" }, { cpu: "300m", memory: "600Mi" }),
      ],
    },
    { labels: { app: "native" } },
  );
  const init = containerNamed(native, "init-sidecar");
  assert.equal(init.restartPolicy, "Always");
  // 1000m × 30 %, 2000Mi × 25 %, 500m × 20 %, 1000Mi × 15 %.
  assert.deepEqual(init.resources, resources({ cpu: "300m", memory: "500Mi" }, { cpu: "100m", memory: "150Mi" }));

  const plainInit = app("plain-init", { cpu: "100m", memory: "100Mi" }, { cpu: "50m", memory: "50Mi" }, { command: ["true"] });
  const withPlainInit = await createPod(ns, "plain-init", { initContainers: [plainInit], containers: [app1] }, { labels: { app: "plain-init" } });
  assert.deepEqual(containerNamed(withPlainInit, "sidecar1").resources, resources({ cpu: "100m", memory: "100Mi" }, { cpu: "40m", memory: "40Mi" }), "app1 alone");

  const twoSets = await createPod(ns, "two-sets", { containers: [app1] }, { labels: { app: "two-sets" } });
  assert.deepEqual(
    [...(twoSets.spec?.initContainers ?? []), ...(twoSets.spec?.containers ?? [])].map((c) => c.name).sort(),
    ["app1", "kruise-init-sidecar", "kruise-sidecar", "policy-sidecar"],
  );
  assert.deepEqual(containerNamed(twoSets, "policy-sidecar").resources, resources({ cpu: "100m", memory: "100Mi" }, { cpu: "40m", memory: "40Mi" }), "app1 alone");
});

test("transferEnv from the container a pod annotation names: several names at once, and the sidecar's own value of a name is kept", async () => {
  const ns = "env-annotation";
  await createNamespace(env().clients, ns);
  await createBeta("env-annotation", ns, {
    selector: { matchLabels: { app: "env-annotation" } },
    containers: [
      sidecar("sidecar", {
        env: [
          { name: "OD_NAME", value: "sidecar_name" },
          { name: "SidecarName", value: "sidecar" },
        ],
        transferEnv: [{ sourceContainerNameFrom: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.annotations['biz']" } }, envNames: ["POD_NAME", "OD_NAME", "PROXY_IP"] }],
      }),
    ],
  });
  const main = app("main", undefined, undefined, {
    env: [
      { name: "POD_NAME", value: "bar" },
      { name: "OD_NAME", value: "od_name" },
      { name: "PROXY_IP", value: "127.0.0.1" },
    ],
  });
  const pod = await createPod(ns, "annotated", { containers: [main] }, { labels: { app: "env-annotation" }, annotations: { biz: "main" } });
  assert.deepEqual(containerNamed(pod, "sidecar").env, [
    { name: "OD_NAME", value: "sidecar_name" },
    { name: "SidecarName", value: "sidecar" },
    INJECTED,
    { name: "POD_NAME", value: "bar" },
    { name: "PROXY_IP", value: "127.0.0.1" },
  ]);

  const unannotated = await createPod(ns, "unannotated", { containers: [main] }, { labels: { app: "env-annotation" } });
  assert.deepEqual(containerNamed(unannotated, "sidecar").env, [{ name: "OD_NAME", value: "sidecar_name" }, { name: "SidecarName", value: "sidecar" }, INJECTED], "no annotation names no source");
});

test("a downwardAPI volume of the SidecarSet reaches the pod with the sidecar's mount of it; a pod its selector does not take gets nothing", async () => {
  const ns = "downward";
  await createNamespace(env().clients, ns);
  await createBeta("downward", ns, {
    selector: { matchLabels: { app: "downward" } },
    containers: [sidecar("agent", { volumeMounts: [{ name: "podinfo", mountPath: "/etc/podinfo" }] })],
    volumes: [
      {
        name: "podinfo",
        downwardAPI: {
          items: [
            { path: "labels", fieldRef: { fieldPath: "metadata.labels" } },
            { path: "annotations", fieldRef: { fieldPath: "metadata.annotations" } },
          ],
        },
      },
    ],
  });
  const pod = await createPod(ns, "downward", { containers: [app("app")] }, { labels: { app: "downward" } });
  assert.deepEqual(containerNamed(pod, "agent").volumeMounts, [{ name: "podinfo", mountPath: "/etc/podinfo" }]);
  const volume = pod.spec?.volumes?.find((v) => v.name === "podinfo") as { downwardAPI?: { items?: { path: string; fieldRef?: { fieldPath: string } }[] } } | undefined;
  assert.deepEqual(
    volume?.downwardAPI?.items?.map((i) => [i.path, i.fieldRef?.fieldPath]),
    [
      ["labels", "metadata.labels"],
      ["annotations", "metadata.annotations"],
    ],
  );

  const other = await createPod(ns, "other", { containers: [app("app")] }, { labels: { app: "other" } });
  assert.deepEqual(other.spec?.containers.map((c) => c.name), ["app"]);
  assert.equal(other.spec?.volumes, undefined);
  assert.equal(other.metadata?.annotations?.[SIDECARSET_HASH_ANNOTATION], undefined);
});

test("shareVolumePolicy with a subPathExpr: the sidecar gets the app's mount after its own, with the env vars the expression names", async () => {
  const ns = "subpath-expr";
  await createNamespace(env().clients, ns);
  await createBeta("subpath-expr", ns, {
    selector: { matchLabels: { app: "subpath-expr" } },
    containers: [sidecar("nginx-sidecar", { volumeMounts: [{ name: "nginx-volume", mountPath: "/nginx-volume" }], shareVolumePolicy: { type: "enabled" } })],
    volumes: [{ name: "nginx-volume", emptyDir: {} }],
  });
  const main = app("main", undefined, undefined, {
    volumeMounts: [{ name: "main-volume", mountPath: "/main-volume", subPathExpr: "foo/$(POD_NAME)/$(OD_NAME)/conf" }],
    env: [
      { name: "POD_NAME", value: "bar" },
      { name: "OD_NAME", value: "od_name" },
    ],
  });
  const pod = await createPod(ns, "subpath-expr", { containers: [main], volumes: [{ name: "main-volume", emptyDir: {} }] }, { labels: { app: "subpath-expr" } });
  assert.deepEqual(pod.spec?.volumes?.map((v) => v.name), ["main-volume", "nginx-volume"]);
  const injected = containerNamed(pod, "nginx-sidecar");
  assert.deepEqual(injected.volumeMounts, [
    { name: "nginx-volume", mountPath: "/nginx-volume" },
    { name: "main-volume", mountPath: "/main-volume", subPathExpr: "foo/$(POD_NAME)/$(OD_NAME)/conf" },
  ]);
  assert.deepEqual(injected.env, [INJECTED, { name: "POD_NAME", value: "bar" }, { name: "OD_NAME", value: "od_name" }]);
});

/** The SidecarSet's ControllerRevisions in the manager namespace, by `.revision`. */
async function revisionsOf(name: string): Promise<ControllerRevision[]> {
  const list = await rawRequest<{ items: ControllerRevision[] }>(
    env().clients.kc,
    "GET",
    `/apis/apps/v1/namespaces/${MANAGER_NAMESPACE}/controllerrevisions?labelSelector=${encodeURIComponent(`${REVISION_SIDECARSET_NAME_LABEL}=${name}`)}`,
  );
  return list.items.sort((a, b) => a.revision - b.revision);
}

/** What a revision holds of the spec. */
function revisionSpec(revision: ControllerRevision): Record<string, unknown> {
  return (revision.data as { spec: Record<string, unknown> }).spec;
}

const baseContainers = (suffix: string) => ({
  initContainers: [sidecar(`init-sidecar-${suffix}`, { command: ["/bin/sh", "-c", "sleep 1"] })],
  containers: [
    { name: `nginx-sidecar-${suffix}`, image: "registry.local/nginx:1", command: ["tail", "-f", "/dev/null"], podInjectPolicy: "BeforeAppContainer", shareVolumePolicy: { type: "enabled" } },
    { ...sidecar(`busybox-sidecar-${suffix}`), podInjectPolicy: "AfterAppContainer" },
  ],
});

test("revision history: 15 specs keep the newest 10 revisions (6–15), each holding the whole injected spec; going back to an earlier spec raises its revision to 16", async () => {
  const ns = "history";
  await createNamespace(env().clients, ns);
  const name = "history";
  await createBeta(name, ns, { selector: { matchLabels: { app: name } }, ...baseContainers("h"), imagePullSecrets: [{ name: "secret-1" }] });
  assert.equal((await revisionsOf(name)).length, 1);
  for (let i = 2; i <= 15; i++) {
    await updateBeta(name, (spec) => {
      spec.imagePullSecrets = [{ name: `secret-${i}` }];
    });
  }
  const kept = await revisionsOf(name);
  assert.deepEqual(
    kept.map((r) => r.revision),
    [6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  );
  for (const r of kept) {
    assert.deepEqual(Object.keys(revisionSpec(r)).sort(), ["$patch", "containers", "imagePullSecrets", "initContainers", "patchPodMetadata", "volumes"], r.metadata?.name);
  }
  assert.deepEqual(
    kept.map((r) => (revisionSpec(r).imagePullSecrets as { name: string }[])[0]!.name),
    kept.map((r) => `secret-${r.revision}`),
  );
  const twelve = kept.find((r) => r.revision === 12)!;

  const back = await updateBeta(name, (spec) => {
    spec.imagePullSecrets = [{ name: "secret-12" }];
  });
  const after = await revisionsOf(name);
  assert.deepEqual(
    after.map((r) => r.revision),
    [6, 7, 8, 9, 10, 11, 13, 14, 15, 16],
  );
  assert.equal(after.at(-1)!.metadata?.name, twelve.metadata?.name, "the revision of the earlier spec is reused, not copied");
  assert.equal(back.status?.latestRevision, twelve.metadata?.name);
});

test("each revision keeps its spec's patchPodMetadata", async () => {
  const ns = "history-data";
  await createNamespace(env().clients, ns);
  await env().clients.core.createNamespacedConfigMap({
    namespace: MANAGER_NAMESPACE,
    body: {
      metadata: { name: "sidecarset-configuration" },
      data: { SidecarSet_PatchPodMetadata_WhiteList: JSON.stringify({ rules: [{ allowedAnnotationKeyExprs: ["^sidecarset\\.kruise\\.io/test$"] }] }) },
    },
  });
  const name = "history-data";
  const patch = (version: string) => [{ patchPolicy: "Retain", annotations: { "sidecarset.kruise.io/test": version } }];
  const spec = { selector: { matchLabels: { app: name } }, ...baseContainers("d"), imagePullSecrets: [{ name: "secret-1" }], patchPodMetadata: patch("version-1") };
  // The validating webhook reads the whitelist from its cache: retry until it has it.
  await waitFor("the SidecarSet to be accepted once the whitelist exists", async () => {
    try {
      await rawRequest(env().clients.kc, "POST", BETA_SIDECARSETS, betaSidecarSetObject(name, ns, spec));
      return true;
    } catch (e) {
      if (e instanceof KubeRequestError && /no whitelist configured/.test(e.body)) return false;
      throw e;
    }
  });
  await waitForObserved(env(), name);
  await updateBeta(name, (s) => {
    s.patchPodMetadata = patch("version-2");
  });
  const revisions = await revisionsOf(name);
  assert.deepEqual(
    revisions.map((r) => (revisionSpec(r).patchPodMetadata as { annotations: Record<string, string> }[])[0]!.annotations["sidecarset.kruise.io/test"]),
    ["version-1", "version-2"],
  );
});

/** The SidecarSet's hash record on the pod (`kruise.io/sidecarset-hash`). */
function hashRecord(pod: Pod, sidecarSet: string): { controllerRevision?: string; hash?: string } {
  const records = JSON.parse(pod.metadata?.annotations?.[SIDECARSET_HASH_ANNOTATION] ?? "{}") as Record<string, { controllerRevision?: string; hash?: string }>;
  assert.ok(records[sidecarSet], `pod ${pod.metadata?.name} has a hash record of ${sidecarSet}`);
  return records[sidecarSet]!;
}

test("injectionStrategy.revision: a pod gets the pinned customVersion's sidecar, and the rollout takes it to the latest once unpaused", async () => {
  const ns = "pinned";
  await createNamespace(env().clients, ns);
  const name = "pinned";
  const tags = ["latest", "1.21.1", "1.21", "1.20.1", "1.20", "1.19.10"];
  const image = (i: number) => `registry.local/nginx:${tags[i]}`;
  await createBeta(name, ns, {
    selector: { matchLabels: { app: name } },
    customVersion: "0",
    updateStrategy: { paused: true },
    containers: [{ name: "nginx", image: image(0), command: ["tail", "-f", "/dev/null"] }],
  });
  for (let i = 1; i < tags.length; i++) {
    await updateBeta(name, (spec) => {
      spec.containers[0]!.image = image(i);
      spec.customVersion = String(i);
    });
  }
  const revisions = await revisionsOf(name);
  assert.equal(revisions.length, tags.length);
  const pick = 3;
  await updateBeta(name, (spec) => {
    spec.injectionStrategy = { revision: { customVersion: String(pick), policy: "Always" } };
  });

  await applyYaml(env().clients, deploymentManifest(name, ns, 1, name));
  const [pinned] = await waitForAppPods(env(), ns, name, 1, (p) => runsSpecImage(p, "nginx"));
  assert.equal(containerNamed(pinned!, "nginx").image, image(pick));
  assert.equal(hashRecord(pinned!, name).controllerRevision, revisions[pick]!.metadata?.name);

  await updateBeta(name, (spec) => {
    spec.updateStrategy = { ...spec.updateStrategy, paused: false };
  });
  await waitForStatus(env(), name, { matchedPods: 1, updatedPods: 1, readyPods: 1, updatedReadyPods: 1 });
  const [upgraded] = await waitForAppPods(env(), ns, name, 1, (p) => runsSpecImage(p, "nginx") && containerNamed(p, "nginx").image === image(tags.length - 1));
  assert.equal(upgraded!.metadata?.uid, pinned!.metadata?.uid, "upgraded in place");
  assert.equal(hashRecord(upgraded!, name).controllerRevision, revisions.at(-1)!.metadata?.name);
});

test("injection during a canary rollout (policy Partial): new pods the canary selector takes get the new spec, the others the pinned version", async () => {
  const ns = "canary-inject";
  await createNamespace(env().clients, ns);
  const name = "canary-inject";
  const stable = "registry.local/nginx:1.20.1";
  const canary = "registry.local/nginx:1.21.1";
  await createBeta(name, ns, {
    selector: { matchLabels: { app: name } },
    customVersion: "0",
    updateStrategy: { type: "RollingUpdate" },
    containers: [{ name: "nginx", image: stable, command: ["tail", "-f", "/dev/null"] }],
  });
  for (const version of ["stable", "canary"]) {
    await applyYaml(env().clients, deploymentManifest(`${name}-${version}`, ns, 1, name, { version }));
  }
  await waitForAppPods(env(), ns, name, 2, (p) => runsSpecImage(p, "nginx") && containerNamed(p, "nginx").image === stable);

  await updateBeta(name, (spec) => {
    spec.containers[0]!.image = canary;
    // An env var makes the change more than an image: no pod can take it in place.
    spec.containers[0]!.env = [{ name: "SOME_ENV", value: "SOME_VAL" }];
    spec.updateStrategy = { ...spec.updateStrategy, selector: { matchLabels: { version: "canary" } } };
    spec.injectionStrategy = { revision: { customVersion: "0", policy: "Partial" } };
    spec.customVersion = "1";
  });
  await waitForStatus(env(), name, { matchedPods: 2, updatedPods: 0, readyPods: 2, updatedReadyPods: 0 });

  for (const version of ["stable", "canary"]) {
    await applyYaml(env().clients, deploymentManifest(`${name}-${version}`, ns, 2, name, { version }));
  }
  const pods = await waitForAppPods(env(), ns, name, 4, (p) => runsSpecImage(p, "nginx"));
  const images = (version: string) =>
    pods
      .filter((p) => p.metadata?.labels?.version === version)
      .map((p) => containerNamed(p, "nginx").image)
      .sort();
  assert.deepEqual(images("stable"), [stable, stable]);
  assert.deepEqual(images("canary"), [canary, stable].sort(), "the old canary pod keeps its sidecar, the new one gets the new spec");
});

test("two SidecarSets on one pod: SidecarSetUpgradable stays False while either has a change it cannot make in place, and turns True once both are rolled out", async () => {
  const ns = "two-sets";
  await createNamespace(env().clients, ns);
  const [first, second] = ["two-sets-nginx", "two-sets-busybox"];
  await createBeta(first, ns, {
    selector: { matchLabels: { app: ns } },
    updateStrategy: { type: "RollingUpdate" },
    containers: [{ name: "nginx-sidecar", image: "registry.local/nginx:1", command: ["tail", "-f", "/dev/null"] }],
  });
  await createBeta(second, ns, {
    selector: { matchLabels: { app: ns } },
    updateStrategy: { type: "RollingUpdate" },
    containers: [{ ...sidecar("busybox-sidecar"), podInjectPolicy: "AfterAppContainer" }],
  });
  await applyYaml(env().clients, deploymentManifest(ns, ns, 2, ns));
  await waitForAppPods(env(), ns, ns, 2, (p) => runsSpecImage(p, "nginx-sidecar") && runsSpecImage(p, "busybox-sidecar"));

  await updateBeta(first, (spec) => {
    spec.containers[0]!.command = ["sleep", "1000"];
  });
  await waitForStatus(env(), first, { matchedPods: 2, updatedPods: 0, readyPods: 2, updatedReadyPods: 0 });
  await updateBeta(second, (spec) => {
    spec.containers[0]!.image = "registry.local/busybox:2";
  });
  await waitForStatus(env(), second, { matchedPods: 2, updatedPods: 2, readyPods: 2, updatedReadyPods: 2 });
  await waitForAppPods(env(), ns, ns, 2, (p) => runsSpecImage(p, "busybox-sidecar") && containerNamed(p, "busybox-sidecar").image === "registry.local/busybox:2");
  for (const pod of await activePods(env(), ns, ns)) {
    assert.equal(upgradableCondition(pod)?.status, "False", `${pod.metadata?.name}: ${JSON.stringify(upgradableCondition(pod))}`);
  }

  await updateBeta(first, (spec) => {
    spec.containers[0]!.image = "registry.local/nginx:2";
    spec.containers[0]!.command = ["tail", "-f", "/dev/null"];
  });
  await waitForStatus(env(), first, { matchedPods: 2, updatedPods: 2, readyPods: 2, updatedReadyPods: 2 });
  const pods = await waitFor("both pods SidecarSetUpgradable=True", async () => {
    const current = await activePods(env(), ns, ns);
    return current.length === 2 && current.every((p) => upgradableCondition(p)?.status === "True") ? current : undefined;
  });
  for (const pod of pods) assert.equal(containerNamed(pod, "nginx-sidecar").image, "registry.local/nginx:2");
});

test("changing an initContainer leaves the SidecarSet's hash, and so its pods, as they are", async () => {
  const ns = "init-change";
  await createNamespace(env().clients, ns);
  const name = "init-change";
  const created = await createBeta(name, ns, {
    selector: { matchLabels: { app: name } },
    updateStrategy: { type: "RollingUpdate" },
    ...baseContainers("i"),
    containers: [baseContainers("i").containers[0]],
  });
  assert.equal(created.spec.initContainers?.[0]?.podInjectPolicy, "AfterAppContainer", "defaulted");
  assert.equal(created.spec.containers[0]?.podInjectPolicy, "BeforeAppContainer");
  await applyYaml(env().clients, deploymentManifest(name, ns, 1, name));
  const [before] = await waitForAppPods(env(), ns, name, 1, (p) => runsSpecImage(p, "nginx-sidecar-i"));
  await waitForStatus(env(), name, { matchedPods: 1, updatedPods: 1, readyPods: 1, updatedReadyPods: 1 });

  const changed = await updateBeta(name, (spec) => {
    spec.initContainers![0]!.image = "registry.local/does-not-exist:404";
  });
  assert.equal(changed.metadata.annotations?.[SIDECARSET_HASH_ANNOTATION], created.metadata.annotations?.[SIDECARSET_HASH_ANNOTATION]);
  await waitForStatus(env(), name, { matchedPods: 1, updatedPods: 1, readyPods: 1, updatedReadyPods: 1 });
  const [after] = await activePods(env(), ns, name);
  assert.equal(after?.metadata?.uid, before!.metadata?.uid);
  assert.deepEqual(after?.spec, before!.spec, "the pod's spec is untouched");
});

test("hot upgrade with a broken image stops at one pod, whose old container is not parked; the next image goes into the same container and both pods end on it", async () => {
  const ns = "hot-broken";
  await createNamespace(env().clients, ns);
  const name = "hot-broken";
  const [v1, broken, v3, empty] = ["registry.local/nginx:1", "registry.local/nginx:2-broken", "registry.local/nginx:3", "registry.local/busybox:empty"];
  await createBeta(name, ns, {
    selector: { matchLabels: { app: name } },
    updateStrategy: { type: "RollingUpdate" },
    containers: [{ name: "nginx", image: v1, command: ["tail", "-f", "/dev/null"], upgradeStrategy: { upgradeType: "HotUpgrade", hotUpgradeEmptyImage: empty } }],
  });
  await applyYaml(env().clients, deploymentManifest(name, ns, 2, name));
  const working = (p: Pod) => (JSON.parse(p.metadata?.annotations?.[SIDECARSET_WORKING_HOT_UPGRADE_CONTAINER_ANNOTATION] ?? "{}") as Record<string, string>).nginx;
  const pair = (p: Pod) => [working(p), containerNamed(p, "nginx-1").image, containerNamed(p, "nginx-2").image];
  const before = await waitForAppPods(env(), ns, name, 2, (p) => runsSpecImage(p, "nginx-1") && runsSpecImage(p, "nginx-2"));
  for (const pod of before) assert.deepEqual(pair(pod), ["nginx-1", v1, empty]);

  await updateBeta(name, (spec) => {
    spec.containers[0]!.image = broken;
  });
  await waitForStatus(env(), name, { matchedPods: 2, updatedPods: 1, readyPods: 1, updatedReadyPods: 0 });
  await awaitTwoReconciles(env(), name);
  const stopped = await activePods(env(), ns, name);
  // As in OpenKruise, the annotation names the container that got the newest image at once; nginx-1 is parked
  // only once that one is ready, so in the stopped pod it still runs v1.
  assert.deepEqual(stopped.map(pair).sort(), [["nginx-2", v1, broken], ["nginx-1", v1, empty]].sort());
  await waitForStatus(env(), name, { matchedPods: 2, updatedPods: 1, readyPods: 1, updatedReadyPods: 0 });

  await updateBeta(name, (spec) => {
    spec.containers[0]!.image = v3;
  });
  await waitForStatus(env(), name, { matchedPods: 2, updatedPods: 2, readyPods: 2, updatedReadyPods: 2 });
  const after = await waitForAppPods(env(), ns, name, 2, (p) => runsSpecImage(p, "nginx-1") && runsSpecImage(p, "nginx-2") && working(p) === "nginx-2");
  assert.deepEqual(after.map((p) => p.metadata?.uid).sort(), before.map((p) => p.metadata?.uid).sort(), "upgraded in place");
  for (const pod of after) assert.deepEqual(pair(pod), ["nginx-2", empty, v3]);
});
