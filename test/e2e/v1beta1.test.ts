// SidecarSet v1beta1 as the API server serves and stores it: both versions
// read and written through the conversion webhook, injection and in-place
// upgrades driven by a v1beta1 object, kubectl's columns, a SidecarSet an
// earlier release stored as v1alpha1 carried over with no rollout, and one
// OpenKruise stored as v1beta1 taken over with the pods it injected.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { convertSidecarSet } from "../../src/api/conversion.js";
import { defaultSidecarSet } from "../../src/api/defaults.js";
import type { ControllerRevision, Pod } from "../../src/api/kube-types.js";
import type { SidecarSet } from "../../src/api/types.js";
import { injectPod } from "../../src/core/inject/index.js";
import { CUSTOM_VERSION_LABEL, SIDECARSET_HASH_ANNOTATION } from "../../src/api/keys.js";
import { MANAGER_NAMESPACE, useEnvironment, waitFor } from "../support/environment.js";
import { apiErrorCode, createNamespace, MERGE_PATCH, rawRequest } from "../support/kube.js";
import {
  activePods,
  awaitTwoReconciles,
  deploySettled,
  deploymentManifest,
  runsSpecImage,
  setSidecarImage,
  specImage,
  waitForAppPods,
  waitForStatus,
} from "../support/rollout.js";
import { applyYaml, cliNodeArgs, REPO_ROOT } from "../support/environment.js";
import { BETA_SIDECARSETS, betaSidecarSetObject, getSidecarSet, waitForObserved, type SidecarSetObject } from "../support/sidecarsets.js";

const env = useEnvironment();

const ALPHA_PATH = "/apis/apps.kruise.io/v1alpha1/sidecarsets";
const CRD_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/sidecarsets.apps.kruise.io";
const NAME_LABEL = "kubernetes.io/metadata.name";
const V1 = "registry.local/agent:1";
const V2 = "registry.local/agent:2";

interface AnySidecarSet extends SidecarSetObject {
  apiVersion: string;
  spec: SidecarSetObject["spec"] & { namespace?: string; namespaceSelector?: unknown; customVersion?: string };
}

function betaSidecarSet(name: string, namespace: string, image: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return betaSidecarSetObject(name, namespace, { selector: { matchLabels: { app: name } }, containers: [{ name: "agent", image, command: ["sleep", "infinity"] }], ...extra });
}

const read = (path: string, name: string) => rawRequest<AnySidecarSet>(env().clients.kc, "GET", `${path}/${name}`);

