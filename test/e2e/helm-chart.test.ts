// The Helm chart as helm itself renders and installs it (the pinned helm of
// hack/build-helm.sh), against a control plane of this file's own: every value
// lands where it belongs, the defaults agree with the plain manifests,
// `helm install -n platform` puts every namespaced object in platform, an
// upgrade updates the CRD, and an uninstall leaves it. No manager runs, so the
// webhooks the chart installs call a Service without pods: the pods the tests
// create show which of them the pod webhook is registered for.
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type {
  V1ClusterRoleBinding,
  V1CustomResourceDefinition,
  V1Deployment,
  V1MutatingWebhookConfiguration,
  V1Namespace,
  V1NetworkPolicy,
  V1RoleBinding,
  V1Service,
  V1ServiceAccount,
  V1ValidatingWebhookConfiguration,
} from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import type { LabelSelector, Raw } from "../../src/api/kube-types.js";
import { podNamespaceSelector, MUTATE_POD_WEBHOOK } from "../../src/manifests/webhook.js";
import { startCluster, type Cluster } from "../support/cluster.js";
import { collectionPath, REPO_ROOT } from "../support/environment.js";
import { helmClient, resolveHelm, type Helm } from "../support/helm.js";
import { apiErrorCode, createNamespace, KubeRequestError, kubeClients, rawRequest, waitFor, type KubeClients } from "../support/kube.js";

const CHART = join(REPO_ROOT, "deploy/helm/sidecarset");
const RELEASE = "sidecarset";
const NS = "platform";
const CRD = "sidecarsets.apps.kruise.io";
const CLUSTER_SCOPED = new Set(["Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"]);

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

interface PrometheusRule extends Obj {
  spec: { groups: { name: string; rules: { alert: string; expr: string; for: string; labels: Record<string, string>; annotations: Record<string, string> }[] }[] };
}

interface ConfigMap extends Obj {
  data: Record<string, string>;
}

interface ServiceMonitor extends Obj {
  spec: {
    selector: LabelSelector;
    namespaceSelector?: { matchNames?: string[] };
    endpoints?: { port?: string; path?: string; scheme?: string; interval?: string }[];
  };
}

/** A value for every setting the chart has besides the plain manifests' ones. */
const EVERY_VALUE = {
  extraArgs: ["--lease-name=platform-leader", "--log-level=debug"],
  nativeSidecarInPlaceUpgrade: true,
  env: [{ name: "UV_THREADPOOL_SIZE", value: "8" }],
  podLabels: { team: "payments", "control-plane": "not-the-selector" },
  podAnnotations: { "example.com/owner": "platform-team" },
  topologySpreadConstraints: [
    { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway" },
    { maxSkew: 2, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { spread: "own" } } },
  ],
  serviceAccount: { name: "platform-sidecarset", annotations: { "iam.example.com/role": "sidecarset" } },
  webhook: {
    namespaceSelector: {
      matchLabels: { "sidecar-injection": "enabled" },
      matchExpressions: [{ key: "tier", operator: "NotIn", values: ["system"] }],
    },
    objectSelector: { matchExpressions: [{ key: "sidecarset.example/skip", operator: "DoesNotExist" }] },
  },
  networkPolicy: {
    enabled: true,
    webhookFrom: [{ ipBlock: { cidr: "10.0.0.0/24" } }],
    metricsFrom: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } }],
  },
  metrics: {
    service: { port: 9090 },
    serviceMonitor: { enabled: true, interval: "15s", labels: { release: "prometheus" } },
    prometheusRule: { enabled: true, labels: { role: "alert-rules" } },
    grafanaDashboard: { enabled: true, labels: { grafana_dashboard: "1", team: "observability" } },
  },
};

/**
 * A Prometheus Operator kind as a CRD whose spec has the structural schema
 * `spec`, typed as the operator's API types the fields the chart writes. The
 * API server prunes what such a schema does not know, so a misspelt or
 * misplaced field would not survive being stored.
 */
