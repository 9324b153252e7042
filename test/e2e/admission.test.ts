// The admission webhooks as the real API server calls them: validation
// errors with field paths, defaulting and the hash annotations, malformed
// AdmissionReviews sent straight to the webhook port, and the metrics.
import assert from "node:assert/strict";
import { request as httpsRequest } from "node:https";
import { test } from "node:test";
import type { Pod } from "../../src/api/kube-types.js";
import { createNamespace, useEnvironment, waitFor } from "../support/environment.js";
import { KubeRequestError, rawRequest } from "../support/kube.js";
import { ALERT_RULES } from "../../src/manifests/alerts.js";
import { metricValue, scrapeMetrics } from "../support/prometheus-text.js";
import { histogramOfSeries, parseExpression } from "../support/promql.js";
import { resolvePromtool, runPromtool } from "../support/promtool.js";
import { connectionsFromOthersTo } from "../support/tcp-connections.js";
import {
  createSidecarSet,
  getSidecarSet,
  patchSidecarSet,
  postSidecarSet,
  SIDECARSETS,
  sidecarSetObject,
  type SidecarSetObject,
} from "../support/sidecarsets.js";

const HASH = "kruise.io/sidecarset-hash";
const HASH_WITHOUT_IMAGE = "kruise.io/sidecarset-hash-without-image";
const WEBHOOK_PATHS = ["/mutate-pod", "/mutate-apps-kruise-io-sidecarset", "/validate-apps-kruise-io-sidecarset"];

const env = useEnvironment();

interface Status {
  code: number;
  reason?: string;
  message: string;
  details?: { causes?: { field: string; message: string }[] };
}