test("a v1beta1 SidecarSet reads back as v1alpha1 and as v1beta1, and a v1alpha1 one as v1beta1", async () => {
  const created = await rawRequest<AnySidecarSet>(env().clients.kc, "POST", BETA_SIDECARSETS, betaSidecarSet("beta-rw", "beta-rw", V1, { customVersion: "2024-06" }));
  assert.equal(created.apiVersion, "apps.kruise.io/v1beta1");
  assert.match(created.metadata.annotations?.[SIDECARSET_HASH_ANNOTATION] ?? "", /^[a-z0-9]{64}$/, "defaulted by the webhook in its v1beta1 form");

  const alpha = await read(ALPHA_PATH, "beta-rw");
  assert.equal(alpha.apiVersion, "apps.kruise.io/v1alpha1");
  assert.equal(alpha.metadata.labels?.[CUSTOM_VERSION_LABEL], "2024-06");
  assert.equal(alpha.spec.customVersion, undefined);
  assert.deepEqual(alpha.spec.namespaceSelector, { matchLabels: { [NAME_LABEL]: "beta-rw" } });
  assert.equal(alpha.spec.namespace, undefined);
  assert.deepEqual(alpha.spec.containers, created.spec.containers);
  assert.deepEqual(alpha.metadata.annotations, created.metadata.annotations);

  // A write through v1alpha1 (the label) is read back through v1beta1 (the spec field).
  await rawRequest(env().clients.kc, "PATCH", `${ALPHA_PATH}/beta-rw`, { metadata: { labels: { [CUSTOM_VERSION_LABEL]: "2024-07" } } }, MERGE_PATCH);
  const beta = await read(BETA_SIDECARSETS, "beta-rw");
  assert.equal(beta.spec.customVersion, "2024-07");
  assert.equal(beta.metadata.labels?.[CUSTOM_VERSION_LABEL], undefined);
  assert.equal(beta.metadata.generation, created.metadata.generation, "moving the custom version between label and spec is no spec change");

  await rawRequest(env().clients.kc, "POST", ALPHA_PATH, {
    apiVersion: "apps.kruise.io/v1alpha1",
    kind: "SidecarSet",
    metadata: { name: "alpha-rw" },
    spec: { namespace: "alpha-rw", selector: { matchLabels: { app: "alpha-rw" } }, containers: [{ name: "agent", image: V1 }] },
  });
  const asBeta = await read(BETA_SIDECARSETS, "alpha-rw");
  assert.deepEqual(asBeta.spec.namespaceSelector, { matchLabels: { [NAME_LABEL]: "alpha-rw" } });
  assert.equal(asBeta.spec.namespace, undefined);
  for (const name of ["beta-rw", "alpha-rw"]) await rawRequest(env().clients.kc, "DELETE", `${BETA_SIDECARSETS}/${name}`);
});

test("a v1beta1 SidecarSet is refused by validation with its own field paths", async () => {
  const bad = betaSidecarSet("beta-invalid", "x", V1, { namespaceSelector: { matchExpressions: [{ key: "env", operator: "Sideways" }] } });
  const err = await rawRequest(env().clients.kc, "POST", BETA_SIDECARSETS, bad).then(
    () => assert.fail("an invalid SidecarSet was admitted"),
    (e: unknown) => e,
  );
  assert.equal(apiErrorCode(err), 422);
  assert.match(String(err), /spec\.namespaceSelector/);
});

test("a v1beta1 SidecarSet injects new pods and upgrades them in place; its customVersion reaches the ControllerRevision", async () => {
  const name = "beta-rollout";
  await createNamespace(env().clients, name);
  await rawRequest(env().clients.kc, "POST", BETA_SIDECARSETS, betaSidecarSet(name, name, V1, { customVersion: "first", updateStrategy: { maxUnavailable: 3 } }));
  const observed = await waitForObserved(env(), name);
  await applyYaml(env().clients, deploymentManifest(name, name, 3, name));
  const pods = await waitForAppPods(env(), name, name, 3);
  assert.ok(pods.every((p) => specImage(p) === V1), "every pod got the sidecar");
  const settled = await waitForStatus(env(), name, { matchedPods: 3, updatedPods: 3, readyPods: 3, updatedReadyPods: 3 });
  assert.ok(observed.status?.latestRevision || settled.status?.latestRevision);
  const revision = await rawRequest<ControllerRevision>(
    env().clients.kc,
    "GET",
    `/apis/apps/v1/namespaces/${MANAGER_NAMESPACE}/controllerrevisions/${settled.status?.latestRevision}`,
  );
  assert.equal(revision.metadata?.labels?.[CUSTOM_VERSION_LABEL], "first");

  const current = await read(BETA_SIDECARSETS, name);
  await rawRequest(
    env().clients.kc,
    "PATCH",
    `${BETA_SIDECARSETS}/${name}`,
    { spec: { containers: current.spec.containers.map((c) => ({ ...c, image: V2 })) } },
    MERGE_PATCH,
  );
  const upgraded = await waitForAppPods(env(), name, name, 3, (p) => specImage(p) === V2 && runsSpecImage(p));
  assert.deepEqual(upgraded.map((p) => p.metadata?.name).sort(), pods.map((p) => p.metadata?.name).sort(), "upgraded in place, not recreated");
  await waitForStatus(env(), name, { matchedPods: 3, updatedPods: 3, readyPods: 3, updatedReadyPods: 3 });
});

