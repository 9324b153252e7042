// The controller converges to what the caches hold, whatever event (or none)
// told it: a rollback to an earlier image, canary status, pods and Namespaces
// relabelled out of scope, a canary removed from under its base; and a
// reconcile that keeps failing says so in an event, a condition and a metric.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pod } from "../../src/api/kube-types.js";
import { MANAGER_NAMESPACE, useEnvironment, waitFor } from "../support/environment.js";
import { createNamespace, isPodReady, MERGE_PATCH, rawRequest } from "../support/kube.js";
import { activePods, deploymentManifest, setSidecarImage, specImage, waitForAppPods, waitForStatus } from "../support/rollout.js";
import { applyYaml } from "../support/environment.js";
import { createSidecarSet, getSidecarSet, sidecarSetEvents, type SidecarSetObject } from "../support/sidecarsets.js";

const env = useEnvironment();

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

function reconciledCondition(set: SidecarSetObject): Condition | undefined {
  const status = set.status as { conditions?: Condition[] } | undefined;
  return status?.conditions?.find((c) => c.type === "Reconciled");
}

function sidecarSetSpec(namespace: string, app: string, image: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    namespace,
    selector: { matchLabels: { app } },
    updateStrategy: { maxUnavailable: 2 },
    containers: [{ name: "agent", image, command: ["sh", "-c", "true && sleep 1d"] }],
    ...extra,
  };
}

function podManifest(namespace: string, name: string, labels: Record<string, string>): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace, labels },
    spec: { containers: [{ name: "app", image: "registry.local/app:1" }], terminationGracePeriodSeconds: 1 },
  };
}

async function createPod(namespace: string, name: string, labels: Record<string, string>): Promise<Pod> {
  return rawRequest<Pod>(env().clients.kc, "POST", `/api/v1/namespaces/${namespace}/pods`, podManifest(namespace, name, labels));
}

async function metricValue(name: string, labels: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${env().metricsPort}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(" ").pop()) : 0;
}

test("rolling a sidecar image back to one whose command holds `&&` converges: no immutable-data error, status follows the spec", async () => {
  const ns = "rollback";
  await createNamespace(env().clients, ns);
  const first = await createSidecarSet(env(), ns, sidecarSetSpec(ns, ns, "busybox:1.36"));
  const firstRevision = first.status?.latestRevision;
  assert.ok(firstRevision);
  await applyYaml(env().clients, deploymentManifest(ns, ns, 2, ns));
  await waitForAppPods(env(), ns, ns, 2, (p) => isPodReady(p) && specImage(p) === "busybox:1.36");
  await waitForStatus(env(), ns, { matchedPods: 2, updatedPods: 2, readyPods: 2 });

  await setSidecarImage(env(), ns, "busybox:1.37");
  await waitForAppPods(env(), ns, ns, 2, (p) => isPodReady(p) && specImage(p) === "busybox:1.37");
  await waitForStatus(env(), ns, { matchedPods: 2, updatedPods: 2, readyPods: 2 });

  await setSidecarImage(env(), ns, "busybox:1.36");
  await waitForAppPods(env(), ns, ns, 2, (p) => isPodReady(p) && specImage(p) === "busybox:1.36");
  const settled = await waitForStatus(env(), ns, { matchedPods: 2, updatedPods: 2, readyPods: 2, updatedReadyPods: 2 });
  assert.equal(settled.status?.latestRevision, firstRevision, "the first revision is the latest again");
  assert.equal(reconciledCondition(settled)?.status, "True");
  assert.deepEqual(await sidecarSetEvents(env(), ns, "ReconcileFailed"), []);
});

test("a canary SidecarSet's status counts its pods ready as soon as they are", async () => {
  const ns = "canary-status";
  await createNamespace(env().clients, ns);
  await createSidecarSet(env(), "canary-base", sidecarSetSpec(ns, "web", "registry.local/agent:1"));
  await createSidecarSet(
    env(),
    "canary-status",
    { ...sidecarSetSpec(ns, "web", "registry.local/agent:2"), selector: { matchLabels: { app: "web", track: "canary" } }, updateStrategy: { type: "NotUpdate" } },
    { "apps.kruise.io/sidecarset-canary": "true", "apps.kruise.io/sidecarset-base": "canary-base" },
  );
  await applyYaml(env().clients, deploymentManifest("web-canary", ns, 2, "web", { track: "canary" }));
  await waitForAppPods(env(), ns, "web", 2, (p) => isPodReady(p) && specImage(p) === "registry.local/agent:2");
  await waitForStatus(env(), "canary-status", { matchedPods: 2, updatedPods: 2, readyPods: 2, updatedReadyPods: 2 }, { timeoutMs: 20_000 });
});

