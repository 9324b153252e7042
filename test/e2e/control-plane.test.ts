// Smoke tests of the test control plane itself: the real controller-manager
// makes pods, the fake kubelet runs them and restarts containers on in-place
// image changes, and the real apiserver calls a webhook over TLS.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import type { Pod } from "../../src/api/kube-types.js";
import { createLocalServingCertificate } from "../support/certs.js";
import { RESTRICTED_GROUPS, RESTRICTED_USER, startCluster, type Cluster } from "../support/cluster.js";
import { imageIdFor, isBrokenByTag, startFakeKubelet, type FakeKubelet } from "../support/fake-kubelet.js";
import {
  apiErrorCode, createNamespace, getPod, isPodReady, kubeClients, listPods, loadKubeConfig, mergePatch, rawRequest,
  recordPodEvents, waitFor, waitForPod, waitForPods, type KubeClients,
} from "../support/kube.js";

const RESTART_DELAY_MS = 1500;

let cluster: Cluster;
let kubelet: FakeKubelet;
let kube: KubeClients;

before(async () => {
  cluster = await startCluster();
  kubelet = await startFakeKubelet(cluster.kubeconfigPath, { restartDelayMs: RESTART_DELAY_MS });
  kube = kubeClients(cluster.kubeconfigPath);
}, { timeout: 180_000 });

after(async () => {
  await kubelet?.stop();
  await cluster?.stop();
});

const readyCondition = (pod: Pod) => pod.status?.conditions?.find((c) => c.type === "Ready");
const statusOf = (pod: Pod, container: string) => pod.status?.containerStatuses?.find((s) => s.name === container);

/** Replaces the image at JSON pointer `path` in a pod (a JSON Patch: nothing else changes). */
async function replaceImage(namespace: string, name: string, path: string, image: string): Promise<void> {
  await kube.core.patchNamespacedPod({ name, namespace, body: [{ op: "replace", path, value: image }] });
}

async function createDeployment(namespace: string, name: string, replicas: number, image: string): Promise<void> {
  await kube.apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name },
      spec: {
        replicas,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "app", image }] } },
      },
    },
  });
}

