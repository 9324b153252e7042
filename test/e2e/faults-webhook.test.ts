// Pods created while no manager answers admissions. With failurePolicy Fail
// (what `sidecarset manifests` generates) the API server refuses them and
// says why; with Ignore they start without sidecars, and once the manager is
// back the SidecarSet reports them (status.notInjectedPods and a Warning
// event). See docs/reliability.md, "Faults". A manager told to stop with
// SIGTERM keeps answering for its shutdown delay first.
import assert from "node:assert/strict";
import { request as httpsRequest } from "node:https";
import { test } from "node:test";
import type { V1MutatingWebhookConfiguration } from "@kubernetes/client-node";
import type { Pod } from "../../src/api/kube-types.js";
import { MUTATE_POD_WEBHOOK } from "../../src/manifests/webhook.js";
import { MUTATING_WEBHOOK_CONFIGURATION_NAME } from "../../src/manifests/options.js";
import { applyYaml, createNamespace, useEnvironment, waitFor, type Environment } from "../support/environment.js";
import { apiServerMetrics } from "../../bench/support/api-server-metrics.js";
import { KubeRequestError, rawRequest } from "../support/kube.js";
import { parseMetrics, sum } from "../support/prometheus-text.js";
import { SIDECAR, sidecarSetManifest } from "../support/rollout.js";
import { sidecarSetEvents, waitForObserved } from "../support/sidecarsets.js";

const env = useEnvironment();

const V1 = "registry.local/agent:1";
const CONFIG_PATH = `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${MUTATING_WEBHOOK_CONFIGURATION_NAME}`;

/** The failurePolicy of the pod webhook as installed. */
async function podFailurePolicy(e: Environment): Promise<string | undefined> {
  const config = await rawRequest<V1MutatingWebhookConfiguration>(e.clients.kc, "GET", CONFIG_PATH);
  return config.webhooks?.find((w) => w.name === MUTATE_POD_WEBHOOK)?.failurePolicy;
}

/** Sets the failurePolicy of the pod webhook, the way an operator would edit the installed configuration. */
async function setPodFailurePolicy(e: Environment, policy: "Fail" | "Ignore"): Promise<void> {
  const config = await rawRequest<V1MutatingWebhookConfiguration>(e.clients.kc, "GET", CONFIG_PATH);
  const webhooks = config.webhooks?.map((w) => (w.name === MUTATE_POD_WEBHOOK ? { ...w, failurePolicy: policy } : w));
  await rawRequest(e.clients.kc, "PUT", CONFIG_PATH, { ...config, webhooks });
}

function createPod(e: Environment, ns: string, name: string, app: string): Promise<Pod> {
  return rawRequest<Pod>(e.clients.kc, "POST", `/api/v1/namespaces/${ns}/pods`, {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels: { app } },
    spec: { containers: [{ name: "app", image: "registry.local/app:1" }], terminationGracePeriodSeconds: 1 },
  });
}