test("kubectl get sidecarsets shows the same columns in both versions", async () => {
  const kubectl = join(dirname(env().cluster.binary), "kubectl");
  const run = promisify(execFile);
  for (const resource of ["sidecarsets", "sidecarsets.v1alpha1.apps.kruise.io", "sidecarsets.v1beta1.apps.kruise.io"]) {
    const { stdout } = await run(kubectl, ["--kubeconfig", env().cluster.kubeconfigPath, "get", resource, "beta-rollout"]);
    const [header, row] = stdout.trim().split("\n").map((l) => l.trim().split(/\s+/));
    assert.deepEqual(header, ["NAME", "MATCHED", "UPDATED", "READY", "UPDATEDREADY", "AGE"], resource);
    assert.deepEqual(row?.slice(0, 5), ["beta-rollout", "3", "3", "3", "3"], resource);
  }
});

interface Crd {
  metadata: { resourceVersion?: string };
  spec: { versions: { name: string; storage: boolean }[] };
  status?: { storedVersions?: string[] };
}

let probes = 0;

/** Replaces the CRD with its storage version set to `storage`. */
async function setStorageVersion(storage: "v1alpha1" | "v1beta1"): Promise<void> {
  const crd = await rawRequest<Crd>(env().clients.kc, "GET", CRD_PATH);
  for (const v of crd.spec.versions) v.storage = v.name === storage;
  await rawRequest(env().clients.kc, "PUT", CRD_PATH, crd);
}

/**
 * setStorageVersion, then waits until the API server stores new SidecarSets
 * that way: a probe created as v1alpha1 keeps spec.namespace only when
 * v1alpha1 is stored (v1beta1 has no such field).
 */
async function storeAs(storage: "v1alpha1" | "v1beta1"): Promise<void> {
  await setStorageVersion(storage);
  await waitFor(`new SidecarSets to be stored as ${storage}`, async () => {
    const name = `storage-probe-${++probes}`;
    try {
      await rawRequest(env().clients.kc, "POST", ALPHA_PATH, {
        apiVersion: "apps.kruise.io/v1alpha1",
        kind: "SidecarSet",
        metadata: { name },
        spec: { namespace: "storage-probe", selector: { matchLabels: { app: name } }, containers: [{ name: "c", image: V1 }] },
      });
      const stored = await read(ALPHA_PATH, name);
      await rawRequest(env().clients.kc, "DELETE", `${ALPHA_PATH}/${name}`);
      return (stored.spec.namespace === "storage-probe") === (storage === "v1alpha1");
    } catch (e) {
      // The API server rebuilds the resource's storage and answers 429 meanwhile.
      if (apiErrorCode(e) === 429 || apiErrorCode(e) === 503) return false;
      throw e;
    }
  });
}

/** What a rollout would change on a pod. */
function podState(pods: Pod[]): unknown[] {
  return pods
    .map((p) => ({
      name: p.metadata?.name,
      uid: p.metadata?.uid,
      hash: p.metadata?.annotations?.[SIDECARSET_HASH_ANNOTATION],
      image: specImage(p),
      restarts: p.status?.containerStatuses?.map((c) => [c.name, c.restartCount]),
    }))
    .sort((a, b) => String(a.name).localeCompare(String(b.name)));
}