describe("controller-manager and fake kubelet", () => {
  test("a Deployment's pods are created by the controller-manager, bound to the fake node and made Ready", async () => {
    await createNamespace(kube, "smoke-deploy");
    await createDeployment("smoke-deploy", "web", 3, "nginx:1.25");
    const pods = await waitForPods(kube.kc, "smoke-deploy", "app=web", 3);
    for (const pod of pods) {
      assert.equal(pod.spec?.nodeName, kubelet.nodeName);
      assert.equal(pod.metadata?.ownerReferences?.[0]?.kind, "ReplicaSet");
      const app = statusOf(pod, "app");
      assert.equal(app?.image, "nginx:1.25");
      assert.equal(app?.imageID, imageIdFor("nginx:1.25"));
      assert.match(app?.imageID ?? "", /^docker-pullable:\/\/nginx@sha256:[0-9a-f]{64}$/);
      assert.deepEqual([app?.ready, app?.started, app?.restartCount], [true, true, 0]);
      assert.ok(app?.state?.running?.startedAt, "the container reports when it started");
      assert.ok(pod.status?.podIP, "the pod has an IP");
    }
    const deployment = await waitFor("the Deployment to count 3 ready replicas", async () => {
      const d = await kube.apps.readNamespacedDeployment({ name: "web", namespace: "smoke-deploy" });
      return d.status?.readyReplicas === 3 ? d : undefined;
    });
    assert.equal(deployment.status?.availableReplicas, 3);
  });

  test("an in-place image change restarts only that container: not ready meanwhile, then restartCount 1 and the new imageID", async () => {
    await createNamespace(kube, "smoke-inplace");
    await createDeployment("smoke-inplace", "web", 3, "nginx:1.25");
    const [target, ...others] = await waitForPods(kube.kc, "smoke-inplace", "app=web", 3);
    assert.ok(target?.metadata?.name && target.metadata.uid);
    const name = target.metadata.name;
    const recorder = await recordPodEvents(kube.kc, "smoke-inplace", `metadata.name=${name}`);
    try {
      await replaceImage("smoke-inplace", name, "/spec/containers/0/image", "nginx:1.26");
      const restarted = await waitFor("the container to run the new image", () => {
        const pod = recorder.events.at(-1)?.pod;
        return pod && statusOf(pod, "app")?.imageID === imageIdFor("nginx:1.26") && isPodReady(pod) ? pod : undefined;
      });
      const app = statusOf(restarted, "app");
      assert.deepEqual([app?.image, app?.restartCount, app?.ready, app?.started], ["nginx:1.26", 1, true, true]);
      assert.equal(app?.lastState?.terminated?.reason, "Completed");
      assert.equal(restarted.metadata?.uid, target.metadata.uid, "the pod was not recreated");

      const during = recorder.events.map((e) => e.pod).find((p) => readyCondition(p)?.status === "False");
      assert.ok(during, "the pod was reported not ready while its container restarted");
      const old = statusOf(during, "app");
      assert.deepEqual([old?.image, old?.imageID, old?.ready, old?.restartCount], ["nginx:1.25", imageIdFor("nginx:1.25"), false, 0]);
      assert.equal(readyCondition(during)?.reason, "ContainersNotReady");
    } finally {
      recorder.stop();
    }
    for (const other of others) {
      const now = await getPod(kube.kc, "smoke-inplace", other.metadata?.name ?? "");
      assert.equal(statusOf(now, "app")?.restartCount, 0, "other pods keep running");
    }
  });

  test("a container whose image is marked broken runs the new image but never becomes ready", async () => {
    await createNamespace(kube, "smoke-broken");
    await createDeployment("smoke-broken", "web", 1, "nginx:1.25");
    const [pod] = await waitForPods(kube.kc, "smoke-broken", "app=web", 1);
    const name = pod?.metadata?.name ?? "";
    await replaceImage("smoke-broken", name, "/spec/containers/0/image", "nginx:1.26-broken");
    const after = await waitForPod(
      kube.kc,
      "smoke-broken",
      name,
      (p) => statusOf(p, "app")?.imageID === imageIdFor("nginx:1.26-broken"),
      "the broken image to be running",
    );
    const app = statusOf(after, "app");
    assert.deepEqual([app?.restartCount, app?.started, app?.ready], [1, true, false]);
    assert.equal(readyCondition(after)?.status, "False");
  });

  test("a readiness gate keeps a pod unready until its condition is True", async () => {
    await createNamespace(kube, "smoke-gate");
    await kube.core.createNamespacedPod({
      namespace: "smoke-gate",
      body: {
        metadata: { name: "gated" },
        spec: { readinessGates: [{ conditionType: "example.com/gate" }], containers: [{ name: "app", image: "nginx:1.25" }] },
      },
    });
    const blocked = await waitForPod(kube.kc, "smoke-gate", "gated", (p) => statusOf(p, "app")?.ready === true, "the containers to be ready");
    assert.equal(readyCondition(blocked)?.status, "False");
    assert.equal(readyCondition(blocked)?.reason, "ReadinessGatesNotReady");
    assert.equal(blocked.status?.conditions?.find((c) => c.type === "ContainersReady")?.status, "True");

    await kube.core.patchNamespacedPodStatus(
      { name: "gated", namespace: "smoke-gate", body: { status: { conditions: [{ type: "example.com/gate", status: "True" }] } } },
      mergePatch(),
    );
    const ready = await waitForPod(kube.kc, "smoke-gate", "gated", isPodReady, "the gated pod to become Ready");
    assert.ok(ready.status?.conditions?.some((c) => c.type === "example.com/gate" && c.status === "True"), "the gate's condition is kept");
    assert.equal(readyCondition(ready)?.reason, undefined, "a condition that holds carries no stale reason");
  });

  test("init containers complete and a native sidecar (restartPolicy Always) runs and is restarted in place like a container", async () => {
    await createNamespace(kube, "smoke-init");
    await kube.core.createNamespacedPod({
      namespace: "smoke-init",
      body: {
        metadata: { name: "with-init" },
        spec: {
          initContainers: [{ name: "setup", image: "busybox:1.36" }, { name: "proxy", image: "proxy:1.0", restartPolicy: "Always" }],
          containers: [{ name: "app", image: "nginx:1.25" }],
        },
      },
    });
    const running = await waitForPod(kube.kc, "smoke-init", "with-init", isPodReady, "the pod to be Ready");
    const init = (n: string, p: Pod) => p.status?.initContainerStatuses?.find((s) => s.name === n);
    assert.equal(init("setup", running)?.state?.terminated?.reason, "Completed");
    assert.deepEqual([init("proxy", running)?.ready, init("proxy", running)?.started], [true, true]);
    assert.ok(init("proxy", running)?.state?.running, "the native sidecar keeps running");

    await replaceImage("smoke-init", "with-init", "/spec/initContainers/1/image", "proxy:1.1");
    const restarted = await waitForPod(
      kube.kc,
      "smoke-init",
      "with-init",
      (p) => init("proxy", p)?.imageID === imageIdFor("proxy:1.1") && isPodReady(p),
      "the native sidecar to run the new image",
    );
    assert.equal(init("proxy", restarted)?.restartCount, 1);
    assert.equal(init("setup", restarted)?.restartCount, 0, "completed init containers do not run again");
  });

  test("deleting a Deployment removes its pods: the fake kubelet confirms the deletion", async () => {
    await createNamespace(kube, "smoke-delete");
    await createDeployment("smoke-delete", "web", 2, "nginx:1.25");
    await waitForPods(kube.kc, "smoke-delete", "app=web", 2);
    await kube.apps.deleteNamespacedDeployment({ name: "web", namespace: "smoke-delete", propagationPolicy: "Foreground" });
    await waitFor("the pods to be gone", async () => ((await listPods(kube.kc, "smoke-delete")).length === 0 ? true : undefined));
  });
});

