// Which pods the pod webhook injects, through the real API server: namespace
// and namespaceSelector scoping, the namespaces the webhook never sees,
// pods that existed before their SidecarSet, paused injection and canaries.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pod } from "../../src/api/kube-types.js";
import { createNamespace, MANAGER_NAMESPACE, useEnvironment, waitFor } from "../support/environment.js";
import { listPods, MERGE_PATCH, rawRequest } from "../support/kube.js";
import { createSidecarSet, getSidecarSet, patchSidecarSet, sidecarSetEvents, waitForObserved } from "../support/sidecarsets.js";

const INJECTED_LIST = "kruise.io/sidecarset-injected-list";
const HASH = "kruise.io/sidecarset-hash";

const env = useEnvironment();

function agent(image = "registry.local/agent:1"): Record<string, unknown> {
  return { name: "agent", image, command: ["sleep", "infinity"] };
}

/** Creates a pod and returns it as stored, i.e. as the webhooks left it. */
async function createPod(namespace: string, name: string, labels: Record<string, string>): Promise<Pod> {
  return rawRequest<Pod>(env().clients.kc, "POST", `/api/v1/namespaces/${namespace}/pods`, {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels },
    spec: { containers: [{ name: "app", image: "registry.local/app:1" }] },
  });
}

const containerNames = (pod: Pod) => pod.spec?.containers.map((c) => c.name);
const imageOf = (pod: Pod, container: string) => pod.spec?.containers.find((c) => c.name === container)?.image;

function assertUntouched(pod: Pod, why: string): void {
  assert.deepEqual(containerNames(pod), ["app"], `${pod.metadata?.namespace}/${pod.metadata?.name}: ${why}`);
  assert.equal(pod.metadata?.annotations?.[INJECTED_LIST], undefined, `${pod.metadata?.name} has no injected-list`);
  assert.equal(pod.metadata?.annotations?.[HASH], undefined, `${pod.metadata?.name} has no hash record`);
}

function assertInjected(pod: Pod, sidecarSet: string): void {
  assert.deepEqual(containerNames(pod), ["agent", "app"], `${pod.metadata?.namespace}/${pod.metadata?.name} gets the agent`);
  assert.equal(pod.metadata?.annotations?.[INJECTED_LIST], sidecarSet);
}

test("spec.namespace: only pods of that namespace get the sidecar; a matching pod elsewhere is left alone", async () => {
  await createNamespace(env().clients, "scope-home");
  await createNamespace(env().clients, "scope-away");
  await createSidecarSet(env(), "scope-ns", {
    namespace: "scope-home",
    selector: { matchLabels: { app: "scope-ns" } },
    containers: [agent()],
  });

  assertInjected(await createPod("scope-home", "p", { app: "scope-ns" }), "scope-ns");
  assertUntouched(await createPod("scope-away", "p", { app: "scope-ns" }), "another namespace is out of scope");
});

test("namespaceSelector: the Namespace's labels decide, and relabelling a namespace brings its new pods in scope", async () => {
  await createNamespace(env().clients, "sel-blue", { team: "blue" });
  await createNamespace(env().clients, "sel-red", { team: "red" });
  await createSidecarSet(env(), "scope-selector", {
    namespaceSelector: { matchLabels: { team: "blue" } },
    selector: { matchLabels: { app: "scope-selector" } },
    containers: [agent()],
  });

  assertInjected(await createPod("sel-blue", "p", { app: "scope-selector" }), "scope-selector");
  const red = await createPod("sel-red", "p", { app: "scope-selector" });
  assertUntouched(red, "its namespace is not labelled team=blue");

  await rawRequest(env().clients.kc, "PATCH", "/api/v1/namespaces/sel-red", { metadata: { labels: { team: "blue" } } }, MERGE_PATCH);
  // The webhook reads namespace labels from the manager's cache; a dry run
  // shows when it has seen the change without creating pods meanwhile.
  await waitFor("a dry-run pod in the relabelled namespace to be injected", async () => {
    const dry = await rawRequest<Pod>(env().clients.kc, "POST", "/api/v1/namespaces/sel-red/pods?dryRun=All", {
      metadata: { name: "probe", labels: { app: "scope-selector" } },
      spec: { containers: [{ name: "app", image: "registry.local/app:1" }] },
    });
    return containerNames(dry)?.includes("agent");
  });
  assertInjected(await createPod("sel-red", "p2", { app: "scope-selector" }), "scope-selector");
  const [unchanged] = (await listPods(env().clients.kc, "sel-red", "app=scope-selector")).filter((p) => p.metadata?.name === "p");
  assertUntouched(unchanged!, "the pod created before the relabel keeps its spec");
});

test("pods in the manager namespace, kube-system and any namespace labelled control-plane are never sent to the webhook", async () => {
  await createNamespace(env().clients, "scope-infra", { "control-plane": "something-else" });
  await createNamespace(env().clients, "scope-ordinary");
  await createSidecarSet(env(), "scope-everywhere", {
    selector: { matchLabels: { app: "scope-everywhere" } },
    containers: [agent()],
  });

  assertInjected(await createPod("scope-ordinary", "p", { app: "scope-everywhere" }), "scope-everywhere");
  for (const namespace of [MANAGER_NAMESPACE, "kube-system", "scope-infra"]) {
    assertUntouched(await createPod(namespace, "scope-everywhere", { app: "scope-everywhere" }), "excluded by the webhook's namespaceSelector");
  }
});