test("a SidecarSet stored as v1alpha1 before the upgrade is read after it through conversion, with no rollout", async () => {
  const name = "stored-alpha";
  // What the previous release left: SidecarSets stored as v1alpha1, with spec.namespace.
  await storeAs("v1alpha1");
  const pods = await deploySettled(env(), name, { replicas: 3, image: V1, updateStrategy: { maxUnavailable: 3 } });
  const before = podState(await activePods(env(), name, name));
  // Still stored as v1alpha1, though its namespace already reads as a selector:
  // the manager's status writes go through v1beta1, as OpenKruise's do.
  const beforeSet = await read(ALPHA_PATH, name);

  // The upgrade: this CRD (v1beta1 storage) and a manager that lists v1beta1
  // from its start — which needs /convert for the object stored as v1alpha1.
  // The manager is down while the CRD changes, so the API server's rebuilt
  // storage can list the object only once the starting manager serves /convert.
  await env().stopManager();
  await setStorageVersion("v1beta1");
  await env().restartManager();
  const crd = await rawRequest<Crd>(env().clients.kc, "GET", CRD_PATH);
  assert.ok(crd.status?.storedVersions?.includes("v1alpha1"), "the API server recorded objects stored as v1alpha1");

  // Two full reconciles later, nothing about the pods changed.
  await awaitTwoReconciles(env(), name);
  await waitForStatus(env(), name, { matchedPods: 3, updatedPods: 3, readyPods: 3, updatedReadyPods: 3 });
  assert.deepEqual(podState(await activePods(env(), name, name)), before);
  const afterSet = await read(ALPHA_PATH, name);
  assert.equal(afterSet.metadata.annotations?.[SIDECARSET_HASH_ANNOTATION], beforeSet.metadata.annotations?.[SIDECARSET_HASH_ANNOTATION]);
  assert.equal(afterSet.status?.latestRevision, beforeSet.status?.latestRevision, "no new ControllerRevision");

  // And it still rolls out when changed.
  await setSidecarImage(env(), name, V2);
  const upgraded = await waitForAppPods(env(), name, name, 3, (p) => specImage(p) === V2 && runsSpecImage(p));
  assert.deepEqual(upgraded.map((p) => p.metadata?.name).sort(), pods.map((p) => p.metadata?.name).sort());
});

test("a SidecarSet OpenKruise stored as v1beta1, and the pods it injected, are taken over with no rollout", async () => {
  const name = "kruise-takeover";
  await createNamespace(env().clients, name);
  // OpenKruise's state: the SidecarSet as its defaulting stored it, hash
  // annotations included (bit-compatible with ours)...
  const submitted = betaSidecarSet(name, name, V1, { customVersion: "kruise-1", updateStrategy: { maxUnavailable: 3 } });
  const defaulted = defaultSidecarSet(convertSidecarSet(submitted, "v1alpha1") as unknown as SidecarSet);
  // ...and pods its webhook injected, created before this manager knows the SidecarSet.
  for (let i = 0; i < 3; i++) {
    const pod: Pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: `${name}-${i}`, namespace: name, labels: { app: name } },
      spec: { containers: [{ name: "app", image: "registry.local/app:1" }], terminationGracePeriodSeconds: 1 },
    };
    const injected = injectPod({ pod, sidecarSets: [defaulted], namespaceLabels: () => ({ [NAME_LABEL]: name }), revisions: [], now: new Date(), random: Math.random });
    assert.equal(injected.kind, "injected");
    if (injected.kind !== "injected") return;
    await rawRequest(env().clients.kc, "POST", `/api/v1/namespaces/${name}/pods`, injected.pod);
  }
  const pods = await waitForAppPods(env(), name, name, 3);
  const before = podState(pods);

  await rawRequest(env().clients.kc, "POST", BETA_SIDECARSETS, convertSidecarSet(defaulted as unknown as Record<string, unknown>, "v1beta1"));
  await waitForStatus(env(), name, { matchedPods: 3, updatedPods: 3, readyPods: 3, updatedReadyPods: 3 });
  await awaitTwoReconciles(env(), name);
  assert.deepEqual(podState(await activePods(env(), name, name)), before, "the pods are adopted as they are");
  assert.equal((await getSidecarSet(env(), name)).status?.notInjectedPods, 0);

  // Adopted: a new image reaches them in place.
  await setSidecarImage(env(), name, V2);
  const upgraded = await waitForAppPods(env(), name, name, 3, (p) => specImage(p) === V2 && runsSpecImage(p));
  assert.deepEqual(podState(upgraded).map((p) => (p as { uid: string }).uid), (before as { uid: string }[]).map((p) => p.uid));
});

