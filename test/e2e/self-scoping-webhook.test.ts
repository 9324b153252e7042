// The self-scoping pod webhook (docs/behaviour.md §7a.2), against the real API
// server: the Lease holder limits the pod webhook with matchConditions to the
// pods some SidecarSet could select, so every other pod is admitted without
// calling it (even while no manager runs, under failurePolicy Fail), a new
// SidecarSet's pods are injected as soon as the manager has observed it, and
// a scope that cannot be written sends every pod to the webhook again.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pod } from "../../src/api/kube-types.js";
import { MUTATE_POD_WEBHOOK } from "../../src/manifests/webhook.js";
import { MUTATING_WEBHOOK_CONFIGURATION_NAME } from "../../src/manifests/options.js";
import { podScope } from "../../src/core/pod-scope/expression.js";
import type { SidecarSet } from "../../src/api/types.js";
import { apiServerMetrics } from "../../bench/support/api-server-metrics.js";
import { createNamespace, useEnvironment, waitFor, type Environment } from "../support/environment.js";
import { KubeRequestError, rawRequest } from "../support/kube.js";
import { createSidecarSet, SIDECARSETS } from "../support/sidecarsets.js";

const GRACE = "2s";
const env = useEnvironment({ managerArgs: ["--scope-narrowing-grace", GRACE] });

const CONFIG_PATH = `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${MUTATING_WEBHOOK_CONFIGURATION_NAME}`;

interface MatchCondition {
  name: string;
  expression: string;
}
interface WebhookConfiguration {
  metadata: { resourceVersion?: string };
  webhooks: { name: string; matchConditions?: MatchCondition[] }[];
}

async function podWebhookConditions(e: Environment): Promise<MatchCondition[] | undefined> {
  const config = await rawRequest<WebhookConfiguration>(e.clients.kc, "GET", CONFIG_PATH);
  return config.webhooks.find((w) => w.name === MUTATE_POD_WEBHOOK)?.matchConditions;
}

/** The expression the manager should install for these SidecarSets, from the same core function. */
function expectedExpression(sets: { name: string; spec: Record<string, unknown> }[]): string {
  const scope = podScope(sets.map((s) => ({ metadata: { name: s.name }, spec: s.spec }) as unknown as SidecarSet));
  assert.equal(scope.kind, "selected");
  return scope.kind === "selected" ? scope.expression : "";
}

function waitForScope(e: Environment, expression: string | undefined, what: string): Promise<true> {
  return waitFor(what, async () => {
    const conditions = await podWebhookConditions(e);
    if (expression === undefined) return conditions === undefined || conditions.length === 0;
    return conditions?.length === 1 && conditions[0]!.expression === expression;
  });
}

function createPod(e: Environment, namespace: string, name: string, labels: Record<string, string> | undefined): Promise<Pod> {
  return rawRequest<Pod>(e.clients.kc, "POST", `/api/v1/namespaces/${namespace}/pods`, {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, ...(labels ? { labels } : {}) },
    spec: { containers: [{ name: "app", image: "registry.local/app:1" }], terminationGracePeriodSeconds: 1 },
  });
}

const containerNames = (pod: Pod) => pod.spec?.containers.map((c) => c.name);

/** The API server's own counts for the pod webhook: calls made (failed ones included), and requests its matchConditions excluded. */
async function podWebhookCounts(e: Environment): Promise<{ calls: number; excluded: number }> {
  const text = await apiServerMetrics(e);
  const sum = (metric: string) =>
    text
      .split("\n")
      .filter((l) => l.startsWith(`${metric}{`) && l.includes(`name="${MUTATE_POD_WEBHOOK}"`) && l.includes('operation="CREATE"'))
      .reduce((total, l) => total + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
  return {
    calls: sum("apiserver_admission_webhook_admission_duration_seconds_count"),
    excluded: sum("apiserver_admission_match_condition_exclusions_total"),
  };
}

async function managerMetric(e: Environment, metric: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${e.metricsPort}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(metric));
  return line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : 0;
}

const HOME = { name: "scoped-home", spec: { namespace: "scope-home", selector: { matchLabels: { app: "scoped" } } } };

test("the shipped configuration has no matchConditions: the manager writes them", async () => {
  const manifests = await env().cli(["manifests", "--only", "webhook"]);
  assert.doesNotMatch(manifests, /matchConditions/);
});