test("a SidecarSet created after its pods never changes them: they are counted as notInjectedPods and a PodsNotInjected Warning is recorded", async () => {
  await createNamespace(env().clients, "scope-existing");
  const early = [await createPod("scope-existing", "early-0", { app: "late" }), await createPod("scope-existing", "early-1", { app: "late" })];
  await waitFor("the early pods to run", async () => {
    const pods = await listPods(env().clients.kc, "scope-existing", "app=late");
    return pods.length === 2 && pods.every((p) => p.status?.phase === "Running");
  });

  await createSidecarSet(env(), "late", { namespace: "scope-existing", selector: { matchLabels: { app: "late" } }, containers: [agent()] });
  const status = await waitFor("status notInjectedPods 2", async () => {
    const s = (await getSidecarSet(env(), "late")).status;
    return s?.notInjectedPods === 2 ? s : undefined;
  });
  assert.equal(status.matchedPods, 0, "pods without the sidecar are not matched");

  const event = await waitFor("a PodsNotInjected event on the SidecarSet in namespace default", async () => {
    const list = await sidecarSetEvents(env(), "late", "PodsNotInjected");
    return list.find((e) => e.involvedObject.kind === "SidecarSet");
  });
  assert.equal(event.type, "Warning");
  assert.match(event.message, /\b2 pod\(s\)/);
  assert.match(event.message, /recreated/);

  const now = await listPods(env().clients.kc, "scope-existing", "app=late");
  for (const pod of now) {
    const before = early.find((p) => p.metadata?.uid === pod.metadata?.uid);
    assert.ok(before, `${pod.metadata?.name} is one of the original pods, not a replacement`);
    assertUntouched(pod, "an existing pod keeps its spec");
    assert.deepEqual(pod.spec?.containers, before.spec?.containers);
  }

  assertInjected(await createPod("scope-existing", "new", { app: "late" }), "late");
  await waitFor("status matched 1, notInjected 2", async () => {
    const s = (await getSidecarSet(env(), "late")).status;
    return s?.matchedPods === 1 && s.notInjectedPods === 2;
  });
});

test("injectionStrategy.paused: new pods get nothing (and are counted as not injected) until injection resumes", async () => {
  await createNamespace(env().clients, "scope-paused");
  await createSidecarSet(env(), "paused", {
    namespace: "scope-paused",
    selector: { matchLabels: { app: "paused" } },
    injectionStrategy: { paused: true },
    containers: [agent()],
  });
  assertUntouched(await createPod("scope-paused", "while-paused", { app: "paused" }), "injection is paused");
  await waitFor("status notInjectedPods 1", async () => (await getSidecarSet(env(), "paused")).status?.notInjectedPods === 1);

  await patchSidecarSet(env(), "paused", { spec: { injectionStrategy: { paused: false } } });
  await waitForObserved(env(), "paused");
  assertInjected(await createPod("scope-paused", "after-resume", { app: "paused" }), "paused");
});

test("a canary SidecarSet replaces its base's containers on the pods it selects; other pods keep the base's", async () => {
  await createNamespace(env().clients, "scope-canary");
  await createSidecarSet(env(), "canary-base", {
    namespace: "scope-canary",
    selector: { matchLabels: { app: "canary" } },
    containers: [agent("registry.local/agent:1")],
  });
  await createSidecarSet(
    env(),
    "canary-next",
    {
      namespace: "scope-canary",
      selector: { matchLabels: { app: "canary", track: "canary" } },
      updateStrategy: { type: "NotUpdate" },
      containers: [agent("registry.local/agent:2")],
    },
    { "apps.kruise.io/sidecarset-canary": "true", "apps.kruise.io/sidecarset-base": "canary-base" },
  );

  const canaryPod = await createPod("scope-canary", "canary", { app: "canary", track: "canary" });
  assert.deepEqual(containerNames(canaryPod), ["agent", "app"], "one agent: the canary's replaces the base's");
  assert.equal(imageOf(canaryPod, "agent"), "registry.local/agent:2");
  assert.equal(canaryPod.metadata?.annotations?.[INJECTED_LIST], "canary-next");
  assert.deepEqual(Object.keys(JSON.parse(canaryPod.metadata!.annotations![HASH]!) as object), ["canary-next"]);

  const stablePod = await createPod("scope-canary", "stable", { app: "canary" });
  assert.deepEqual(containerNames(stablePod), ["agent", "app"]);
  assert.equal(imageOf(stablePod, "agent"), "registry.local/agent:1");
  assert.equal(stablePod.metadata?.annotations?.[INJECTED_LIST], "canary-base");

  // The stable pod was created last, so once the base counts it, it has seen
  // both; the canary's pod is not a pod the base failed to inject.
  const base = await waitFor("the base to count its pod", async () => {
    const s = (await getSidecarSet(env(), "canary-base")).status;
    return s?.matchedPods === 1 ? s : undefined;
  });
  assert.equal(base.notInjectedPods, 0);
  await waitFor("the canary to count its pod", async () => (await getSidecarSet(env(), "canary-next")).status?.matchedPods === 1);
});
