// The shell that keeps the pod webhook's matchConditions, against a stub API
// server: what it writes, how it reports an expression the API server
// refuses, and when it tells the controller a SidecarSet's pods are covered.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { SIDECARSET_COLLECTION_PATH } from "../../../src/api/storage-version.js";
import type { SidecarSet } from "../../../src/api/types.js";
import { podScope } from "../../../src/core/pod-scope/expression.js";
import { sidecarSetInformer, informerContext } from "../../../src/kube/cluster-informers.js";
import { EventRecorder, type CoreEvent } from "../../../src/kube/events.js";
import { RawKubeClient } from "../../../src/kube/raw-client.js";
import { MUTATING_WEBHOOK_CONFIGURATION_NAME } from "../../../src/manifests/options.js";
import { MUTATE_POD_WEBHOOK } from "../../../src/manifests/webhook.js";
import { SCOPE_CONDITION_NAME, type WebhookConfiguration } from "../../../src/manager/pod-webhook-conditions.js";
import { FALLBACK_EVENT_REASON, PodWebhookScope } from "../../../src/manager/pod-webhook-scope.js";
import { silentLogger } from "../../../src/observability/logger.js";
import { createMetrics } from "../../../src/observability/metrics.js";
import { status, StubApiServer, type RecordedRequest } from "../kube/stub-apiserver.js";

const COLLECTION = "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations";
const CONFIG_PATH = `${COLLECTION}/${MUTATING_WEBHOOK_CONFIGURATION_NAME}`;

const api = new StubApiServer();
before(() => api.start());
after(() => api.stop());

function sidecarSet(name: string, app: string): SidecarSet {
  return {
    apiVersion: "apps.kruise.io/v1beta1",
    kind: "SidecarSet",
    metadata: { name, resourceVersion: "1" },
    spec: { selector: { matchLabels: { app } }, containers: [{ name: "agent", image: "agent:1" }] },
  } as SidecarSet;
}

function expressionFor(...sets: SidecarSet[]): string {
  const scope = podScope(sets);
  assert.equal(scope.kind, "selected");
  return scope.kind === "selected" ? scope.expression : "";
}

/** One stored configuration: PUTs replace it (unless `refuse` says no) and are announced to watches when `announce` runs. */
class StoredConfiguration {
  config: WebhookConfiguration;
  private rv = 1;
  puts: WebhookConfiguration[] = [];
  refuse: (config: WebhookConfiguration) => boolean = () => false;
  autoAnnounce = true;

  constructor(expression: string | undefined) {
    this.config = {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "MutatingWebhookConfiguration",
      metadata: { name: MUTATING_WEBHOOK_CONFIGURATION_NAME, uid: "uid-1", resourceVersion: "1" },
      webhooks: [
        { name: MUTATE_POD_WEBHOOK, ...(expression ? { matchConditions: [{ name: SCOPE_CONDITION_NAME, expression }] } : {}) },
        { name: "mutate-sidecarset.sidecarset.kruise.io" },
      ],
    };
  }

  conditions() {
    return this.config.webhooks?.find((w) => w.name === MUTATE_POD_WEBHOOK)?.matchConditions;
  }

  announce(): void {
    for (const w of api.watches) if (!w.closed && w.request.path === COLLECTION) w.send("MODIFIED", this.config);
  }

  handle(req: RecordedRequest) {
    if (req.path === COLLECTION) return { body: { kind: "List", metadata: { resourceVersion: String(this.rv) }, items: [this.config] } };
    if (req.path === CONFIG_PATH && req.method === "GET") return { body: this.config };
    if (req.path === CONFIG_PATH && req.method === "PUT") {
      const body = JSON.parse(req.body) as WebhookConfiguration;
      this.puts.push(body);
      if (this.refuse(body)) return status(422, "Invalid", "spec.webhooks[0].matchConditions[0].expression: Invalid value: compilation failed");
      this.config = { ...body, metadata: { ...body.metadata, resourceVersion: String(++this.rv) } };
      if (this.autoAnnounce) this.announce();
      return { body: this.config };
    }
    return undefined;
  }
}

function setup(stored: StoredConfiguration, sets: SidecarSet[], { graceMs = 60_000, enabled = true } = {}) {
  api.onRequest((req) => {
    const answer = stored.handle(req);
    if (answer) return answer;
    if (req.path === SIDECARSET_COLLECTION_PATH) return { body: { kind: "List", metadata: { resourceVersion: "1" }, items: sets } };
    return status(404, "NotFound", req.path);
  });
  const logger = silentLogger();
  const client = new RawKubeClient(api.kubeConfig());
  const events: CoreEvent[] = [];
  const recorder = new EventRecorder({
    sink: { create: async (_ns, e) => void events.push(e), patch: async () => undefined },
    component: "test",
    clusterScopedNamespace: "default",
    logger,
  });
  const metrics = createMetrics();
  const sidecarSets = sidecarSetInformer(informerContext({ client, namespace: "sidecarset-system" }));
  const scope = new PodWebhookScope({ client, sidecarSets, recorder, metrics, logger, enabled, graceMs });
  return {
    events,
    metrics,
    scope,
    start: async () => {
      sidecarSets.start();
      scope.start();
      await sidecarSets.waitForSync();
    },
    stop: async () => {
      await scope.stop();
      await sidecarSets.stop();
      await recorder.flush();
      client.close();
    },
  };
}

