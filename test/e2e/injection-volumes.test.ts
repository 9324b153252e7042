// What an injected pod looks like, through the real API server: volumes,
// shared mounts, transferred env vars, initContainers and native sidecars,
// image pull secrets and patched pod annotations.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createNamespace, MANAGER_NAMESPACE, useEnvironment, waitFor } from "../support/environment.js";
import { KubeRequestError } from "../support/kube.js";
import { containerNamed, createBarePod } from "../support/pods.js";
import { createSidecarSet, getSidecarSet, postSidecarSet, waitForObserved } from "../support/sidecarsets.js";

const HASH = "kruise.io/sidecarset-hash";
const INJECTED = { name: "IS_INJECTED", value: "true" };

const env = useEnvironment();

/** The API server's answer to a SidecarSet that must be rejected. */
async function rejection(name: string, spec: Record<string, unknown>): Promise<KubeRequestError> {
  const err = await postSidecarSet(env(), name, spec).then(
    () => assert.fail(`SidecarSet ${name} was accepted`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof KubeRequestError, String(err));
  return err;
}

/** The field errors of a 422 answer. */
function causes(err: KubeRequestError): { field: string; message: string }[] {
  const status = JSON.parse(err.body) as { code: number; details?: { causes?: { field: string; message: string }[] } };
  assert.equal(status.code, 422, err.body);
  return status.details?.causes ?? [];
}

const createPod = (namespace: string, name: string, spec: Record<string, unknown>, metadata: Record<string, unknown> = {}) =>
  createBarePod(env(), namespace, name, spec, metadata);

const app = (name: string, extra: Record<string, unknown> = {}) => ({ name, image: `registry.local/${name}:1`, ...extra });


test("volumes: a SidecarSet volume its containers mount is added, an unmounted one is not, and the pod's own same-named volume wins", async () => {
  await createNamespace(env().clients, "vol-named");
  await createSidecarSet(env(), "vol-named", {
    namespace: "vol-named",
    selector: { matchLabels: { app: "vol-named" } },
    containers: [
      app("agent", {
        volumeMounts: [
          { name: "agent-config", mountPath: "/etc/agent" },
          { name: "shared-data", mountPath: "/data" },
        ],
      }),
    ],
    volumes: [
      { name: "agent-config", configMap: { name: "agent-config" } },
      { name: "shared-data", emptyDir: {} },
      { name: "unused", emptyDir: {} },
    ],
  });

  const own = await createPod(
    "vol-named",
    "own-volume",
    {
      containers: [app("app", { volumeMounts: [{ name: "shared-data", mountPath: "/data" }] })],
      volumes: [{ name: "shared-data", emptyDir: { medium: "Memory" } }],
    },
    { labels: { app: "vol-named" } },
  );
  assert.deepEqual(own.spec?.volumes?.map((v) => v.name), ["shared-data", "agent-config"]);
  assert.deepEqual(own.spec?.volumes?.[0]?.emptyDir, { medium: "Memory" }, "the pod's definition wins");
  assert.equal(own.spec?.volumes?.[1]?.configMap?.name, "agent-config");
  assert.deepEqual(containerNamed(own, "agent").volumeMounts, [
    { name: "agent-config", mountPath: "/etc/agent" },
    { name: "shared-data", mountPath: "/data" },
  ]);

  const bare = await createPod("vol-named", "no-volumes", { containers: [app("app")] }, { labels: { app: "vol-named" } });
  assert.deepEqual(bare.spec?.volumes?.map((v) => v.name), ["agent-config", "shared-data"], "only mounted volumes are added");
  assert.deepEqual(bare.spec?.volumes?.[1]?.emptyDir, {});
});

test("shareVolumePolicy enabled: the sidecar gets every app container's mounts after its own; a sidecar without it gets none", async () => {
  await createNamespace(env().clients, "vol-share");
  await createSidecarSet(env(), "vol-share", {
    namespace: "vol-share",
    selector: { matchLabels: { app: "vol-share" } },
    containers: [
      app("log-agent", { shareVolumePolicy: { type: "enabled" }, volumeMounts: [{ name: "agent-state", mountPath: "/agent-state" }] }),
      app("metrics"),
    ],
    volumes: [{ name: "agent-state", emptyDir: {} }],
  });

  const pod = await createPod(
    "vol-share",
    "p",
    {
      containers: [
        app("app1", { volumeMounts: [{ name: "logs", mountPath: "/var/log/app1" }] }),
        app("app2", {
          volumeMounts: [
            { name: "cache", mountPath: "/cache", subPath: "c" },
            { name: "logs", mountPath: "/var/log/app2", readOnly: true },
          ],
        }),
      ],
      volumes: [
        { name: "logs", emptyDir: {} },
        { name: "cache", emptyDir: {} },
      ],
    },
    { labels: { app: "vol-share" } },
  );
  assert.deepEqual(pod.spec?.containers.map((c) => c.name), ["log-agent", "metrics", "app1", "app2"]);
  assert.deepEqual(containerNamed(pod, "log-agent").volumeMounts, [
    { name: "agent-state", mountPath: "/agent-state" },
    { name: "logs", mountPath: "/var/log/app1" },
    { name: "cache", mountPath: "/cache", subPath: "c" },
    { name: "logs", readOnly: true, mountPath: "/var/log/app2" },
  ]);
  assert.equal(containerNamed(pod, "metrics").volumeMounts, undefined);
  assert.deepEqual(pod.spec?.volumes?.map((v) => v.name), ["logs", "cache", "agent-state"]);
});

test("transferEnv by envName: the app container's TZ is copied after IS_INJECTED; a pod without TZ is still created", async () => {
  await createNamespace(env().clients, "env-tz");
  await createSidecarSet(env(), "env-tz", {
    namespace: "env-tz",
    selector: { matchLabels: { app: "env-tz" } },
    containers: [app("clock", { env: [{ name: "MODE", value: "tail" }], transferEnv: [{ sourceContainerName: "app", envName: "TZ" }] })],
  });

  const withTz = await createPod(
    "env-tz",
    "with-tz",
    { containers: [app("app", { env: [{ name: "OTHER", value: "x" }, { name: "TZ", value: "Asia/Tokyo" }] })] },
    { labels: { app: "env-tz" } },
  );
  assert.deepEqual(containerNamed(withTz, "clock").env, [{ name: "MODE", value: "tail" }, INJECTED, { name: "TZ", value: "Asia/Tokyo" }]);

  const withoutTz = await createPod("env-tz", "without-tz", { containers: [app("app")] }, { labels: { app: "env-tz" } });
  assert.deepEqual(containerNamed(withoutTz, "clock").env, [{ name: "MODE", value: "tail" }, INJECTED]);
});

test("transferEnv with sourceContainerNameFrom: the pod label names the container the env vars are copied from", async () => {
  await createNamespace(env().clients, "env-from");
  await createSidecarSet(env(), "env-from", {
    namespace: "env-from",
    selector: { matchLabels: { app: "env-from" } },
    containers: [
      app("agent", {
        transferEnv: [{ sourceContainerNameFrom: { fieldRef: { fieldPath: "metadata.labels['main-container']" } }, envNames: ["REGION", "LOG_LEVEL"] }],
      }),
    ],
  });
  const spec = {
    containers: [
      app("helper", { env: [{ name: "LOG_LEVEL", value: "info" }, { name: "REGION", value: "us" }] }),
      app("worker", { env: [{ name: "REGION", value: "eu" }, { name: "LOG_LEVEL", value: "debug" }] }),
    ],
  };

  const fromWorker = await createPod("env-from", "from-worker", spec, { labels: { app: "env-from", "main-container": "worker" } });
  assert.deepEqual(containerNamed(fromWorker, "agent").env, [INJECTED, { name: "LOG_LEVEL", value: "debug" }, { name: "REGION", value: "eu" }]);
  const fromHelper = await createPod("env-from", "from-helper", spec, { labels: { app: "env-from", "main-container": "helper" } });
  assert.deepEqual(containerNamed(fromHelper, "agent").env, [INJECTED, { name: "LOG_LEVEL", value: "info" }, { name: "REGION", value: "us" }]);
});

test("initContainers are sorted by name and placed before or after the pod's own per podInjectPolicy (default after); containers likewise (default before)", async () => {
  await createNamespace(env().clients, "init-order");
  await createSidecarSet(env(), "init-order", {
    namespace: "init-order",
    selector: { matchLabels: { app: "init-order" } },
    initContainers: [app("init-z"), app("init-b", { podInjectPolicy: "BeforeAppContainer" }), app("init-a")],
    containers: [app("side-before"), app("side-after", { podInjectPolicy: "AfterAppContainer" })],
  });

  const pod = await createPod(
    "init-order",
    "p",
    { initContainers: [app("app-init")], containers: [app("app")] },
    { labels: { app: "init-order" } },
  );
  assert.deepEqual(pod.spec?.initContainers?.map((c) => c.name), ["init-b", "app-init", "init-a", "init-z"]);
  assert.deepEqual(pod.spec?.containers.map((c) => c.name), ["side-before", "app", "side-after"]);
  for (const name of ["init-a", "init-b", "init-z", "side-before", "side-after"]) {
    assert.deepEqual(containerNamed(pod, name).env, [INJECTED], `${name} is marked as injected`);
  }
  assert.equal(containerNamed(pod, "app-init").env, undefined, "the pod's own initContainer is untouched");
});

test("a native sidecar (initContainer with restartPolicy Always) needs updateStrategy NotUpdate and is injected as one, counted in the pod's records", async () => {
  await createNamespace(env().clients, "native");
  const spec = (updateStrategy: Record<string, unknown>) => ({
    namespace: "native",
    selector: { matchLabels: { app: "native" } },
    updateStrategy,
    initContainers: [app("proxy", { restartPolicy: "Always" })],
  });
  const rolling = causes(await rejection("native", spec({})));
  assert.deepEqual(rolling.map((c) => c.field), ["spec.initContainers[0].restartPolicy"], JSON.stringify(rolling));
  assert.match(rolling[0]!.message, /NotUpdate/);

  await createSidecarSet(env(), "native", spec({ type: "NotUpdate" }));
  const pod = await createPod("native", "p", { initContainers: [app("app-init")], containers: [app("app")] }, { labels: { app: "native" } });
  assert.deepEqual(pod.spec?.initContainers?.map((c) => [c.name, c.restartPolicy]), [["app-init", undefined], ["proxy", "Always"]]);
  assert.deepEqual(pod.spec?.containers.map((c) => c.name), ["app"]);
  const record = (JSON.parse(pod.metadata!.annotations![HASH]!) as Record<string, { hash: string; sidecarList: string[] }>).native!;
  assert.deepEqual(record.sidecarList, ["proxy"]);
  assert.equal(record.hash, (await getSidecarSet(env(), "native")).metadata.annotations?.[HASH], "the pod records the SidecarSet's hash");
  await waitFor("the controller to count the pod as matched", async () => (await getSidecarSet(env(), "native")).status?.matchedPods === 1);
});

test("imagePullSecrets are appended to the pod's own, without duplicating a name the pod already has", async () => {
  await createNamespace(env().clients, "pull-secrets");
  await createSidecarSet(env(), "pull-secrets", {
    namespace: "pull-secrets",
    selector: { matchLabels: { app: "pull-secrets" } },
    imagePullSecrets: [{ name: "sidecar-registry" }, { name: "shared-registry" }],
    containers: [app("agent")],
  });
  const pod = await createPod(
    "pull-secrets",
    "p",
    { containers: [app("app")], imagePullSecrets: [{ name: "shared-registry" }, { name: "app-registry" }] },
    { labels: { app: "pull-secrets" } },
  );
  assert.deepEqual(pod.spec?.imagePullSecrets, [{ name: "shared-registry" }, { name: "app-registry" }, { name: "sidecar-registry" }]);
});

test("patchPodMetadata: rejected until the whitelist ConfigMap allows the keys; then Retain, Overwrite and MergePatchJson apply to new pods", async () => {
  await createNamespace(env().clients, "patch-meta");
  const spec = (keyPrefix: string) => ({
    namespace: "patch-meta",
    selector: { matchLabels: { app: "patch-meta" } },
    containers: [app("agent")],
    patchPodMetadata: [
      { annotations: { [`${keyPrefix}/retain`]: "from-sidecarset" }, patchPolicy: "Retain" },
      { annotations: { [`${keyPrefix}/overwrite`]: "from-sidecarset" }, patchPolicy: "Overwrite" },
      { annotations: { [`${keyPrefix}/merge`]: '{"b":2}' }, patchPolicy: "MergePatchJson" },
    ],
  });

  const unconfigured = causes(await rejection("patch-meta", spec("example.com")));
  assert.equal(unconfigured.length, 1, JSON.stringify(unconfigured));
  assert.equal(unconfigured[0]!.field, "spec.patchPodMetadata");
  assert.match(unconfigured[0]!.message, /no whitelist configured; add rules to ConfigMap sidecarset-configuration/);

  await env().clients.core.createNamespacedConfigMap({
    namespace: MANAGER_NAMESPACE,
    body: {
      metadata: { name: "sidecarset-configuration" },
      data: { SidecarSet_PatchPodMetadata_WhiteList: JSON.stringify({ rules: [{ allowedAnnotationKeyExprs: ["^example\\.com/"] }] }) },
    },
  });
  // The validating webhook reads the ConfigMap from its cache: retry until it has it.
  await waitFor("the SidecarSet to be accepted once the whitelist exists", async () => {
    try {
      await postSidecarSet(env(), "patch-meta", spec("example.com"));
      return true;
    } catch (e) {
      if (e instanceof KubeRequestError && /no whitelist configured/.test(e.body)) return false;
      throw e;
    }
  });
  const outside = causes(await rejection("patch-other", { ...spec("other.io"), selector: { matchLabels: { app: "patch-other" } } }));
  assert.deepEqual(
    outside.map((c) => c.field),
    ["spec.patchPodMetadata[0].annotations[other.io/retain]", "spec.patchPodMetadata[1].annotations[other.io/overwrite]", "spec.patchPodMetadata[2].annotations[other.io/merge]"],
    JSON.stringify(outside),
  );
  await waitForObserved(env(), "patch-meta", "patch-meta observed");

  const annotated = await createPod(
    "patch-meta",
    "annotated",
    { containers: [app("app")] },
    {
      labels: { app: "patch-meta" },
      annotations: { "example.com/retain": "from-pod", "example.com/overwrite": "from-pod", "example.com/merge": '{"a":1}' },
    },
  );
  const a = annotated.metadata?.annotations ?? {};
  assert.equal(a["example.com/retain"], "from-pod", "Retain keeps the pod's value");
  assert.equal(a["example.com/overwrite"], "from-sidecarset", "Overwrite replaces it");
  assert.equal(a["example.com/merge"], '{"a":1,"b":2}', "MergePatchJson merges the JSON objects");

  const plain = await createPod("patch-meta", "plain", { containers: [app("app")] }, { labels: { app: "patch-meta" } });
  const p = plain.metadata?.annotations ?? {};
  assert.deepEqual(
    [p["example.com/retain"], p["example.com/overwrite"], p["example.com/merge"]],
    ["from-sidecarset", "from-sidecarset", '{"b":2}'],
  );
});