describe("fake kubelet replacement", () => {
  test("a replacement fake kubelet adopts running pods: restart counts and imageIDs carry on", async () => {
    await createNamespace(kube, "smoke-adopt");
    await createDeployment("smoke-adopt", "web", 1, "nginx:1.25");
    const [pod] = await waitForPods(kube.kc, "smoke-adopt", "app=web", 1);
    const name = pod?.metadata?.name ?? "";
    const startedAt = statusOf(pod!, "app")?.state?.running?.startedAt;
    await kubelet.stop();
    kubelet = await startFakeKubelet(cluster.kubeconfigPath, { restartDelayMs: RESTART_DELAY_MS });
    await replaceImage("smoke-adopt", name, "/spec/containers/0/image", "nginx:1.26");
    const restarted = await waitForPod(
      kube.kc,
      "smoke-adopt",
      name,
      (p) => statusOf(p, "app")?.imageID === imageIdFor("nginx:1.26") && isPodReady(p),
      "the adopted pod's container to restart",
    );
    const app = statusOf(restarted, "app");
    assert.equal(app?.restartCount, 1);
    assert.equal(app?.lastState?.terminated?.startedAt, startedAt, "the previous container is the one the first kubelet started");
  });
});

describe("fake kubelet image identity", () => {
  const sha = (text: string) => createHash("sha256").update(text).digest("hex");
  const cases: { name: string; image: string; imageID: string; broken: boolean }[] = [
    { name: "a tag is replaced by a digest of the image string", image: "nginx:1.25", imageID: `docker-pullable://nginx@sha256:${sha("nginx:1.25")}`, broken: false },
    { name: "a registry port is part of the repository, not a tag", image: "reg:5000/team/app", imageID: `docker-pullable://reg:5000/team/app@sha256:${sha("reg:5000/team/app")}`, broken: false },
    { name: "a digest image reports its own digest", image: "side@sha256:" + "a".repeat(64), imageID: "docker-pullable://side@sha256:" + "a".repeat(64), broken: false },
    { name: "a tag and digest report the digest under the bare repository", image: "side:v2@sha256:" + "b".repeat(64), imageID: "docker-pullable://side@sha256:" + "b".repeat(64), broken: false },
    { name: "a tag ending in -broken never becomes ready", image: "reg:5000/side:v2-broken", imageID: `docker-pullable://reg:5000/side@sha256:${sha("reg:5000/side:v2-broken")}`, broken: true },
    { name: "-broken in the repository name is not a broken tag", image: "side-broken:v1", imageID: `docker-pullable://side-broken@sha256:${sha("side-broken:v1")}`, broken: false },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.equal(imageIdFor(c.image), c.imageID);
      assert.equal(isBrokenByTag(c.image), c.broken);
    });
  }
});