function monitoringCrd(kind: string, plural: string, spec: Record<string, unknown>) {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${plural}.monitoring.coreos.com` },
    spec: {
      group: "monitoring.coreos.com",
      scope: "Namespaced",
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase() },
      versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", required: ["spec"], properties: { spec } } } }],
    },
  };
}

const SERVICE_MONITOR_CRD = monitoringCrd("ServiceMonitor", "servicemonitors", {
  type: "object",
  required: ["selector"],
  properties: {
    selector: {
      type: "object",
      properties: {
        matchLabels: { type: "object", additionalProperties: { type: "string" } },
        matchExpressions: {
          type: "array",
          items: {
            type: "object",
            required: ["key", "operator"],
            properties: { key: { type: "string" }, operator: { type: "string" }, values: { type: "array", items: { type: "string" } } },
          },
        },
      },
    },
    namespaceSelector: {
      type: "object",
      properties: { any: { type: "boolean" }, matchNames: { type: "array", items: { type: "string" } } },
    },
    endpoints: {
      type: "array",
      items: {
        type: "object",
        properties: {
          port: { type: "string" },
          path: { type: "string" },
          scheme: { type: "string", enum: ["http", "https", "HTTP", "HTTPS"] },
          interval: { type: "string", pattern: "^(0|(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$" },
        },
      },
    },
  },
});

const PROMETHEUS_RULE_CRD = monitoringCrd("PrometheusRule", "prometheusrules", {
  type: "object",
  properties: {
    groups: {
      type: "array",
      items: {
        type: "object",
        required: ["name"],
        properties: {
          name: { type: "string" },
          rules: {
            type: "array",
            items: {
              type: "object",
              required: ["expr"],
              properties: {
                alert: { type: "string" },
                expr: { type: "string" },
                for: { type: "string", pattern: "^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$" },
                labels: { type: "object", additionalProperties: { type: "string" } },
                annotations: { type: "object", additionalProperties: { type: "string" } },
              },
            },
          },
        },
      },
    },
  },
});

let helm: Helm;
let cluster: Cluster;
let kube: KubeClients;
let dir: string;
let everyValueFile: string;

before(async () => {
  // First, so a missing helm fails the file at once with the command that builds it.
  const binary = resolveHelm();
  dir = mkdtempSync(join(tmpdir(), "sidecarset-helm-chart-"));
  everyValueFile = join(dir, "every-value.yaml");
  writeFileSync(everyValueFile, JSON.stringify(EVERY_VALUE));
  cluster = await startCluster();
  kube = kubeClients(cluster.kubeconfigPath);
  helm = helmClient(binary, cluster.kubeconfigPath);
}, { timeout: 180_000 });

after(async () => {
  helm?.cleanup();
  await cluster?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function objects(text: string): Obj[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);
}

async function render(namespace: string, valueFiles: string[] = []): Promise<Obj[]> {
  return objects(await helm.ok(["template", RELEASE, CHART, "-n", namespace, ...valueFiles.flatMap((f) => ["-f", f])]));
}

/** The one object of `kind` (and `name`) among `objs`, as the type the caller knows it by. */
function one<T = Obj>(objs: Obj[], kind: string, name?: string): T {
  const found = objs.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  assert.equal(found.length, 1, `one ${kind}${name ? ` ${name}` : ""} among ${objs.map((o) => `${o.kind}/${o.metadata.name}`).join(", ")}`);
  return found[0] as unknown as T;
}

function plainFile(rel: string): Obj[] {
  return objects(readFileSync(join(REPO_ROOT, "deploy", rel), "utf8"));
}


type Deployment = Raw<V1Deployment>;
type Service = Raw<V1Service>;
type MutatingConfig = Raw<V1MutatingWebhookConfiguration>;
type ValidatingConfig = Raw<V1ValidatingWebhookConfiguration>;
type Crd = Raw<V1CustomResourceDefinition>;

/** The manager container and the pod template of the chart's Deployment. */
function managerOf(d: Deployment) {
  const template = d.spec?.template;
  const manager = template?.spec?.containers[0];
  assert.ok(template && manager, "the Deployment has a pod template with the manager container");
  return { template, manager };
}

test("helm template puts every value where it belongs", async () => {
  const objs = await render(NS, [everyValueFile]);
  for (const o of objs.filter((o) => !CLUSTER_SCOPED.has(o.kind))) assert.equal(o.metadata.namespace, NS, `${o.kind} ${o.metadata.name}`);

  const deployment = one<Deployment>(objs, "Deployment", "sidecarset-manager");
  const selector = deployment.spec?.selector.matchLabels ?? {};
  const { template, manager } = managerOf(deployment);
  assert.deepEqual(manager.args?.slice(-2), EVERY_VALUE.extraArgs, "extraArgs come after the chart's own, so they win");
  assert.ok(manager.args?.includes("--leader-elect"));
  assert.ok(manager.args?.includes("--native-sidecar-in-place-upgrade"), "nativeSidecarInPlaceUpgrade turns the manager flag on");
  assert.deepEqual(manager.env?.map((e) => e.name), ["POD_NAMESPACE", "POD_NAME", "UV_THREADPOOL_SIZE"]);
  assert.deepEqual(manager.env?.[0]?.valueFrom, { fieldRef: { fieldPath: "metadata.namespace" } }, "the manager learns its namespace from its pod");
  assert.deepEqual(template.metadata?.labels, { ...selector, team: "payments" }, "podLabels are added; the selector labels stay");
  assert.equal(selector["control-plane"], "sidecarset-manager");
  assert.deepEqual(template.metadata?.annotations, EVERY_VALUE.podAnnotations);
  assert.deepEqual(template.spec?.topologySpreadConstraints, [
    { ...EVERY_VALUE.topologySpreadConstraints[0], labelSelector: { matchLabels: selector } },
    EVERY_VALUE.topologySpreadConstraints[1],
  ]);
  assert.equal(template.spec?.serviceAccountName, "platform-sidecarset");

  const account = one<Raw<V1ServiceAccount>>(objs, "ServiceAccount");
  assert.equal(account.metadata?.name, "platform-sidecarset");
  assert.deepEqual(account.metadata?.annotations, EVERY_VALUE.serviceAccount.annotations);
  for (const kind of ["ClusterRoleBinding", "RoleBinding"]) {
    const binding = one<Raw<V1ClusterRoleBinding | V1RoleBinding>>(objs, kind);
    assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: "platform-sidecarset", namespace: NS }], kind);
  }

  const mutating = one<MutatingConfig>(objs, "MutatingWebhookConfiguration");
  const podWebhook = mutating.webhooks?.find((w) => w.name === MUTATE_POD_WEBHOOK);
  const builtIn = podNamespaceSelector(NS) as LabelSelector;
  assert.deepEqual(podWebhook?.namespaceSelector, {
    matchLabels: EVERY_VALUE.webhook.namespaceSelector.matchLabels,
    matchExpressions: [...(builtIn.matchExpressions ?? []), ...EVERY_VALUE.webhook.namespaceSelector.matchExpressions],
  });
  assert.deepEqual(podWebhook?.objectSelector, EVERY_VALUE.webhook.objectSelector);
  const validating = one<ValidatingConfig>(objs, "ValidatingWebhookConfiguration");
  const sidecarSetWebhooks = [...(mutating.webhooks ?? []), ...(validating.webhooks ?? [])].filter((w) => w.name !== MUTATE_POD_WEBHOOK);
  assert.equal(sidecarSetWebhooks.length, 2);
  for (const w of sidecarSetWebhooks) assert.ok(!w.namespaceSelector && !w.objectSelector, `${w.name} sees every SidecarSet`);

  const policy = one<Raw<V1NetworkPolicy>>(objs, "NetworkPolicy", "sidecarset-manager");
  assert.deepEqual(policy.spec, {
    podSelector: { matchLabels: selector },
    policyTypes: ["Ingress"],
    ingress: [
      { ports: [{ port: "webhook", protocol: "TCP" }], from: EVERY_VALUE.networkPolicy.webhookFrom },
      { ports: [{ port: "metrics", protocol: "TCP" }], from: EVERY_VALUE.networkPolicy.metricsFrom },
    ],
  });
  const containerPorts = manager.ports?.map((p) => p.name);
  for (const rule of policy.spec?.ingress ?? []) assert.ok(containerPorts?.includes(String(rule.ports?.[0]?.port)), "the policy names the container's own ports");

  const metrics = one<Service>(objs, "Service", "sidecarset-metrics");
  assert.deepEqual(metrics.spec?.ports, [{ name: "metrics", port: 9090, targetPort: "metrics", protocol: "TCP" }]);
  assert.deepEqual(metrics.spec?.selector, selector);
  const monitor = one<ServiceMonitor>(objs, "ServiceMonitor");
  assert.equal(monitor.metadata.labels?.release, "prometheus");
  for (const [k, v] of Object.entries(monitor.spec.selector.matchLabels ?? {})) {
    assert.equal(metrics.metadata?.labels?.[k], v, `the ServiceMonitor selects the metrics Service by ${k}`);
  }
  assert.deepEqual(monitor.spec.endpoints, [{ port: "metrics", path: "/metrics", scheme: "http", interval: "15s" }]);
  assert.deepEqual(monitor.spec.namespaceSelector, { matchNames: [NS] });

  // The alerting rules: the plain file's, their Prometheus templates ({{ $labels.x }}) written out as text.
  const rules = one<PrometheusRule>(objs, "PrometheusRule");
  assert.equal(rules.metadata.labels?.role, "alert-rules");
  assert.equal(rules.metadata.labels?.["app.kubernetes.io/name"], "sidecarset");
  assert.deepEqual(rules.spec, one<PrometheusRule>(plainFile("monitoring/prometheusrule.yaml"), "PrometheusRule").spec);
  assert.ok(rules.spec.groups[0]!.rules.some((r) => r.annotations.summary!.includes("{{ $labels.sidecarset }}")));

  // The dashboard: the plain file's JSON, its legends' Grafana templates ({{sidecarset}}) written out as text.
  const dashboard = one<ConfigMap>(objs, "ConfigMap", "sidecarset-manager-dashboard");
  assert.equal(dashboard.metadata.labels?.grafana_dashboard, "1");
  assert.equal(dashboard.metadata.labels?.team, "observability");
  assert.equal(dashboard.metadata.labels?.["app.kubernetes.io/name"], "sidecarset");
  const plainDashboard = one<ConfigMap>(plainFile("monitoring/grafana-dashboard.yaml"), "ConfigMap");
  assert.deepEqual(dashboard.data, plainDashboard.data);
  assert.equal(Object.values(dashboard.data)[0], readFileSync(join(REPO_ROOT, "deploy/monitoring/grafana-dashboard.json"), "utf8"));
  assert.match(Object.values(dashboard.data)[0]!, /"legendFormat": "\{\{sidecarset\}\}"/);
});

test("networkPolicy with no peers admits any source to the two ports, and nothing else", async () => {
  const file = join(dir, "network-policy.yaml");
  writeFileSync(file, JSON.stringify({ networkPolicy: { enabled: true } }));
  const policy = one<Raw<V1NetworkPolicy>>(await render(NS, [file]), "NetworkPolicy");
  assert.deepEqual(policy.spec?.ingress, [{ ports: [{ port: "webhook", protocol: "TCP" }] }, { ports: [{ port: "metrics", protocol: "TCP" }] }]);
});

test("metrics.grafanaDashboard.namespace puts the dashboard where Grafana's sidecar reads, and nothing else", async () => {
  const file = join(dir, "dashboard-namespace.yaml");
  writeFileSync(file, JSON.stringify({ metrics: { grafanaDashboard: { enabled: true, namespace: "monitoring" } } }));
  const objs = await render(NS, [file]);
  assert.equal(one<ConfigMap>(objs, "ConfigMap", "sidecarset-manager-dashboard").metadata.namespace, "monitoring");
  const elsewhere = objs.filter((o) => !CLUSTER_SCOPED.has(o.kind) && o.metadata.namespace !== NS).map((o) => `${o.kind}/${o.metadata.name}`);
  assert.deepEqual(elsewhere, ["ConfigMap/sidecarset-manager-dashboard"]);
});

test("with the defaults, helm template renders the plain manifests' CRD, webhooks and RBAC, and no ServiceMonitor, PrometheusRule, dashboard, NetworkPolicy or Namespace", async () => {
  // The plain manifests' namespace, so they compare field for field.
  const objs = await render("sidecarset-system");
  assert.ok(!objs.some((o) => ["ServiceMonitor", "PrometheusRule", "ConfigMap", "NetworkPolicy", "Namespace"].includes(o.kind)));
  assert.ok(objs.some((o) => o.kind === "Service" && o.metadata.name === "sidecarset-metrics"));

  const crd = one(objs, "CustomResourceDefinition");
  const { annotations, ...metadata } = crd.metadata;
  assert.deepEqual(annotations, { "helm.sh/resource-policy": "keep" });
  assert.deepEqual({ ...crd, metadata }, one(plainFile("crd/apps.kruise.io_sidecarsets.yaml"), "CustomResourceDefinition"));

  const plainWebhooks = plainFile("webhook/webhooks.yaml");
  for (const kind of ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"]) {
    const rendered = one(objs, kind);
    const plain = one(plainWebhooks, kind);
    assert.equal(rendered.metadata.name, plain.metadata.name);
    assert.deepEqual(rendered.webhooks, plain.webhooks, kind);
  }

  for (const plain of plainFile("rbac/rbac.yaml")) {
    const rendered = one(objs, plain.kind, plain.metadata.name);
    assert.equal(rendered.metadata.namespace, plain.metadata.namespace, plain.kind);
    for (const field of ["rules", "roleRef", "subjects"]) assert.deepEqual(rendered[field], plain[field], `${plain.kind}.${field}`);
  }
});

/** The live object, or undefined when the API server has none. */
async function live<T = Obj>(o: Obj): Promise<T | undefined> {
  const collection = await collectionPath(kube, o.apiVersion, o.kind, o.metadata.namespace);
  try {
    return await rawRequest<T>(kube.kc, "GET", `${collection}/${encodeURIComponent(o.metadata.name)}`);
  } catch (err) {
    if (apiErrorCode(err) === 404) return undefined;
    throw err;
  }
}

async function established(name: string): Promise<void> {
  await waitFor(`the CRD ${name} to be established`, async () => {
    const crd = await kube.apiextensions.readCustomResourceDefinition({ name });
    return crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True");
  });
}

/** The printer columns of the SidecarSet CRD's stored version. */
async function crdColumns(): Promise<string[]> {
  const crd = await kube.apiextensions.readCustomResourceDefinition({ name: CRD });
  return crd.spec.versions.find((v) => v.storage)?.additionalPrinterColumns?.map((c) => c.name) ?? [];
}

function createPod(namespace: string, name: string, labels: Record<string, string> = {}): Promise<unknown> {
  return rawRequest(kube.kc, "POST", `/api/v1/namespaces/${namespace}/pods`, {
    metadata: { name, labels },
    spec: { containers: [{ name: "app", image: "registry.local/app:1" }] },
  });
}

/** Fails unless every field of `rendered` is in `stored` with the same value (lists item by item). */
function assertKept(stored: unknown, rendered: unknown, where: string): void {
  if (rendered === null || typeof rendered !== "object") {
    assert.equal(stored, rendered, where);
    return;
  }
  assert.ok(stored !== null && typeof stored === "object", `${where} is missing`);
  if (Array.isArray(rendered)) {
    assert.ok(Array.isArray(stored) && stored.length === rendered.length, `${where} has ${rendered.length} items`);
  }
  for (const [key, value] of Object.entries(rendered)) assertKept((stored as Record<string, unknown>)[key], value, `${where}.${key}`);
}

/** What `helm install` made, from the release's own manifest. */
let installed: Obj[] = [];

test("helm install -n platform --create-namespace: the API server accepts every object, and every namespaced one is in platform", async () => {
  for (const crd of [SERVICE_MONITOR_CRD, PROMETHEUS_RULE_CRD]) {
    await rawRequest(kube.kc, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd);
    await established(crd.metadata.name);
  }

  await helm.ok(["install", RELEASE, CHART, "-n", NS, "--create-namespace", "-f", everyValueFile]);
  installed = objects(await helm.ok(["get", "manifest", RELEASE, "-n", NS]));
  assert.deepEqual(installed.map((o) => o.kind).sort(), [
    "ClusterRole", "ClusterRoleBinding", "ConfigMap", "CustomResourceDefinition", "Deployment", "MutatingWebhookConfiguration",
    "NetworkPolicy", "PodDisruptionBudget", "PrometheusRule", "Role", "RoleBinding", "Service", "Service", "Service", "ServiceAccount",
    "ServiceMonitor", "ValidatingWebhookConfiguration",
  ]);
  for (const o of installed) {
    const stored = await live(o);
    assert.ok(stored, `${o.kind} ${o.metadata.name} was stored`);
    assert.equal(stored.metadata.namespace, CLUSTER_SCOPED.has(o.kind) ? undefined : NS, `${o.kind} ${o.metadata.name}`);
  }

  // Nothing the release made went anywhere else, its own record included.
  for (const o of installed.filter((o) => !CLUSTER_SCOPED.has(o.kind))) {
    const everywhere = (await collectionPath(kube, o.apiVersion, o.kind, NS)).replace(`/namespaces/${NS}/`, "/");
    const list = await rawRequest<{ items: Obj[] }>(kube.kc, "GET", `${everywhere}?labelSelector=app.kubernetes.io%2Fname%3Dsidecarset`);
    assert.deepEqual([...new Set(list.items.map((i) => i.metadata.namespace))], [NS], o.kind);
  }
  const releases = await rawRequest<{ items: Obj[] }>(kube.kc, "GET", "/api/v1/secrets?labelSelector=owner%3Dhelm");
  assert.deepEqual(releases.items.map((s) => `${s.metadata.namespace}/${s.metadata.labels?.name}`), [`${NS}/${RELEASE}`]);
  const namespace = await kube.core.readNamespace({ name: NS });
  assert.equal(namespace.status?.phase, "Active", "helm created the release namespace");

  await established(CRD);
  const crd = await live<Crd>(one(installed, "CustomResourceDefinition"));
  assert.equal(crd?.metadata?.annotations?.["helm.sh/resource-policy"], "keep");
  assert.equal(crd?.spec.conversion?.webhook?.clientConfig?.service?.namespace, NS);

  // The API server kept everything helm rendered; it only added its defaults.
  for (const o of installed) assertKept((await live(o)) ?? {}, o, `${o.kind} ${o.metadata.name}`);
  const monitor = one<ServiceMonitor>(installed, "ServiceMonitor");
  assert.deepEqual((await live<ServiceMonitor>(monitor))?.spec, monitor.spec, "every ServiceMonitor field is one of its API's");
  const rules = one<PrometheusRule>(installed, "PrometheusRule");
  assert.deepEqual((await live<PrometheusRule>(rules))?.spec, rules.spec, "every PrometheusRule field is one of its API's");

  // The manager's own pods are admitted though nothing answers the pod webhook: it skips their namespace.
  const pods = await waitFor("the manager's pods", async () => {
    const list = await kube.core.listNamespacedPod({ namespace: NS, labelSelector: "control-plane=sidecarset-manager" });
    return list.items.length === 2 ? list.items : undefined;
  });
  for (const p of pods) assert.equal(p.spec?.serviceAccountName, "platform-sidecarset");
});

test("the installed pod webhook is called for the pods its selectors pick, and for no others", async () => {
  await createNamespace(kube, "opted-in", { "sidecar-injection": "enabled" });
  await createNamespace(kube, "opted-out");
  await createPod("opted-out", "not-selected");
  await createPod("opted-in", "skipped", { "sidecarset.example/skip": "true" });
  const refused = await createPod("opted-in", "selected").then(
    () => assert.fail("a pod the webhook selects was created while nothing answers it"),
    (err: unknown) => err,
  );
  assert.ok(refused instanceof KubeRequestError, String(refused));
  const message = (JSON.parse(refused.body) as { message?: string }).message ?? "";
  assert.match(message, new RegExp(`failed calling webhook "${MUTATE_POD_WEBHOOK.replaceAll(".", "\\.")}"`));
  assert.match(message, new RegExp(`sidecarset-webhook\\.${NS}\\.svc`), "it calls the Service in the release namespace");
});

test("helm upgrade applies a changed value and updates the CRD, still kept", async () => {
  // The next chart version: one printer column more in the stored version of the CRD.
  const next = join(dir, "sidecarset");
  cpSync(CHART, next, { recursive: true });
  const chartYaml = join(next, "Chart.yaml");
  writeFileSync(chartYaml, readFileSync(chartYaml, "utf8").replace(/^version: .*$/m, "version: 0.2.0"));
  const crdTemplate = join(next, "templates/crd.yaml");
  const text = readFileSync(crdTemplate, "utf8");
  const columns = "      additionalPrinterColumns:\n";
  const at = text.lastIndexOf(columns) + columns.length;
  writeFileSync(crdTemplate, `${text.slice(0, at)}        - name: GENERATION\n          type: integer\n          jsonPath: .metadata.generation\n${text.slice(at)}`);
  assert.ok(!(await crdColumns()).includes("GENERATION"));

  await helm.ok(["upgrade", RELEASE, next, "-n", NS, "-f", everyValueFile, "--set", "replicas=3"]);
  const status = JSON.parse(await helm.ok(["status", RELEASE, "-n", NS, "-o", "json"])) as { version: number; info: { status: string } };
  assert.deepEqual([status.version, status.info.status], [2, "deployed"]);
  assert.equal((await crdColumns())[0], "GENERATION");
  const crd = await kube.apiextensions.readCustomResourceDefinition({ name: CRD });
  assert.equal(crd.metadata?.annotations?.["helm.sh/resource-policy"], "keep");
  const deployment = await kube.apps.readNamespacedDeployment({ name: "sidecarset-manager", namespace: NS });
  assert.equal(deployment.spec?.replicas, 3);
  assert.equal(deployment.metadata?.labels?.["helm.sh/chart"], "sidecarset-0.2.0");
});

test("helm uninstall removes everything but the CRD", async () => {
  await helm.ok(["uninstall", RELEASE, "-n", NS]);
  for (const o of installed.filter((o) => o.kind !== "CustomResourceDefinition")) {
    await waitFor(`${o.kind} ${o.metadata.name} to be deleted`, async () => (await live(o)) === undefined);
  }
  assert.equal((await crdColumns())[0], "GENERATION", "the CRD stays as the last upgrade left it");
  // The CRD's last change re-initialises its storage for a moment.
  const list = await waitFor("the SidecarSets to be listed", () => rawRequest<{ items: unknown[] }>(kube.kc, "GET", "/apis/apps.kruise.io/v1beta1/sidecarsets"));
  assert.deepEqual(list.items, [], "SidecarSets are still served");
  await createPod("opted-in", "after-uninstall");
});

test("the kept CRD is adopted by the next install, and an upgrade that would drop the namespace the release created is refused", async () => {
  // An earlier chart, whose defaults put the manager in a namespace of its own that the release created.
  const earlier = join(dir, "earlier", "sidecarset");
  cpSync(CHART, earlier, { recursive: true });
  const valuesYaml = join(earlier, "values.yaml");
  const values = readFileSync(valuesYaml, "utf8");
  const defaults = values.replace(/^ {2}name: ""$/m, "  name: sidecarset-system").replace(/^ {2}create: false$/m, "  create: true");
  assert.notEqual(defaults, values);
  writeFileSync(valuesYaml, defaults);
  await helm.ok(["install", RELEASE, earlier, "-n", NS]);
  assert.ok(!(await crdColumns()).includes("GENERATION"), "the install wrote this chart's CRD over the kept one");
  await kube.apps.readNamespacedDeployment({ name: "sidecarset-manager", namespace: "sidecarset-system" });

  const refused = await helm.run(["upgrade", RELEASE, CHART, "-n", NS]);
  assert.notEqual(refused.status, 0);
  assert.match(refused.stderr, /namespace sidecarset-system belongs to this release and would be deleted with everything in it; keep it with --set namespace\.name=sidecarset-system --set namespace\.create=true/);
  await kube.apps.readNamespacedDeployment({ name: "sidecarset-manager", namespace: "sidecarset-system" });

  await helm.ok(["upgrade", RELEASE, CHART, "-n", NS, "--set", "namespace.name=sidecarset-system", "--set", "namespace.create=true"]);
  const status = JSON.parse(await helm.ok(["status", RELEASE, "-n", NS, "-o", "json"])) as { version: number };
  assert.equal(status.version, 2, "the refused upgrade left no revision");
  await helm.ok(["uninstall", RELEASE, "-n", NS]);
});

test("namespace.create makes the chart create a namespace other than the release's, and refuses the release's own", async () => {
  const refused = await helm.run(["template", RELEASE, CHART, "-n", NS, "--set", "namespace.create=true"]);
  assert.notEqual(refused.status, 0);
  assert.match(refused.stderr, /namespace\.create needs a namespace\.name other than the release namespace/);

  const other = join(dir, "other-namespace.yaml");
  writeFileSync(other, JSON.stringify({ namespace: { name: "sidecarset-system", create: true } }));
  const objs = await render(NS, [other]);
  const namespace = one<Raw<V1Namespace>>(objs, "Namespace");
  assert.equal(namespace.metadata?.name, "sidecarset-system");
  assert.equal(namespace.metadata?.labels?.["control-plane"], "sidecarset-manager", "the pod webhook skips it by its label too");
  for (const o of objs.filter((o) => !CLUSTER_SCOPED.has(o.kind))) assert.equal(o.metadata.namespace, "sidecarset-system", `${o.kind} ${o.metadata.name}`);
});