test("a pod relabelled out of a selector and a Namespace relabelled out of a namespaceSelector leave the counts at once", async () => {
  const ns = "relabel";
  await createNamespace(env().clients, ns, { team: "a" });
  await createSidecarSet(env(), "relabel-pods", sidecarSetSpec(ns, "relabel", "registry.local/agent:1"));
  const { namespace: _, ...byTeam } = sidecarSetSpec(ns, "relabel-ns", "registry.local/agent:1");
  await createSidecarSet(env(), "relabel-namespace", { ...byTeam, namespaceSelector: { matchLabels: { team: "a" } }, containers: [{ name: "agent2", image: "registry.local/agent:1" }] });
  await createPod(ns, "p1", { app: "relabel" });
  await createPod(ns, "p2", { app: "relabel-ns" });
  await waitForStatus(env(), "relabel-pods", { matchedPods: 1, readyPods: 1 });
  await waitForStatus(env(), "relabel-namespace", { matchedPods: 1, readyPods: 1 });

  // Well within the periodic resync: only the events can bring these.
  const quick = { timeoutMs: 20_000 };
  await rawRequest(env().clients.kc, "PATCH", `/api/v1/namespaces/${ns}/pods/p1`, { metadata: { labels: { app: "elsewhere" } } }, MERGE_PATCH);
  await waitForStatus(env(), "relabel-pods", { matchedPods: 0, readyPods: 0 }, quick);
  await rawRequest(env().clients.kc, "PATCH", `/api/v1/namespaces/${ns}`, { metadata: { labels: { team: "b" } } }, MERGE_PATCH);
  await waitForStatus(env(), "relabel-namespace", { matchedPods: 0, readyPods: 0 }, quick);
  // And back in scope.
  await rawRequest(env().clients.kc, "PATCH", `/api/v1/namespaces/${ns}`, { metadata: { labels: { team: "a" } } }, MERGE_PATCH);
  await waitForStatus(env(), "relabel-namespace", { matchedPods: 1, readyPods: 1 }, quick);
});

test("removing a canary turns the pods that carry it into its base's not-injected pods", async () => {
  const ns = "canary-removed";
  await createNamespace(env().clients, ns);
  await createSidecarSet(env(), "removed-base", sidecarSetSpec(ns, "web", "registry.local/agent:1"));
  await createSidecarSet(
    env(),
    "removed-canary",
    { ...sidecarSetSpec(ns, "web", "registry.local/agent:2"), updateStrategy: { type: "NotUpdate" } },
    { "apps.kruise.io/sidecarset-canary": "true", "apps.kruise.io/sidecarset-base": "removed-base" },
  );
  await createPod(ns, "c1", { app: "web" });
  await createPod(ns, "c2", { app: "web" });
  await waitForStatus(env(), "removed-canary", { matchedPods: 2 });
  const base = await waitForStatus(env(), "removed-base", { matchedPods: 0 });
  assert.equal(base.status?.notInjectedPods ?? 0, 0, "pods carrying the canary are not missing the base");

  await rawRequest(env().clients.kc, "DELETE", "/apis/apps.kruise.io/v1alpha1/sidecarsets/removed-canary");
  await waitFor(
    "the base to count the two pods as not injected",
    async () => ((await getSidecarSet(env(), "removed-base")).status?.notInjectedPods ?? 0) === 2,
    { timeoutMs: 20_000 },
  );
});