describe("cluster access", () => {
  test("the restricted kubeconfig authenticates as the manager's ServiceAccount user and has no rights until RBAC grants them", async () => {
    const restricted = loadKubeConfig(cluster.restrictedKubeconfigPath);
    const review = await rawRequest<{ status: { userInfo: { username: string; groups: string[] } } }>(
      restricted, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews",
      { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" },
    );
    assert.equal(review.status.userInfo.username, RESTRICTED_USER);
    for (const group of RESTRICTED_GROUPS) assert.ok(review.status.userInfo.groups.includes(group), `member of ${group}`);
    const denied = await rawRequest(restricted, "GET", "/api/v1/pods").then(() => undefined, (err: unknown) => apiErrorCode(err));
    assert.equal(denied, 403);
  });
});

describe("admission webhooks", () => {
  let server: Server | undefined;
  after(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  test("the apiserver calls a mutating webhook on 127.0.0.1 over TLS with a caBundle and applies its patch", async () => {
    const tls = await createLocalServingCertificate();
    const seen: { operation: string; kind: string; dryRun: boolean }[] = [];
    server = createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString("utf8")));
      req.on("end", () => {
        const review = JSON.parse(body) as { request: { uid: string; operation: string; kind: { kind: string }; dryRun?: boolean } };
        seen.push({ operation: review.request.operation, kind: review.request.kind.kind, dryRun: review.request.dryRun ?? false });
        const patch = [{ op: "add", path: "/metadata/labels/webhook.test~1mutated", value: "true" }];
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({
          apiVersion: "admission.k8s.io/v1",
          kind: "AdmissionReview",
          response: { uid: review.request.uid, allowed: true, patchType: "JSONPatch", patch: Buffer.from(JSON.stringify(patch)).toString("base64") },
        }));
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;

    await createNamespace(kube, "smoke-webhook", { "webhook.test/enabled": "true" });
    await kube.admission.createMutatingWebhookConfiguration({
      body: {
        metadata: { name: "smoke-webhook" },
        webhooks: [{
          name: "smoke.webhook.test",
          clientConfig: { url: `https://127.0.0.1:${port}/mutate`, caBundle: Buffer.from(tls.caPem).toString("base64") },
          rules: [{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"] }],
          namespaceSelector: { matchLabels: { "webhook.test/enabled": "true" } },
          failurePolicy: "Fail",
          sideEffects: "None",
          admissionReviewVersions: ["v1"],
          timeoutSeconds: 5,
        }],
      },
    });
    const body = { metadata: { name: "mutated", labels: { app: "x" } }, spec: { containers: [{ name: "app", image: "nginx:1.25" }] } };
    // The apiserver picks up a new configuration asynchronously: dry runs show when it is live.
    await waitFor("the webhook configuration to be live", async () => {
      const dry = await kube.core.createNamespacedPod({ namespace: "smoke-webhook", body, dryRun: "All" });
      return dry.metadata?.labels?.["webhook.test/mutated"] === "true";
    });
    const created = await kube.core.createNamespacedPod({ namespace: "smoke-webhook", body });
    assert.equal(created.metadata?.labels?.["webhook.test/mutated"], "true");
    assert.equal(created.metadata?.labels?.app, "x");
    assert.ok(seen.some((s) => s.operation === "CREATE" && s.kind === "Pod" && !s.dryRun), "the webhook saw the real CREATE");
    await kube.admission.deleteMutatingWebhookConfiguration({ name: "smoke-webhook" });
  });
});
