// The chart's structure, checked without rendering it: its YAML files parse,
// every value a template reads exists, every value is read and documented,
// template actions are balanced, and the templates say what the plain
// manifests say. test/e2e/helm-chart.test.ts renders it with the real helm
// and installs it.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { isMap, parse, parseDocument, type YAMLMap } from "yaml";
import { SERVED_VERSIONS } from "../../../src/api/conversion.js";
import { CRD_NAME } from "../../../src/manifests/crd.js";
import {
  MUTATE_POD_PATH,
  MUTATE_POD_WEBHOOK,
  MUTATE_SIDECARSET_PATH,
  MUTATE_SIDECARSET_WEBHOOK,
  VALIDATE_SIDECARSET_PATH,
  VALIDATE_SIDECARSET_WEBHOOK,
} from "../../../src/manifests/webhook.js";
import {
  MUTATING_WEBHOOK_CONFIGURATION_NAME,
  SERVICE_ACCOUNT_NAME,
  VALIDATING_WEBHOOK_CONFIGURATION_NAME,
  WEBHOOK_CERT_SECRET_NAME,
  WEBHOOK_SERVICE_NAME,
  packageVersion,
} from "../../../src/manifests/options.js";

const chartDir = fileURLToPath(new URL("../../../deploy/helm/sidecarset/", import.meta.url));
const read = (rel: string) => readFileSync(join(chartDir, rel), "utf8");
const templateNames = readdirSync(join(chartDir, "templates")).filter((n) => /\.(ya?ml|tpl|txt)$/.test(n));
const templates = new Map(templateNames.map((n) => [n, read(`templates/${n}`)]));
const values = parse(read("values.yaml")) as Record<string, unknown>;

/** Every `.Values.a.b` (also `$.Values` and `$root.Values`) a template reads. */
function valueReferences(text: string): string[] {
  return [...text.matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)].map((m) => m[1]!.slice(1));
}
const references = [...new Set([...templates.values()].flatMap(valueReferences))].sort();

function has(obj: unknown, path: string): boolean {
  let node: unknown = obj;
  for (const key of path.split(".")) {
    if (node === null || typeof node !== "object" || !Object.prototype.hasOwnProperty.call(node, key)) return false;
    node = (node as Record<string, unknown>)[key];
  }
  return true;
}

function leafPaths(obj: unknown, prefix = ""): string[] {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj) || Object.keys(obj).length === 0) return [prefix];
  return Object.entries(obj).flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k));
}

test("Chart.yaml is a v2 application chart whose appVersion is the package version", () => {
  const chart = parse(read("Chart.yaml")) as Record<string, string>;
  assert.equal(chart.apiVersion, "v2");
  assert.equal(chart.name, "sidecarset");
  assert.equal(chart.type, "application");
  assert.match(chart.version ?? "", /^\d+\.\d+\.\d+/);
  assert.equal(chart.appVersion, packageVersion());
});

test("templates read values at all (the reference scan works)", () => {
  assert.ok(references.includes("certs.mode"));
  assert.ok(references.length > 15, references.join(", "));
});

test("every .Values reference in the templates exists in values.yaml", () => {
  assert.deepEqual(references.filter((r) => !has(values, r)), []);
});

test("every value in values.yaml is read by some template (no setting that does nothing)", () => {
  const unread = leafPaths(values).filter((leaf) => !references.some((r) => leaf === r || leaf.startsWith(`${r}.`)));
  assert.deepEqual(unread, []);
});

test("the defaults match the plain manifests: 2 replicas, self-signed certificates, webhook on 9443, fail closed, one ServiceAccount", () => {
  assert.equal(values.replicas, 2);
  assert.deepEqual(values.certs, { mode: "self-signed", secretName: WEBHOOK_CERT_SECRET_NAME, caBundle: "" });
  assert.deepEqual(values.webhook, {
    port: 9443,
    failurePolicy: "Fail",
    timeoutSeconds: 10,
    namespaceSelector: { matchLabels: {}, matchExpressions: [] },
    objectSelector: {},
  });
  assert.equal(values.leaderElect, true);
  assert.deepEqual(values.serviceAccount, { create: true, name: SERVICE_ACCOUNT_NAME, annotations: {} });
});