/** `sidecarset preflight` against the test cluster: exit code and output. */
async function preflight(): Promise<{ code: number; stdout: string }> {
  const args = ["preflight", "--kubeconfig", env().cluster.kubeconfigPath, "--namespace", MANAGER_NAMESPACE, "--webhook-host", "127.0.0.1", "--webhook-port", String(env().webhookPort)];
  try {
    const { stdout } = await promisify(execFile)(process.execPath, cliNodeArgs(args), { cwd: REPO_ROOT });
    return { code: 0, stdout };
  } catch (e) {
    const failed = e as { code?: number; stdout?: string; stderr?: string };
    assert.equal(failed.stderr ?? "", "", "preflight itself did not fail");
    return { code: failed.code ?? -1, stdout: failed.stdout ?? "" };
  }
}

const KRUISE_SERVICE = { name: "kruise-webhook-service", namespace: "kruise-system", port: 443 };
const KRUISE_COMMON = { sideEffects: "None", admissionReviewVersions: ["v1"], failurePolicy: "Fail" };

/** One of OpenKruise's SidecarSet webhooks. */
function kruiseSidecarSetWebhook(name: string, path: string): Record<string, unknown> {
  return {
    name,
    clientConfig: { service: { ...KRUISE_SERVICE, path } },
    rules: [{ apiGroups: ["apps.kruise.io"], apiVersions: ["v1alpha1", "v1beta1"], resources: ["sidecarsets"], operations: ["CREATE", "UPDATE"] }],
    ...KRUISE_COMMON,
  };
}