/** The Status the API server answered a request with that must fail. */
async function failure(request: Promise<unknown>): Promise<Status> {
  const err = await request.then(
    () => assert.fail("the request was accepted"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof KubeRequestError, String(err));
  return JSON.parse(err.body) as Status;
}

test("an invalid SidecarSet is rejected by the API server with every problem at once, each with its field path", async () => {
  const status = await failure(
    postSidecarSet(env(), "many-problems", {
      namespace: "team-a",
      namespaceSelector: { matchLabels: { env: "prod" } },
      selector: { matchLabels: { app: "web" } },
      updateStrategy: { partition: "abc", maxUnavailable: "ten%" },
      containers: [{ name: "Bad_Name", image: "registry.local/agent:1" }],
    }),
  );
  assert.equal(status.code, 422);
  assert.equal(status.reason, "Invalid");
  assert.match(status.message, /^admission webhook "validate-sidecarset\.sidecarset\.kruise\.io" denied the request: SidecarSet\.apps\.kruise\.io "many-problems" is invalid: \[/);
  const fields = (status.details?.causes ?? []).map((c) => c.field).sort();
  assert.deepEqual(fields, ["spec.containers[0].name", "spec.namespaceSelector", "spec.updateStrategy.maxUnavailable", "spec.updateStrategy.partition"], status.message);
  assert.match(status.message, /spec\.updateStrategy\.partition: [^,]*"abc"/);
  assert.match(status.message, /spec\.namespaceSelector: cannot be combined with spec\.namespace/);
  await failure(getSidecarSet(env(), "many-problems"));
});

test("a wrongly shaped field (matchLabels given as a list) is rejected with our message, together with the object's other errors (E13)", async () => {
  const status = await failure(
    postSidecarSet(env(), "list-labels", {
      namespace: "team-a",
      namespaceSelector: { matchLabels: { env: "prod" } },
      selector: { matchLabels: ["app", "web"] },
      containers: [{ name: "agent", image: "registry.local/agent:1" }],
    }),
  );
  assert.equal(status.code, 422, status.message);
  assert.match(status.message, /spec\.selector\.matchLabels: must be a map of label key to string value, got a list/);
  assert.match(status.message, /spec\.namespaceSelector: cannot be combined with spec\.namespace/);
  assert.deepEqual((status.details?.causes ?? []).map((c) => c.field).sort(), ["spec.namespaceSelector", "spec.selector.matchLabels"]);
});

test("adding a container on UPDATE is rejected with the E11 message and the stored object is unchanged", async () => {
  await postSidecarSet(env(), "grow", {
    selector: { matchLabels: { app: "grow" } },
    containers: [{ name: "a", image: "registry.local/a:1" }],
  });
  const grow = (containers: Record<string, unknown>[]) => patchSidecarSet(env(), "grow", { spec: { containers } });

  const status = await failure(grow([{ name: "a", image: "registry.local/a:1" }, { name: "b", image: "registry.local/b:1" }]));
  assert.equal(status.code, 422);
  assert.deepEqual(status.details?.causes?.map((c) => c.field), ["spec.containers[1].name"]);
  assert.match(
    status.message,
    /spec\.containers\[1\]\.name: container "b" does not exist in the current SidecarSet; containers cannot be added or renamed after creation \(removing is allowed\)/,
  );
  assert.deepEqual((await getSidecarSet(env(), "grow")).spec.containers?.map((c) => c.name), ["a"]);

  // Renaming is adding under another name; an image change is an ordinary update.
  const renamed = await failure(grow([{ name: "c", image: "registry.local/a:1" }]));
  assert.deepEqual(renamed.details?.causes?.map((c) => c.field), ["spec.containers[0].name"]);
  await grow([{ name: "a", image: "registry.local/a:2" }]);
  assert.equal((await getSidecarSet(env(), "grow")).spec.containers?.[0]?.image, "registry.local/a:2");
});

test("the defaulting webhook stores the defaulted spec and both hash annotations, equal to `sidecarset defaults` and `sidecarset hash`", async () => {
  const submitted = sidecarSetObject(
    "defaulted",
    {
      selector: { matchLabels: { app: "defaulted" } },
      initContainers: [{ name: "setup", image: "registry.local/setup" }],
      containers: [
        {
          name: "agent",
          image: "registry.local/agent:1.2",
          ports: [{ containerPort: 9090 }],
          resources: { requests: { cpu: "0.1", memory: "1.5Gi" }, limits: { memory: "2048Mi" } },
          env: [{ name: "NODE", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } }],
          readinessProbe: { httpGet: { port: 9090 } },
        },
      ],
      volumes: [{ name: "certs", secret: { secretName: "agent-certs" } }, { name: "scratch" }],
    },
    { [HASH]: "set-by-the-user" },
  );
  await rawRequest(env().clients.kc, "POST", SIDECARSETS, submitted);
  const stored = await getSidecarSet(env(), "defaulted");

  const expected = JSON.parse(await env().cli(["defaults", "-f", "-", "-o", "json"], JSON.stringify(submitted))) as SidecarSetObject;
  assert.deepEqual(stored.spec, expected.spec, "the stored spec is what `sidecarset defaults` prints");
  assert.equal(stored.metadata.annotations?.[HASH], expected.metadata.annotations?.[HASH]);
  assert.equal(stored.metadata.annotations?.[HASH_WITHOUT_IMAGE], expected.metadata.annotations?.[HASH_WITHOUT_IMAGE]);
  assert.match(stored.metadata.annotations?.[HASH] ?? "", /^[bcdfghjklmnpqrstvwxz2456789]{64}$/, "a user value is overwritten");

  // Spot checks that do not depend on the CLI agreeing with itself.
  const strategy = stored.spec.updateStrategy as Record<string, unknown>;
  assert.deepEqual(strategy, { type: "RollingUpdate", maxUnavailable: 1, partition: 0 });
  assert.equal(stored.spec.revisionHistoryLimit, 10);
  const agent = stored.spec.containers![0] as Record<string, any>;
  assert.equal(agent.imagePullPolicy, "IfNotPresent");
  assert.deepEqual(agent.resources, { requests: { cpu: "100m", memory: "1536Mi" }, limits: { memory: "2Gi" } });
  assert.equal(agent.ports[0].protocol, "TCP");
  assert.equal(agent.env[0].valueFrom.fieldRef.apiVersion, "v1");
  assert.deepEqual(
    [agent.readinessProbe.httpGet.path, agent.readinessProbe.httpGet.scheme, agent.readinessProbe.timeoutSeconds, agent.readinessProbe.periodSeconds],
    ["/", "HTTP", 1, 10],
  );
  const initContainer = (stored.spec.initContainers as Record<string, unknown>[])[0]!;
  assert.deepEqual([initContainer.imagePullPolicy, initContainer.podInjectPolicy], ["Always", "AfterAppContainer"]);
  const volumes = stored.spec.volumes as Record<string, any>[];
  assert.equal(volumes[0]!.secret.defaultMode, 420);
  assert.deepEqual(volumes[1]!.emptyDir, {});

  // One `hash` run over both the CLI's defaulted object and the stored one.
  const hashes = JSON.parse(await env().cli(["hash", "-f", "-", "-o", "json"], `${JSON.stringify(expected)}\n---\n${JSON.stringify(stored)}`)) as unknown[];
  const annotated = { name: "defaulted", hash: stored.metadata.annotations?.[HASH], hashWithoutImage: stored.metadata.annotations?.[HASH_WITHOUT_IMAGE] };
  assert.deepEqual(hashes, [annotated, annotated], "`sidecarset hash` of the defaulted and of the stored object gives the stored annotations");

  // Re-submitting the stored object changes nothing: defaulting is idempotent.
  // (The controller writes status meanwhile, so a conflict means: read again.)
  await waitFor("the stored object to be replaced as read", async () => {
    const latest = await getSidecarSet(env(), "defaulted");
    try {
      await rawRequest(env().clients.kc, "PUT", `${SIDECARSETS}/defaulted`, { ...latest, spec: stored.spec });
      return true;
    } catch (e) {
      if (e instanceof KubeRequestError && e.status === 409) return false;
      throw e;
    }
  });
  const again = await getSidecarSet(env(), "defaulted");
  assert.deepEqual(again.spec, stored.spec);
  assert.equal(again.metadata.generation, stored.metadata.generation);
});

interface Reply {
  status: number;
  body: string;
}

/** One request straight to the manager's webhook port, past the API server. */
function webhookRequest(path: string, body: Buffer | string, headers: Record<string, string | number> = {}, chunked = false): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = typeof body === "string" ? Buffer.from(body) : body;
    let answered = false;
    const req = httpsRequest(
      {
        host: "127.0.0.1",
        port: env().webhookPort,
        path,
        method: "POST",
        rejectUnauthorized: false,
        agent: false,
        headers: { "content-type": "application/json", ...(chunked ? {} : { "content-length": payload.length }), ...headers },
      },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    // The server may answer (413) and close before the whole body is sent.
    req.on("error", (e) => {
      if (!answered) reject(e);
    });
    req.setTimeout(15_000, () => req.destroy(new Error(`no answer from ${path} within 15s`)));
    if (chunked) {
      for (let i = 0; i < payload.length; i += 64 * 1024) req.write(payload.subarray(i, i + 64 * 1024));
      req.end();
    } else req.end(payload);
  });
}