test("by default everything goes to the release namespace, which the chart does not create itself", () => {
  assert.deepEqual(values.namespace, { name: "", create: false });
  assert.match(templates.get("_helpers.tpl")!, /default \.Release\.Namespace \.Values\.namespace\.name/);
  assert.match(templates.get("namespace.yaml")!, /fail "namespace\.create needs a namespace\.name other than the release namespace/);
});

test("every namespaced object of every template is put in the manager's namespace (the dashboard's, by default)", () => {
  const clusterScoped = new Set(["Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"]);
  // Grafana's sidecar reads its own namespace: the dashboard goes where metrics.grafanaDashboard.namespace says.
  const dashboard = /^ {2}namespace: \{\{ \.Values\.metrics\.grafanaDashboard\.namespace \| default \(include "sidecarset\.namespace" \.\) \}\}$/m;
  const unplaced: string[] = [];
  for (const [name, text] of templates) {
    for (const doc of text.split(/^---$/m)) {
      const kind = /^kind: (\S+)$/m.exec(doc)?.[1];
      if (!kind || clusterScoped.has(kind)) continue;
      const placed = name === "grafana-dashboard.yaml" ? dashboard : /^ {2}namespace: \{\{ include "sidecarset\.namespace" \. \}\}$/m;
      if (!placed.test(doc)) unplaced.push(`${name}: ${kind}`);
    }
  }
  assert.deepEqual(unplaced, []);
});

/** Keys with no comment of their own whose subkeys are not all commented either. */
function undocumented(map: YAMLMap, prefix = ""): string[] {
  return map.items.flatMap((pair, i) => {
    const key = String((pair.key as { value?: unknown }).value);
    // The comment above a map's first key belongs to the map node.
    const comment = (pair.key as { commentBefore?: string }).commentBefore ?? (i === 0 ? map.commentBefore : undefined);
    if (comment) return [];
    return isMap(pair.value) ? undocumented(pair.value, `${prefix}${key}.`) : [`${prefix}${key}`];
  });
}

test("every value in values.yaml is documented by a comment (its own, or one on each of its keys)", () => {
  const doc = parseDocument(read("values.yaml"));
  assert.ok(isMap(doc.contents));
  assert.deepEqual(undocumented(doc.contents), []);
});

for (const [name, text] of templates) {
  test(`templates/${name}: template actions are balanced and every block is closed`, () => {
    assert.equal(text.split("{{").length, text.split("}}").length, "unbalanced {{ }}");
    const actions = [...text.matchAll(/\{\{-?\s*(\/\*[\s\S]*?\*\/)?\s*([a-z]+)?/g)].map((m) => m[2] ?? "");
    const opened = actions.filter((a) => ["if", "range", "with", "define", "block"].includes(a)).length;
    const closed = actions.filter((a) => a === "end").length;
    assert.equal(opened, closed, `${opened} blocks opened, ${closed} closed`);
  });
}

test("the cert modes the helper accepts are exactly the documented ones, and cert-manager gets the cainjector annotation", () => {
  const helpers = templates.get("_helpers.tpl")!;
  assert.ok(helpers.includes('(list "self-signed" "cert-manager" "secret")'));
  assert.ok(helpers.includes("cert-manager.io/inject-ca-from"));
  assert.ok(templates.get("certificate.yaml")!.includes("kind: Certificate"));
  assert.ok(templates.get("certificate.yaml")!.includes("kind: Issuer"));
});

test("the webhook template uses the names, paths and Service of the plain manifests", () => {
  const text = templates.get("webhooks.yaml")! + templates.get("_helpers.tpl")!;
  for (const s of [
    MUTATING_WEBHOOK_CONFIGURATION_NAME,
    VALIDATING_WEBHOOK_CONFIGURATION_NAME,
    MUTATE_POD_WEBHOOK,
    MUTATE_SIDECARSET_WEBHOOK,
    VALIDATE_SIDECARSET_WEBHOOK,
    MUTATE_POD_PATH,
    MUTATE_SIDECARSET_PATH,
    VALIDATE_SIDECARSET_PATH,
    `name: ${WEBHOOK_SERVICE_NAME}`,
  ]) {
    assert.ok(text.includes(s), s);
  }
});

test("the chart's pod webhook is CREATE-only, side-effect free and skips control-plane namespaces and kube-system", () => {
  const text = templates.get("webhooks.yaml")!;
  const pod = text.slice(text.indexOf(MUTATE_POD_WEBHOOK), text.indexOf(MUTATE_SIDECARSET_WEBHOOK));
  assert.ok(pod.includes('operations: ["CREATE"]'));
  assert.ok(!pod.includes("UPDATE"));
  assert.ok(pod.includes("key: control-plane\n          operator: DoesNotExist"));
  assert.ok(pod.includes("operator: NotIn"));
  assert.ok(pod.includes("- kube-system"));
  assert.equal(text.match(/sideEffects: None/g)?.length, 3);
  assert.equal(text.match(/admissionReviewVersions: \["v1"\]/g)?.length, 3);
});

test("webhook.namespaceSelector and objectSelector narrow the pod webhook only, after the exclusions that always apply", () => {
  const text = templates.get("webhooks.yaml")!;
  const pod = text.slice(text.indexOf(MUTATE_POD_WEBHOOK), text.indexOf(MUTATE_SIDECARSET_WEBHOOK));
  const builtIn = pod.indexOf("key: kubernetes.io/metadata.name");
  const added = pod.indexOf("{{- with .Values.webhook.namespaceSelector.matchExpressions }}");
  assert.ok(builtIn > 0 && added > builtIn, "the chart's exclusions come first, the user's expressions are added to them");
  assert.ok(pod.includes("{{- with .Values.webhook.namespaceSelector.matchLabels }}"));
  assert.ok(pod.includes("{{- with .Values.webhook.objectSelector }}\n    objectSelector:"));
  assert.equal(text.match(/\.Values\.webhook\.(namespace|object)Selector\b/g)?.length, 3, "no SidecarSet webhook reads them");
});

test("the SidecarSet webhooks take every served version, as in the plain manifests", () => {
  const text = templates.get("webhooks.yaml")!;
  const versions = `apiVersions: [${SERVED_VERSIONS.map((v) => JSON.stringify(v)).join(", ")}]`;
  assert.equal(text.split(versions).length - 1, 2, versions);
});

test("the ServiceAccount is created only when asked, and the Deployment and the bindings name the configured one", () => {
  assert.match(templates.get("serviceaccount.yaml")!, /^\{\{- if \.Values\.serviceAccount\.create \}\}/);
  assert.match(templates.get("deployment.yaml")!, /serviceAccountName: \{\{ include "sidecarset\.serviceAccountName" \. \}\}/);
  const rbac = templates.get("rbac.yaml")!;
  assert.ok(!rbac.includes("kind: ServiceAccount\nmetadata"), "rbac.yaml does not create the ServiceAccount");
  assert.equal(rbac.split('name: {{ include "sidecarset.serviceAccountName" . }}').length - 1, 2);
});

test("the ServiceMonitor is opt-in and scrapes the metrics Service's named port", () => {
  const monitor = templates.get("servicemonitor.yaml")!;
  assert.match(monitor, /^\{\{- if \.Values\.metrics\.serviceMonitor\.enabled \}\}/);
  assert.match(monitor, /- port: metrics\n\s+path: \/metrics/);
  assert.match(monitor, /matchLabels:\n\s+\{\{- include "sidecarset\.metricsLabels" \. \| nindent 6 \}\}/);
  assert.equal((values.metrics as { serviceMonitor: { enabled: boolean } }).serviceMonitor.enabled, false);
  const service = templates.get("service.yaml")!;
  const metrics = service.slice(service.indexOf("{{- if .Values.metrics.service.enabled }}"));
  assert.match(metrics, /- name: metrics\n\s+port: \{\{ \.Values\.metrics\.service\.port \}\}\n\s+targetPort: metrics/);
  assert.match(metrics, /app\.kubernetes\.io\/component: metrics/);
});

test("the Deployment appends extraArgs and env after the chart's own, and podLabels cannot replace its selector labels", () => {
  const d = templates.get("deployment.yaml")!;
  assert.ok(d.indexOf("{{- range .Values.extraArgs }}") > d.indexOf("--cert-dir="));
  assert.ok(d.indexOf("{{- with .Values.env }}") > d.indexOf("fieldPath: metadata.name"));
  assert.match(d, /labels:\n\s+\{\{- include "sidecarset\.podLabels" \. \| nindent 8 \}\}/);
  assert.match(templates.get("_helpers.tpl")!, /merge \(include "sidecarset\.selectorLabels" \. \| fromYaml\) \.Values\.podLabels/);
});

test("the chart's Deployment keeps the hardening of the plain manifests", () => {
  const sc = values.securityContext as Record<string, unknown>;
  assert.equal(sc.readOnlyRootFilesystem, true);
  assert.equal(sc.allowPrivilegeEscalation, false);
  assert.equal(sc.runAsNonRoot, true);
  assert.deepEqual(sc.capabilities, { drop: ["ALL"] });
  const psc = values.podSecurityContext as Record<string, unknown>;
  assert.equal(psc.runAsNonRoot, true);
  const d = templates.get("deployment.yaml")!;
  assert.ok(d.includes("mountPath: /tmp"));
  assert.ok(d.includes("path: /healthz"));
  assert.ok(d.includes("path: /readyz"));
  assert.ok(d.includes("fieldPath: metadata.namespace"));
});

test("the CRD is a template, kept on uninstall, whose conversion webhook calls the release's Service", () => {
  const text = templates.get("crd.yaml")!;
  assert.match(text, new RegExp(`name: ${CRD_NAME.replaceAll(".", "\\.")}`));
  assert.match(text, /helm\.sh\/resource-policy: keep/);
  assert.match(text, /strategy: Webhook/);
  assert.match(text, /path: \/convert/);
  assert.match(text, /namespace: \{\{ include "sidecarset\.namespace" \. \}\}/);
});

test("the CRD's conversion CA comes from cert-manager's CA injector or from certs.caBundle, as for the webhooks", () => {
  const text = templates.get("crd.yaml")!;
  assert.match(text, /\{\{- if eq \(include "sidecarset\.certsMode" \.\) "cert-manager" \}\}\n\s+cert-manager\.io\/inject-ca-from: \{\{ include "sidecarset\.namespace" \. \}\}\/\{\{ include "sidecarset\.certificateName" \. \}\}/);
  assert.match(text, /\{\{- if eq \(include "sidecarset\.certsMode" \.\) "secret" \}\}\n\s+caBundle: \{\{ required [^}]*\.Values\.certs\.caBundle \}\}/);
});
