// There is no helm binary in the test environment, so the chart is checked
// structurally: its YAML files parse, every value a template reads exists,
// every value is read, template actions are balanced, and the webhook
// template says what the plain manifests say.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
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

test("the defaults match the plain manifests: 2 replicas, self-signed certificates, webhook on 9443, fail closed", () => {
  assert.equal(values.replicas, 2);
  assert.deepEqual(values.certs, { mode: "self-signed", secretName: WEBHOOK_CERT_SECRET_NAME, caBundle: "" });
  assert.deepEqual(values.webhook, { port: 9443, failurePolicy: "Fail", timeoutSeconds: 10 });
  assert.deepEqual(values.namespace, { name: "sidecarset-system", create: true });
  assert.equal(values.leaderElect, true);
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