function review(request: Record<string, unknown>): string {
  return JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request });
}

const podRequest = {
  uid: "0f4c9d2e-0000-4000-8000-000000000001",
  kind: { group: "", version: "v1", kind: "Pod" },
  resource: { group: "", version: "v1", resource: "pods" },
  namespace: "default",
  operation: "CREATE",
  userInfo: { username: "tester" },
  object: { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "default" }, spec: { containers: [{ name: "app", image: "app:1" }] } },
};

function assertStatusBody(reply: Reply, code: number, message: RegExp): void {
  assert.equal(reply.status, code, reply.body);
  const body = JSON.parse(reply.body) as { kind: string; code: number; message: string };
  assert.equal(body.kind, "Status");
  assert.equal(body.code, code);
  assert.match(body.message, message);
}

function assertDenied(reply: Reply, uid: string, message: RegExp): void {
  assert.equal(reply.status, 200, reply.body);
  const body = JSON.parse(reply.body) as { kind: string; response: { uid: string; allowed: boolean; status?: { code: number; message: string } } };
  assert.equal(body.kind, "AdmissionReview");
  assert.equal(body.response.uid, uid);
  assert.equal(body.response.allowed, false);
  assert.ok((body.response.status?.code ?? 0) >= 400, reply.body);
  assert.match(body.response.status?.message ?? "", message);
}