test("preflight names another SidecarSet manager's webhooks and CRD conversion; after the steps it gives, nothing is in the way", async () => {
  assert.deepEqual(await preflight(), { code: 0, stdout: "ok: nothing stands in the way of this manager\n" });

  // OpenKruise's objects, as data: its webhook configurations and its CRD's conversion.
  await applyYaml(env().clients, JSON.stringify({
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "MutatingWebhookConfiguration",
    metadata: { name: "kruise-mutating-webhook-configuration" },
    webhooks: [
      {
        name: "mpod.kb.io",
        clientConfig: { service: { ...KRUISE_SERVICE, path: "/mutate-pod" } },
        rules: [{ apiGroups: [""], apiVersions: ["v1"], resources: ["pods"], operations: ["CREATE"] }],
        namespaceSelector: { matchExpressions: [{ key: NAME_LABEL, operator: "NotIn", values: ["kube-system", "kruise-system"] }] },
        ...KRUISE_COMMON,
      },
      kruiseSidecarSetWebhook("msidecarset.kb.io", "/mutate-apps-kruise-io-v1alpha1-sidecarset"),
    ],
  }));
  await applyYaml(env().clients, JSON.stringify({
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingWebhookConfiguration",
    metadata: { name: "kruise-validating-webhook-configuration" },
    webhooks: [kruiseSidecarSetWebhook("vsidecarset.kb.io", "/validate-apps-kruise-io-v1alpha1-sidecarset")],
  }));
  await rawRequest(env().clients.kc, "PATCH", CRD_PATH, [
    { op: "replace", path: "/spec/conversion", value: { strategy: "Webhook", webhook: { conversionReviewVersions: ["v1"], clientConfig: { service: { ...KRUISE_SERVICE, path: "/convert" } } } } },
  ], "application/json-patch+json");

  const probePod = { apiVersion: "v1", kind: "Pod", metadata: { generateName: "preflight-", labels: { app: "preflight" } }, spec: { containers: [{ name: "app", image: "registry.local/app:1" }] } };
  const refused = await rawRequest(env().clients.kc, "POST", "/api/v1/namespaces/kruise-takeover/pods", probePod).then(() => undefined, (e: unknown) => e);
  assert.ok(refused, "OpenKruise's pod webhook, with its manager gone, refuses new pods");

  const found = await preflight();
  assert.equal(found.code, 1);
  assert.match(found.stdout, /MutatingWebhookConfiguration kruise-mutating-webhook-configuration: webhook msidecarset\.kb\.io admits SidecarSets .*; webhook mpod\.kb\.io fails closed/);
  assert.match(found.stdout, /fix: remove that manager and kubectl delete mutatingwebhookconfiguration kruise-mutating-webhook-configuration/);
  assert.match(found.stdout, /ValidatingWebhookConfiguration kruise-validating-webhook-configuration: webhook vsidecarset\.kb\.io/);
  assert.match(found.stdout, /CustomResourceDefinition sidecarsets\.apps\.kruise\.io: converts through service kruise-system\/kruise-webhook-service\/convert, not this manager/);

  // The steps it gives: the other manager's configurations go, this release's CRD is applied, the manager restarts.
  await rawRequest(env().clients.kc, "DELETE", "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/kruise-mutating-webhook-configuration");
  await rawRequest(env().clients.kc, "DELETE", "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/kruise-validating-webhook-configuration");
  await applyYaml(env().clients, await env().cli(["manifests", "--only", "crd", "--webhook-host", "127.0.0.1", "--webhook-port", String(env().webhookPort)]));
  await env().restartManager();

  assert.deepEqual(await preflight(), { code: 0, stdout: "ok: nothing stands in the way of this manager\n" });
  await waitFor("SidecarSets stored as v1beta1 to be read as v1alpha1 through this manager", async () => {
    try {
      return (await rawRequest<{ items: unknown[] }>(env().clients.kc, "GET", ALPHA_PATH)).items.length > 0;
    } catch (e) {
      if (apiErrorCode(e) === 429 || apiErrorCode(e) === 500 || apiErrorCode(e) === 503) return false;
      throw e;
    }
  });
  const created = await rawRequest<Pod>(env().clients.kc, "POST", "/api/v1/namespaces/kruise-takeover/pods", probePod);
  await rawRequest(env().clients.kc, "DELETE", `/api/v1/namespaces/kruise-takeover/pods/${created.metadata?.name}`);
});

test("a second replica starting (pointing the conversion webhook at itself) leaves both versions writable", async (t) => {
  const replica = await env().startReplica(["--leader-elect"]);
  t.after(() => replica.stop());
  await waitFor("the CRD conversion webhook to point at the second replica", async () => {
    const crd = await rawRequest<{ spec: { conversion?: { webhook?: { clientConfig?: { url?: string } } } } }>(env().clients.kc, "GET", CRD_PATH);
    return new URL(crd.spec.conversion?.webhook?.clientConfig?.url ?? "https://x/").port === String(replica.webhookPort);
  });
  const created = await waitFor("a v1alpha1 SidecarSet to be written through conversion", async () => {
    try {
      return await rawRequest<AnySidecarSet>(env().clients.kc, "POST", ALPHA_PATH, {
        apiVersion: "apps.kruise.io/v1alpha1",
        kind: "SidecarSet",
        metadata: { name: "after-replica" },
        spec: { namespace: "after-replica", selector: { matchLabels: { app: "after-replica" } }, containers: [{ name: "agent", image: V1 }] },
      });
    } catch (e) {
      t.diagnostic(`refused: ${String(e).slice(0, 300)}`);
      return undefined;
    }
  }, { timeoutMs: 30_000, intervalMs: 1_000 });
  assert.equal(created.apiVersion, "apps.kruise.io/v1alpha1");
  assert.equal((await read(BETA_SIDECARSETS, "after-replica")).spec.namespaceSelector !== undefined, true);
  await rawRequest(env().clients.kc, "DELETE", `${ALPHA_PATH}/after-replica`);
});
