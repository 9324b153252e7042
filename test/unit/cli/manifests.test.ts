import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { CommanderError } from "commander";
import { parseAllDocuments } from "yaml";
import { caBundleFromText, manifestsCommand, renderManifests } from "../../../src/cli/manifests.js";

const PEM = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n";
const dir = mkdtempSync(join(tmpdir(), "sidecarset-manifests-"));
after(() => rmSync(dir, { recursive: true, force: true }));

type Doc = { kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown };
const docs = (yaml: string): Doc[] => parseAllDocuments(yaml).map((d) => d.toJS() as Doc);
const kinds = (yaml: string) => docs(yaml).map((d) => d.kind);

async function runCommand(args: string[]): Promise<string> {
  let out = "";
  const cmd = manifestsCommand({ write: (s: string) => (out += s) });
  cmd.exitOverride();
  cmd.configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  await cmd.parseAsync(args, { from: "user" });
  return out;
}

test("without flags everything is printed in apply order", () => {
  assert.deepEqual(kinds(renderManifests({})), [
    "CustomResourceDefinition",
    "Namespace",
    "ServiceAccount",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
    "Service",
    "Service",
    "Deployment",
    "PodDisruptionBudget",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
  ]);
});

const onlyCases: { only: string; kinds: string[] }[] = [
  { only: "crd", kinds: ["CustomResourceDefinition"] },
  { only: "namespace", kinds: ["Namespace"] },
  { only: "rbac", kinds: ["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"] },
  { only: "webhook", kinds: ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"] },
  { only: "manager", kinds: ["Service", "Service", "Deployment", "PodDisruptionBudget"] },
  { only: "webhook,crd", kinds: ["CustomResourceDefinition", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"] },
  { only: "alerts", kinds: ["PrometheusRule"] },
  { only: "alerts,webhook", kinds: ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "PrometheusRule"] },
  { only: "dashboard", kinds: ["ConfigMap"] },
  { only: "dashboard,alerts", kinds: ["PrometheusRule", "ConfigMap"] },
];
for (const c of onlyCases) {
  test(`--only ${c.only} prints only that part`, async () => {
    assert.deepEqual(kinds(await runCommand(["--only", c.only])), c.kinds);
  });
}

test("--webhook-host points every webhook at the URL and leaves out the in-cluster Deployment and Service", async () => {
  const out = await runCommand(["--webhook-host", "127.0.0.1", "--webhook-port", "19443"]);
  assert.deepEqual(kinds(out), [
    "CustomResourceDefinition",
    "Namespace",
    "ServiceAccount",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
  ]);
  const urls = docs(out)
    .filter((d) => d.kind.endsWith("WebhookConfiguration"))
    .flatMap((d) => (d.webhooks as { clientConfig: { url?: string } }[]).map((w) => w.clientConfig.url));
  assert.deepEqual(urls, [
    "https://127.0.0.1:19443/mutate-pod",
    "https://127.0.0.1:19443/mutate-apps-kruise-io-sidecarset",
    "https://127.0.0.1:19443/validate-apps-kruise-io-sidecarset",
  ]);
});

test("--namespace, --image and --replicas reach the Deployment", async () => {
  const out = await runCommand(["--only", "manager", "-n", "platform", "--image", "reg.example/sc:1", "--replicas", "3"]);
  const d = docs(out).find((x) => x.kind === "Deployment") as Doc & {
    spec: { replicas: number; template: { spec: { containers: { image: string }[] } } };
  };
  assert.equal(d.metadata.namespace, "platform");
  assert.equal(d.spec.replicas, 3);
  assert.equal(d.spec.template.spec.containers[0]?.image, "reg.example/sc:1");
});

test("--ca-bundle-file writes the base64 of the PEM file into every webhook", async () => {
  const file = join(dir, "ca.crt");
  writeFileSync(file, PEM);
  const out = await runCommand(["--only", "webhook", "--ca-bundle-file", file]);
  const bundles = docs(out).flatMap((d) =>
    (d.webhooks as { clientConfig: { caBundle?: string } }[]).map((w) => w.clientConfig.caBundle),
  );
  assert.deepEqual(bundles, Array(3).fill(Buffer.from(PEM).toString("base64")));
});

test("a CA file that is already base64 is taken as is", () => {
  const b64 = Buffer.from(PEM).toString("base64");
  assert.equal(caBundleFromText(`${b64}\n`, "ca.b64"), b64);
});

test("a CA file without a certificate is an error that names the file and what is expected", () => {
  assert.throws(
    () => caBundleFromText("hello", "ca.txt"),
    /ca\.txt: no PEM certificate found; give a file with "-----BEGIN CERTIFICATE-----"/,
  );
});

test("a missing CA file is an error that names the flag and the file", () => {
  assert.throws(() => renderManifests({ caBundleFile: join(dir, "absent.crt") }), /^Error: --ca-bundle-file .*absent\.crt: no such file or directory$/);
});

const badArgs: { name: string; args: string[] }[] = [
  { name: "an unknown part", args: ["--only", "crds"] },
  { name: "an empty part list", args: ["--only", ","] },
  { name: "zero replicas", args: ["--replicas", "0"] },
  { name: "non-numeric replicas", args: ["--replicas", "two"] },
  { name: "a port above 65535", args: ["--webhook-port", "70000"] },
];
for (const c of badArgs) {
  test(`${c.name} is a usage error, not output`, async () => {
    await assert.rejects(runCommand(c.args), (e: unknown) => e instanceof CommanderError && e.code === "commander.invalidArgument");
  });
}

test("--help describes the command and shows examples", () => {
  const help = manifestsCommand().helpInformation();
  assert.match(help, /Print the Kubernetes manifests/);
  let after = "";
  const cmd = manifestsCommand();
  cmd.exitOverride();
  cmd.configureOutput({ writeOut: (s) => (after += s) });
  assert.throws(() => cmd.parse(["--help"], { from: "user" }), CommanderError);
  assert.match(after, /Examples:\n {2}# Install into a cluster\n {2}sidecarset manifests \| kubectl apply -f -/);
});

test("-o json prints the same manifests as a v1 List", () => {
  const yaml = parseAllDocuments(renderManifests({})).map((d) => d.toJS() as unknown);
  const json = JSON.parse(renderManifests({ output: "json" })) as { apiVersion: string; kind: string; items: unknown[] };
  assert.equal(json.kind, "List");
  assert.deepEqual(json.items, yaml);
});