test("malformed AdmissionReviews sent to the webhook port get an error answer, and the manager keeps injecting afterwards", async () => {
  for (const path of WEBHOOK_PATHS) {
    assertStatusBody(await webhookRequest(path, '{"apiVersion": "admission.k8s.io/v1", "kind": '), 400, /not valid JSON/);
    assertStatusBody(await webhookRequest(path, review(podRequest), { "content-type": "text/plain" }), 415, /text\/plain/);
    const { uid: _uid, ...withoutUid } = podRequest;
    assertStatusBody(await webhookRequest(path, review(withoutUid)), 400, /request\.uid/);
    assertStatusBody(await webhookRequest(path, JSON.stringify({ apiVersion: "v1", kind: "Pod" })), 400, /AdmissionReview/);
    const wrongKind = {
      ...podRequest,
      uid: `wrong-kind${path}`,
      kind: { group: "apps", version: "v1", kind: "Deployment" },
      resource: { group: "apps", version: "v1", resource: "deployments" },
      object: { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d" } },
    };
    assertDenied(await webhookRequest(path, review(wrongKind)), `wrong-kind${path}`, /Deployment/);
  }
  assertStatusBody(await webhookRequest("/no-such-webhook", review(podRequest)), 404, /no webhook/);

  const ready = await fetch(`http://127.0.0.1:${env().metricsPort}/readyz`);
  assert.equal(ready.status, 200, "still ready");
  await createNamespace(env().clients, "after-malformed");
  await createSidecarSet(env(), "after-malformed", {
    namespace: "after-malformed",
    selector: { matchLabels: { app: "after-malformed" } },
    containers: [{ name: "agent", image: "registry.local/agent:1" }],
  });
  const pod = await rawRequest<Pod>(env().clients.kc, "POST", "/api/v1/namespaces/after-malformed/pods", {
    metadata: { name: "p", labels: { app: "after-malformed" } },
    spec: { containers: [{ name: "app", image: "registry.local/app:1" }] },
  });
  assert.deepEqual(pod.spec?.containers.map((c) => c.name), ["agent", "app"], "a real pod is still injected");
});

test("a 4 MiB AdmissionReview gets HTTP 413, whether its length is declared or it is sent chunked, and the manager keeps serving", async () => {
  const fourMiB = Buffer.alloc(4 * 1024 * 1024, 0x20);
  fourMiB.write(review(podRequest));
  for (const path of WEBHOOK_PATHS) {
    assertStatusBody(await webhookRequest(path, fourMiB), 413, /exceeds the limit/);
    assertStatusBody(await webhookRequest(path, fourMiB, {}, true), 413, /exceeds the limit/);
  }
  const { status, body } = await webhookRequest("/mutate-pod", review(podRequest));
  assert.equal(status, 200, body);
  assert.equal((JSON.parse(body) as { response: { allowed: boolean } }).response.allowed, true, "a pod no SidecarSet selects is allowed");
});

/** The value of one series in the manager's metrics, 0 when absent. */
const sample = (metrics: string, name: string, labels: Record<string, string>): number => metricValue(metrics, name, labels) ?? 0;
const scrape = () => scrapeMetrics(env().metricsPort);

test("every metric of the manager that the alerting rules read is on its /metrics", async () => {
  const declared = new Set([...(await scrape()).matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
  // The API server's own count is read from the API server (faults-webhook.test.ts).
  const read = ALERT_RULES.flatMap((r) => [...parseExpression(r.expr).selectors.keys()]).filter((name) => !name.startsWith("apiserver_"));
  assert.ok(read.length >= 10, `the rules read ${read.length} metrics of the manager`);
  for (const series of read) {
    const metric = declared.has(series) ? series : (histogramOfSeries(series)?.histogram ?? series);
    assert.ok(declared.has(metric), `${series}, which an alert reads, is not on the manager's /metrics`);
  }
});

test("/metrics exposes the webhook latency histogram per webhook and sidecarset_injections_total per SidecarSet", async () => {
  const before = await scrape();
  const podLatencyBefore = sample(before, "controller_runtime_webhook_latency_seconds_count", { webhook: "/mutate-pod" });

  await createNamespace(env().clients, "metrics");
  await createSidecarSet(env(), "metrics", {
    namespace: "metrics",
    selector: { matchLabels: { app: "metrics" } },
    containers: [{ name: "agent", image: "registry.local/agent:1" }],
  });
  for (const name of ["p0", "p1"]) {
    await rawRequest(env().clients.kc, "POST", "/api/v1/namespaces/metrics/pods", {
      metadata: { name, labels: { app: "metrics" } },
      spec: { containers: [{ name: "app", image: "registry.local/app:1" }] },
    });
  }
  // A dry run goes through the webhook but creates no pod: not an injection.
  await rawRequest(env().clients.kc, "POST", "/api/v1/namespaces/metrics/pods?dryRun=All", {
    metadata: { name: "dry", labels: { app: "metrics" } },
    spec: { containers: [{ name: "app", image: "registry.local/app:1" }] },
  });

  const metrics = await scrape();
  assert.match(metrics, /^# TYPE controller_runtime_webhook_latency_seconds histogram$/m);
  assert.ok(
    sample(metrics, "controller_runtime_webhook_latency_seconds_count", { webhook: "/mutate-pod" }) >= podLatencyBefore + 3,
    "three pod admissions observed",
  );
  assert.ok(sample(metrics, "controller_runtime_webhook_latency_seconds_bucket", { webhook: "/mutate-pod", le: "+Inf" }) >= 3);
  for (const path of ["/mutate-apps-kruise-io-sidecarset", "/validate-apps-kruise-io-sidecarset"]) {
    assert.ok(sample(metrics, "controller_runtime_webhook_latency_seconds_count", { webhook: path }) >= 1, `${path} observed`);
  }
  assert.ok(sample(metrics, "controller_runtime_webhook_requests_total", { webhook: "/mutate-pod", code: "200" }) >= 3);
  assert.equal(sample(metrics, "sidecarset_injections_total", { sidecarset: "metrics" }), 2);
});

test("/metrics carries kruise-state-metrics' SidecarSet series and controller-runtime's series under OpenKruise's controller name", async () => {
  await createNamespace(env().clients, "kruise-metrics");
  await createSidecarSet(env(), "kruise-metrics", {
    namespace: "kruise-metrics",
    selector: { matchLabels: { app: "kruise-metrics" } },
    updateStrategy: { partition: "50%", maxUnavailable: 3 },
    containers: [{ name: "agent", image: "registry.local/agent:1" }],
  });
  await rawRequest(env().clients.kc, "POST", "/api/v1/namespaces/kruise-metrics/pods", {
    metadata: { name: "p0", labels: { app: "kruise-metrics" } },
    spec: { containers: [{ name: "app", image: "registry.local/app:1" }] },
  });
  const labels = { namespace: "", sidecarset: "kruise-metrics" };
  const metrics = await waitFor("kruise_sidecarset_status_replicas_matched to count the pod", async () => {
    const text = await scrape();
    return sample(text, "kruise_sidecarset_status_replicas_matched", labels) === 1 ? text : undefined;
  });
  assert.equal(sample(metrics, "kruise_sidecarset_status_replicas_updated", labels), 1);
  assert.equal(sample(metrics, "kruise_sidecarset_status_observed_generation", labels), 1);
  assert.equal(sample(metrics, "kruise_sidecarset_spec_metadata_generation", labels), 1);
  assert.equal(sample(metrics, "kruise_sidecarset_spec_strategy_rollingupdate_max_unavailable", labels), 3);
  assert.ok(sample(metrics, "kruise_sidecarset_created", labels) > 1_700_000_000);
  assert.match(metrics, /^kruise_sidecarset_spec_strategy_partition\{namespace="",sidecarset="kruise-metrics",partition="50%"\} 0$/m);
  assert.match(metrics, /^kruise_sidecarset_spec_strategy_type\{namespace="",sidecarset="kruise-metrics",strategy_type="RollingUpdate"\} 0$/m);
  assert.ok(sample(metrics, "controller_runtime_reconcile_total", { controller: "sidecarset-controller", result: "success" }) >= 1);
  assert.ok(sample(metrics, "workqueue_adds_total", { name: "sidecarset-controller" }) >= 1);
});

test("/metrics passes Prometheus's own exposition lint (promtool check metrics) once every kind of series is on it", async () => {
  // By now the tests above have put on it the webhook histograms, the per-SidecarSet series and the kruise state.
  const metrics = await scrape();
  assert.match(metrics, /^kruise_sidecarset_status_replicas_matched\{/m);
  assert.match(metrics, /^controller_runtime_webhook_latency_seconds_bucket\{/m);
  const { output } = await runPromtool(resolvePromtool(), ["check", "metrics"], metrics);
  // prom-client's default Node.js gauges carry a _total suffix; the Node.js dashboards in use read them by that name.
  const promClientNames = /^nodejs_active_(handles|requests|resources)_total non-counter metrics should not have "_total" suffix$/;
  const problems = output.split("\n").filter((line) => line.trim() !== "" && !promClientNames.test(line));
  assert.deepEqual(problems, [], `promtool check metrics found problems:\n${output}`);
});

test("the API server's connections to the webhook stay open through a quiet spell longer than 30 s, and the next pod is injected", async () => {
  const createPod = (name: string) =>
    rawRequest<Pod>(env().clients.kc, "POST", "/api/v1/namespaces/quiet/pods", {
      metadata: { name, labels: { app: "quiet" } },
      spec: { containers: [{ name: "app", image: "registry.local/app:1" }] },
    });
  await createNamespace(env().clients, "quiet");
  await createSidecarSet(env(), "quiet", {
    namespace: "quiet",
    selector: { matchLabels: { app: "quiet" } },
    containers: [{ name: "agent", image: "registry.local/agent:1" }],
  });
  await createPod("before");
  const open = connectionsFromOthersTo(env().webhookPort);
  assert.ok(open.size >= 1, "the API server called the webhook over a connection it keeps open");

  // Longer than a server-side idle timeout of 30 s, shorter than the API server's own 90 s: the client closes
  // idle connections, so the one it used last is not closed under it and no admission pays a new TLS handshake.
  // (Others it opened for earlier tests may pass its 90 s during the spell and be closed by it.)
  await new Promise((r) => setTimeout(r, 35_000));
  const stillOpen = connectionsFromOthersTo(env().webhookPort);
  const kept = [...open].filter((c) => stillOpen.has(c));
  assert.ok(kept.length >= 1, `a connection open before the quiet spell is still open after it (before: ${[...open].join(", ")}; after: ${[...stillOpen].join(", ")})`);
  const after = await createPod("after");
  assert.ok(after.spec?.containers.some((c) => c.name === "agent"), "the pod created after the quiet spell got its sidecar");
  const sidecarsetConnections = /^sidecarset_webhook_connections_total (\d+)$/m.exec(await scrape());
  assert.ok(sidecarsetConnections && Number(sidecarsetConnections[1]) >= open.size, "the accepted connections are counted in sidecarset_webhook_connections_total");
});