test("a reconcile that keeps failing shows the API server's message in a Warning event, the Reconciled condition and a metric, and clears when it succeeds", async () => {
  const ns = "failing";
  await createNamespace(env().clients, ns);
  // An admission policy refuses this SidecarSet's ControllerRevisions: every
  // reconcile fails at its revision step, as long as the policy stands.
  const policies = "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies";
  const bindings = "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings";
  await rawRequest(env().clients.kc, "POST", policies, {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicy",
    metadata: { name: "freeze-failing" },
    spec: {
      failurePolicy: "Fail",
      matchConstraints: { resourceRules: [{ apiGroups: ["apps"], apiVersions: ["v1"], operations: ["CREATE"], resources: ["controllerrevisions"] }] },
      validations: [
        {
          expression: "!has(object.metadata.labels) || !('kruise.io/sidecarset-name' in object.metadata.labels) || object.metadata.labels['kruise.io/sidecarset-name'] != 'failing'",
          message: "revisions of failing are frozen by policy",
        },
      ],
    },
  });
  await rawRequest(env().clients.kc, "POST", bindings, {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicyBinding",
    metadata: { name: "freeze-failing" },
    spec: { policyName: "freeze-failing", validationActions: ["Deny"] },
  });
  await waitFor("the policy to be in force", async () => {
    try {
      await rawRequest(env().clients.kc, "POST", `/apis/apps/v1/namespaces/${MANAGER_NAMESPACE}/controllerrevisions?dryRun=All`, {
        apiVersion: "apps/v1",
        kind: "ControllerRevision",
        metadata: { name: "probe", labels: { "kruise.io/sidecarset-name": "failing" } },
        data: {},
        revision: 1,
      });
      return false;
    } catch (e) {
      return /frozen by policy/.test(String(e));
    }
  });
  try {
    await rawRequest(env().clients.kc, "POST", "/apis/apps.kruise.io/v1alpha1/sidecarsets", {
      apiVersion: "apps.kruise.io/v1alpha1",
      kind: "SidecarSet",
      metadata: { name: "failing" },
      spec: sidecarSetSpec(ns, "failing", "registry.local/agent:1"),
    });
    const failed = await waitFor("the Reconciled=False condition", async () => {
      const set = await getSidecarSet(env(), "failing");
      return reconciledCondition(set)?.status === "False" ? set : undefined;
    });
    const condition = reconciledCondition(failed)!;
    assert.equal(condition.reason, "ReconcileError");
    assert.match(condition.message ?? "", /controllerrevisions/);
    assert.match(condition.message ?? "", /frozen by policy/);
    const events = await waitFor("a ReconcileFailed event", async () => {
      const list = await sidecarSetEvents(env(), "failing", "ReconcileFailed");
      return list.length > 0 ? list : undefined;
    });
    assert.equal(events[0]!.type, "Warning");
    assert.match(events[0]!.message, /frozen by policy/);
    assert.ok((await metricValue("sidecarset_reconcile_errors_total", 'sidecarset="failing"')) >= 1);
  } finally {
    await rawRequest(env().clients.kc, "DELETE", `${bindings}/freeze-failing`);
    await rawRequest(env().clients.kc, "DELETE", `${policies}/freeze-failing`);
  }
  const recovered = await waitFor("the Reconciled=True condition", async () => {
    const set = await getSidecarSet(env(), "failing");
    return reconciledCondition(set)?.status === "True" && set.status?.latestRevision ? set : undefined;
  });
  assert.equal(reconciledCondition(recovered)?.reason, "ReconcileSucceeded");
  assert.equal(recovered.status?.observedGeneration, recovered.metadata.generation);
  // Pods created from now on are still handled.
  await createPod(ns, "f1", { app: "failing" });
  await waitForStatus(env(), "failing", { matchedPods: 1 });
  assert.ok((await activePods(env(), ns, "failing")).every((p) => specImage(p) === "registry.local/agent:1"));
});

test("the manager's log never carries its token or a private key", async () => {
  const { readFileSync } = await import("node:fs");
  const { parse } = await import("yaml");
  const kubeconfig = parse(readFileSync(env().cluster.restrictedKubeconfigPath, "utf8")) as { users: { user: { token: string } }[] };
  const token = kubeconfig.users[0]!.user.token;
  assert.ok(token.length >= 16, "the manager runs with a bearer token");
  const log = readFileSync(env().managerLog, "utf8");
  assert.ok(log.split("\n").length > 10, "the log has lines to look at");
  assert.equal(log.includes(token), false, "no log line carries the token");
  assert.doesNotMatch(log, /PRIVATE KEY/, "no log line carries a private key");
});