test("with the manager down, failurePolicy Fail refuses pods with a clear message; Ignore lets them start without sidecars, and the restarted manager reports them", async () => {
  const name = "webhook-down";
  const ns = name;
  await createNamespace(env().clients, ns);
  await applyYaml(env().clients, sidecarSetManifest(name, { namespace: ns, image: V1 }));
  await waitForObserved(env(), name);
  assert.equal(await podFailurePolicy(env()), "Fail", "the generated configuration refuses pods the webhook cannot see");

  await env().stopManager();

  const refused = await createPod(env(), ns, "refused", name).then(
    () => assert.fail("a pod was created while the pod webhook could not be called under failurePolicy Fail"),
    (err: unknown) => err,
  );
  assert.ok(refused instanceof KubeRequestError, String(refused));
  assert.equal(refused.status, 500);
  const status = JSON.parse(refused.body) as { reason?: string; message?: string };
  assert.equal(status.reason, "InternalError");
  assert.match(status.message ?? "", new RegExp(`failed calling webhook "${MUTATE_POD_WEBHOOK.replaceAll(".", "\\.")}"`));
  assert.match(status.message ?? "", new RegExp(`127\\.0\\.0\\.1:${env().webhookPort}/mutate-pod.*connection refused`));
  // The API server's count of it, which the alert SidecarSetWebhookUnreachable reads (docs/operations.md, "Alerts").
  const rejections = parseMetrics(await apiServerMetrics(env()), "apiserver_admission_webhook_rejection_count");
  const failedCalls = sum(rejections, (l) => l.name === MUTATE_POD_WEBHOOK && l.error_type === "calling_webhook_error");
  assert.ok(failedCalls >= 1, "the API server counts the refused pod as a failed call of the webhook");

  await setPodFailurePolicy(env(), "Ignore");
  // The API server applies a changed webhook configuration from its own watch, a moment after the write:
  // until then a pod is still refused as above (and not created, so the same name is tried again).
  const stillRefused = (err: unknown): undefined => {
    if (err instanceof KubeRequestError && err.status === 500 && err.body.includes("connection refused")) return undefined;
    throw err;
  };
  const started: Pod[] = [];
  for (const pod of ["ignored-0", "ignored-1", "ignored-2"]) {
    started.push(await waitFor(`pod ${pod} admitted under failurePolicy Ignore`, () => createPod(env(), ns, pod, name).catch(stillRefused), { timeoutMs: 30_000 }));
  }
  for (const pod of started) {
    assert.deepEqual(pod.spec?.containers.map((c) => c.name), ["app"], `${pod.metadata?.name} was created without the ${SIDECAR} sidecar`);
  }
  await waitFor("the pods without sidecars to run", async () => {
    const list = await rawRequest<{ items: Pod[] }>(env().clients.kc, "GET", `/api/v1/namespaces/${ns}/pods`);
    return list.items.length === 3 && list.items.every((p) => p.status?.phase === "Running");
  });

  await env().restartManager();
  // Pods without the sidecars are selected but not matched: they count only as not injected.
  const set = await waitFor("status.notInjectedPods to count the pods", async () => {
    const current = await waitForObserved(env(), name);
    return current.status?.notInjectedPods === 3 ? current : undefined;
  });
  assert.deepEqual(
    [set.status?.matchedPods, set.status?.updatedPods, set.status?.readyPods],
    [0, 0, 0],
    "pods without the sidecars are selected but not matched: they count only as not injected",
  );
  const [event] = await waitFor("a PodsNotInjected event", async () => {
    const events = await sidecarSetEvents(env(), name, "PodsNotInjected");
    return events.length > 0 ? events : undefined;
  });
  assert.equal(event!.type, "Warning");
  assert.match(event!.message, /^3 pod\(s\) match this SidecarSet but were created without its sidecars/);
});

test("after a SIGTERM the webhooks keep answering through the shutdown delay, reporting not ready: a pod created then still gets its sidecars", async () => {
  const name = "shutdown-delay";
  const ns = name;
  await env().restartManager(["--shutdown-delay", "10s"]);
  await createNamespace(env().clients, ns);
  await applyYaml(env().clients, sidecarSetManifest(name, { namespace: ns, image: V1 }));
  await waitForObserved(env(), name);
  assert.equal(await podFailurePolicy(env()), "Fail");

  env().signalManager("SIGTERM");
  await waitFor("the manager to report not ready after the SIGTERM", async () => {
    const res = await fetch(`http://127.0.0.1:${env().metricsPort}/readyz`).catch(() => undefined);
    return res?.status === 503 ? true : undefined;
  });
  const pod = await createPod(env(), ns, "during-the-delay", name);
  assert.deepEqual(pod.spec?.containers.map((c) => c.name).sort(), ["app", SIDECAR].sort(), "the pod created after the SIGTERM got its sidecar");
  const webhookReadyz = await new Promise<number>((resolve, reject) => {
    const req = httpsRequest({ host: "127.0.0.1", port: env().webhookPort, path: "/readyz", rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
  assert.equal(webhookReadyz, 503, "the webhook server reports not ready while it keeps answering");

  await env().restartManager();
});