async function eventually(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** The scope gauge's one value, or undefined while it reports none. */
async function scopedValue(metrics: ReturnType<typeof createMetrics>): Promise<number | undefined> {
  return (await metrics.podWebhookScoped.get()).values[0]?.value;
}

async function counterValue(metrics: ReturnType<typeof createMetrics>, reason: string): Promise<number> {
  const values = (await metrics.podWebhookScopeFallbacks.get()).values;
  return values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

test("a wider scope is written at once, as one match condition, leaving the other webhooks alone", async () => {
  const a = sidecarSet("a", "web");
  const stored = new StoredConfiguration(expressionFor());
  const t = setup(stored, [a]);
  try {
    assert.equal(await scopedValue(t.metrics), undefined, "nothing is reported before the configuration is read");
    await t.start();
    await eventually("the scope to be written", () => stored.conditions()?.[0]?.expression === expressionFor(a));
    assert.deepEqual(stored.conditions(), [{ name: SCOPE_CONDITION_NAME, expression: expressionFor(a) }]);
    assert.deepEqual(stored.config.webhooks?.[1], { name: "mutate-sidecarset.sidecarset.kruise.io" });
    assert.equal(stored.puts.length, 1);
    assert.equal(await scopedValue(t.metrics), 1);
  } finally {
    await t.stop();
  }
  assert.equal(await scopedValue(t.metrics), undefined, "a replica whose term ended reports no scope it no longer keeps");
});

test("an expression the API server refuses: every pod, reported once by a Warning event and the metric, and not tried again", async () => {
  const a = sidecarSet("a", "web");
  const stored = new StoredConfiguration(expressionFor());
  stored.refuse = (c) => (c.webhooks?.[0]?.matchConditions?.length ?? 0) > 0;
  const t = setup(stored, [a]);
  try {
    await t.start();
    await eventually("the conditions to be removed", () => stored.conditions() === undefined);
    await eventually("the Warning event", () => t.events.length > 0);
    assert.equal(await counterValue(t.metrics, "rejected"), 1);
    assert.equal(await scopedValue(t.metrics), 0);
    const [event] = t.events;
    assert.equal(event!.type, "Warning");
    assert.equal(event!.reason, FALLBACK_EVENT_REASON);
    assert.equal(event!.involvedObject.kind, "MutatingWebhookConfiguration");
    assert.match(event!.message ?? "", /rejected.*compilation failed/);
    // A configuration event makes it look again: the refused expression is not sent a second time.
    const putsBefore = stored.puts.length;
    stored.announce();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(stored.puts.length, putsBefore);
    assert.equal(stored.puts.filter((p) => p.webhooks?.[0]?.matchConditions).length, 1, "the refused expression was sent once");
  } finally {
    await t.stop();
  }
});

test("covers(): a SidecarSet's pods count as covered only once the configuration the API server holds includes its term", async () => {
  const a = sidecarSet("a", "web");
  const stored = new StoredConfiguration(expressionFor());
  stored.autoAnnounce = false;
  const t = setup(stored, [a]);
  try {
    await t.start();
    await eventually("the scope to be written", () => stored.puts.length === 1);
    assert.equal(t.scope.covers(a), false, "written, but not yet seen in the configuration");
    stored.announce();
    await eventually("the written scope to be seen", () => t.scope.covers(a));
    assert.equal(t.scope.covers(sidecarSet("b", "db")), false, "another SidecarSet's pods are not covered");
  } finally {
    await t.stop();
  }
});

test("SidecarSets that cannot be expressed are reported once, also when the webhook already is called for every pod", async () => {
  const bad = { ...sidecarSet("bad", "web"), spec: { ...sidecarSet("bad", "web").spec, selector: { matchExpressions: [{ key: "a", operator: "Near" }] } } } as SidecarSet;
  const stored = new StoredConfiguration(undefined);
  const t = setup(stored, [bad]);
  try {
    await t.start();
    await eventually("the Warning event", () => t.events.length > 0);
    assert.match(t.events[0]!.message ?? "", /cannot-express.*sidecarset "bad": spec.selector cannot be evaluated/);
    assert.equal(await counterValue(t.metrics, "cannot-express"), 1);
    stored.announce();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(await counterValue(t.metrics, "cannot-express"), 1, "a lasting fall-back is reported once");
    assert.equal(stored.puts.length, 0, "every pod is what is installed: nothing to write");
  } finally {
    await t.stop();
  }
});

test("with the flag off, the condition the manager wrote is removed and a hand-written one is kept", async () => {
  const stored = new StoredConfiguration("(x)");
  stored.config.webhooks![0]!.matchConditions!.push({ name: "hand", expression: "true" });
  const t = setup(stored, [sidecarSet("a", "web")], { enabled: false });
  try {
    await t.start();
    await eventually("our condition to be removed", () => stored.puts.length === 1);
    assert.deepEqual(stored.conditions(), [{ name: "hand", expression: "true" }]);
    assert.equal(t.scope.covers(sidecarSet("a", "web")), true, "nothing waits for a scope that is not kept");
    stored.announce();
    await eventually("the unscoped webhook to be reported", async () => (await scopedValue(t.metrics)) === 0);
  } finally {
    await t.stop();
  }
});