test("with the manager stopped under failurePolicy Fail, pods no SidecarSet selects are admitted without calling the webhook; a selected pod is refused", async () => {
  await createNamespace(env().clients, "scope-home");
  await createNamespace(env().clients, "scope-away");
  await createSidecarSet(env(), HOME.name, { ...HOME.spec, containers: [{ name: "home-agent", image: "registry.local/agent:1" }] });
  // Shipped without conditions, the webhook is narrowed once the grace period has passed.
  await waitForScope(env(), expectedExpression([HOME]), "the pod webhook to be limited to the SidecarSet's pods");

  await env().stopManager();
  try {
    const before = await podWebhookCounts(env());
    const admitted = [
      await createPod(env(), "scope-home", "other-app", { app: "other" }),
      await createPod(env(), "scope-home", "no-labels", undefined),
      await createPod(env(), "scope-away", "same-labels-elsewhere", { app: "scoped" }),
    ];
    for (const pod of admitted) assert.deepEqual(containerNames(pod), ["app"], `${pod.metadata?.name} was admitted unchanged`);
    const refused = await createPod(env(), "scope-home", "selected", { app: "scoped" }).then(
      () => assert.fail("a selected pod was created while the webhook could not be called"),
      (e: unknown) => e,
    );
    assert.ok(refused instanceof KubeRequestError && refused.status === 500, String(refused));
    assert.match(refused.body, /failed calling webhook/);

    const after = await podWebhookCounts(env());
    assert.equal(after.calls - before.calls, 1, "the API server called the webhook for the selected pod only");
    assert.equal(after.excluded - before.excluded, 3, "its matchConditions excluded the three other pods");
  } finally {
    await env().restartManager();
  }
  // Out of the cluster a starting manager reinstalls the webhook configurations: the scope survives that.
  assert.deepEqual(
    (await podWebhookConditions(env()))?.map((c) => c.expression),
    [expectedExpression([HOME])],
    "the restarted manager kept the pod webhook's scope",
  );
});

test("a new SidecarSet's pods are injected once it is observed (the scope widens at once), for every selector operator", async () => {
  await createNamespace(env().clients, "scope-ops");
  const OPS = {
    name: "scoped-ops",
    spec: {
      selector: {
        matchLabels: { app: "ops" },
        matchExpressions: [
          { key: "tier", operator: "In", values: ["front", "back"] },
          { key: "track", operator: "NotIn", values: ["canary", "dark.launch_2"] },
          { key: "team", operator: "Exists" },
          { key: "legacy", operator: "DoesNotExist" },
        ],
      },
    },
  };
  await createSidecarSet(env(), OPS.name, { ...OPS.spec, containers: [{ name: "ops-agent", image: "registry.local/agent:1" }] });
  const base = { app: "ops", tier: "front", team: "a" };
  assert.deepEqual(containerNames(await createPod(env(), "scope-ops", "selected", base)), ["ops-agent", "app"]);
  await waitForScope(env(), expectedExpression([HOME, OPS]), "the scope to hold both SidecarSets");

  const before = await podWebhookCounts(env());
  const skipped: [string, Record<string, string>][] = [
    ["in-miss", { ...base, tier: "middle" }],
    ["notin-hit", { ...base, track: "canary" }],
    ["exists-miss", { app: "ops", tier: "front" }],
    ["doesnotexist-hit", { ...base, legacy: "yes" }],
  ];
  for (const [name, labels] of skipped) assert.deepEqual(containerNames(await createPod(env(), "scope-ops", name, labels)), ["app"], name);
  const after = await podWebhookCounts(env());
  assert.equal(after.calls, before.calls, "none of them was sent to the webhook");
  assert.equal(after.excluded - before.excluded, skipped.length);
});

test("a selector that only excludes labels takes in pods without any labels", async () => {
  await createNamespace(env().clients, "scope-excluding");
  const EXCLUDING = {
    name: "scoped-excluding",
    spec: {
      namespace: "scope-excluding",
      selector: { matchExpressions: [{ key: "legacy", operator: "DoesNotExist" }, { key: "track", operator: "NotIn", values: ["canary"] }] },
    },
  };
  await createSidecarSet(env(), EXCLUDING.name, { ...EXCLUDING.spec, containers: [{ name: "excl-agent", image: "registry.local/agent:1" }] });
  assert.deepEqual(containerNames(await createPod(env(), "scope-excluding", "no-labels", undefined)), ["excl-agent", "app"]);
  assert.deepEqual(containerNames(await createPod(env(), "scope-excluding", "stable", { track: "stable" })), ["excl-agent", "app"]);
  const before = await podWebhookCounts(env());
  assert.deepEqual(containerNames(await createPod(env(), "scope-excluding", "legacy", { legacy: "yes" })), ["app"]);
  assert.deepEqual(containerNames(await createPod(env(), "scope-excluding", "canary", { track: "canary" })), ["app"]);
  const after = await podWebhookCounts(env());
  assert.equal(after.calls, before.calls, "the excluded pods were not sent to the webhook");
});

test("a scope too long to write sends every pod to the webhook, with a Warning event and a metric; removing its cause narrows again", async () => {
  const longValues = (prefix: string) => Array.from({ length: 40 }, (_, i) => `${prefix}-${i}-${"v".repeat(50)}`);
  const spec = {
    selector: { matchExpressions: Array.from({ length: 8 }, (_, i) => ({ key: `long-${i}`, operator: "In", values: longValues(`k${i}`) })) },
  };
  const fallbacksBefore = await managerMetric(env(), 'sidecarset_pod_webhook_scope_fallbacks_total{reason="too-long"}');
  await createSidecarSet(env(), "scoped-too-long", { ...spec, containers: [{ name: "long-agent", image: "registry.local/agent:1" }] });
  await waitForScope(env(), undefined, "the pod webhook to be called for every pod");
  const [event] = await waitFor("a Warning event on the webhook configuration", async () => {
    const selector = encodeURIComponent(`involvedObject.kind=MutatingWebhookConfiguration,reason=PodWebhookCalledForEveryPod`);
    const list = await rawRequest<{ items: { type: string; message: string }[] }>(env().clients.kc, "GET", `/api/v1/namespaces/default/events?fieldSelector=${selector}`);
    return list.items.length > 0 ? list.items : undefined;
  });
  assert.equal(event!.type, "Warning");
  assert.match(event!.message, /too-long.*more than 16000/);
  assert.equal(await managerMetric(env(), 'sidecarset_pod_webhook_scope_fallbacks_total{reason="too-long"}'), fallbacksBefore + 1);

  await rawRequest(env().clients.kc, "DELETE", `${SIDECARSETS}/scoped-too-long`);
  await waitFor("the scope to narrow again after the grace period", async () => {
    const conditions = await podWebhookConditions(env());
    return conditions?.length === 1;
  });
});

test("a hand edit of the matchConditions is undone: a narrower one at once", async () => {
  const expected = (await podWebhookConditions(env()))?.[0]?.expression;
  assert.ok(expected);
  const config = await rawRequest<WebhookConfiguration>(env().clients.kc, "GET", CONFIG_PATH);
  const edited = {
    ...config,
    webhooks: config.webhooks.map((w) => (w.name === MUTATE_POD_WEBHOOK ? { ...w, matchConditions: [{ name: "hand-edit", expression: "false" }] } : w)),
  };
  await rawRequest(env().clients.kc, "PUT", CONFIG_PATH, edited);
  await waitForScope(env(), expected, "the manager to restore the scope");
});

test("SidecarSets that each select one value of a label are written as one list; each value's pods are injected, other values' are not sent", async () => {
  await createNamespace(env().clients, "scope-teams");
  const before = (await podWebhookConditions(env()))?.[0]?.expression;
  assert.ok(before);
  const teams = ["red", "green", "blue"];
  for (const team of teams) {
    await createSidecarSet(env(), `scoped-team-${team}`, { selector: { matchLabels: { team: team } }, containers: [{ name: `${team}-agent`, image: "registry.local/agent:1" }] });
  }
  const list = "object.metadata.labels['team'] in ['blue', 'green', 'red']";
  const [installed] = await waitFor("the three values written as one list", async () => {
    const expression = (await podWebhookConditions(env()))?.[0]?.expression;
    return expression?.includes(list) ? [expression] : undefined;
  });
  assert.equal(installed!.split(" || ").filter((t) => /labels\['team'\] (==|in) /.test(t)).length, 1, "one term for the three SidecarSets' values");
  for (const team of teams) assert.deepEqual(containerNames(await createPod(env(), "scope-teams", team, { team })), [`${team}-agent`, "app"]);
  const counts = await podWebhookCounts(env());
  assert.deepEqual(containerNames(await createPod(env(), "scope-teams", "purple", { team: "purple" })), ["app"]);
  assert.equal((await podWebhookCounts(env())).calls, counts.calls, "a value no SidecarSet selects is not sent to the webhook");

  // One SidecarSet gone: its value leaves the list after the grace period, the others stay.
  await rawRequest(env().clients.kc, "DELETE", `${SIDECARSETS}/scoped-team-green`);
  await waitFor("green to leave the list", async () => ((await podWebhookConditions(env()))?.[0]?.expression ?? "").includes("object.metadata.labels['team'] in ['blue', 'red']"));
  for (const team of ["red", "blue"]) await rawRequest(env().clients.kc, "DELETE", `${SIDECARSETS}/scoped-team-${team}`);
  await waitForScope(env(), before, "the scope as before the three SidecarSets");
});
