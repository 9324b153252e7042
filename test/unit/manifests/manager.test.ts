import assert from "node:assert/strict";
import { test } from "node:test";
import type { Container, LabelSelector, Volume } from "../../../src/api/kube-types.js";
import { selectorMatches } from "../../../src/core/selector.js";
import {
  managerDeployment,
  managerManifests,
  namespaceManifest,
  podDisruptionBudget,
  webhookService,
  conversionService,
} from "../../../src/manifests/manager.js";
import { SERVICE_ACCOUNT_NAME, defaultImage } from "../../../src/manifests/options.js";

interface PodSpecShape {
  serviceAccountName: string;
  securityContext: Record<string, unknown>;
  containers: Container[];
  volumes: Volume[];
}
interface DeploymentShape {
  metadata: { name: string; namespace: string };
  spec: {
    replicas: number;
    selector: LabelSelector;
    template: { metadata: { labels: Record<string, string> }; spec: PodSpecShape };
  };
}

function deployment(opts = {}): DeploymentShape {
  return managerDeployment(opts) as unknown as DeploymentShape;
}
function container(opts = {}): Container {
  const c = deployment(opts).spec.template.spec.containers[0];
  assert.ok(c);
  return c;
}

test("the Deployment runs 2 replicas by default and the replicas option otherwise", () => {
  assert.equal(deployment().spec.replicas, 2);
  assert.equal(deployment({ replicas: 3 }).spec.replicas, 3);
});

test("the Deployment's selector matches its own pod template labels", () => {
  const d = deployment();
  assert.ok(selectorMatches(d.spec.selector, d.spec.template.metadata.labels));
});

test("the manager runs with leader election and the webhook and metrics ports", () => {
  assert.deepEqual(container().args, ["--leader-elect", "--webhook-port=9443", "--metrics-port=8080"]);
  assert.deepEqual(
    container().ports?.map((p) => [p.name, p.containerPort]),
    [
      ["webhook", 9443],
      ["metrics", 8080],
    ],
  );
});

test("the webhook port option changes the container port and the flag together", () => {
  const c = container({ webhookPort: 10250 });
  assert.ok(c.args?.includes("--webhook-port=10250"));
  assert.equal(c.ports?.find((p) => p.name === "webhook")?.containerPort, 10250);
});

test("POD_NAMESPACE comes from the pod's own namespace (docs/behaviour.md §1: revisions and the whitelist live there)", () => {
  const env = container().env?.find((e) => e.name === "POD_NAMESPACE");
  assert.deepEqual(env?.valueFrom, { fieldRef: { fieldPath: "metadata.namespace" } });
});

test("liveness and readiness probes use /healthz and /readyz on the metrics port", () => {
  const c = container();
  assert.deepEqual(c.livenessProbe?.httpGet, { path: "/healthz", port: "metrics" });
  assert.deepEqual(c.readinessProbe?.httpGet, { path: "/readyz", port: "metrics" });
});

test("the container runs non-root with a read-only root filesystem, no privilege escalation and no capabilities", () => {
  const sc = container().securityContext;
  assert.equal(sc?.runAsNonRoot, true);
  assert.equal(sc?.readOnlyRootFilesystem, true);
  assert.equal(sc?.allowPrivilegeEscalation, false);
  assert.deepEqual(sc?.capabilities, { drop: ["ALL"] });
  assert.deepEqual(sc?.seccompProfile, { type: "RuntimeDefault" });
  const pod = deployment().spec.template.spec.securityContext;
  assert.equal(pod.runAsNonRoot, true);
  assert.equal(pod.runAsUser, 65532);
  assert.deepEqual(pod.seccompProfile, { type: "RuntimeDefault" });
});

test("the container has resource requests and limits", () => {
  const r = container().resources;
  assert.ok(r?.requests?.cpu && r.requests.memory);
  assert.ok(r?.limits?.cpu && r.limits.memory);
});

test("/tmp is a writable emptyDir, the only writable path", () => {
  assert.deepEqual(container().volumeMounts, [{ name: "tmp", mountPath: "/tmp" }]);
  assert.deepEqual(deployment().spec.template.spec.volumes, [{ name: "tmp", emptyDir: {} }]);
});

test("the pods run as the ServiceAccount the RBAC binds", () => {
  assert.equal(deployment().spec.template.spec.serviceAccountName, SERVICE_ACCOUNT_NAME);
});

test("the image defaults to the package's version and follows the image option", () => {
  assert.equal(container().image, defaultImage());
  assert.match(defaultImage(), /^sidecarset:\d+\.\d+\.\d+/);
  assert.equal(container({ image: "registry.example/sidecarset:dev" }).image, "registry.example/sidecarset:dev");
});

test("the Service sends port 443 to the container's webhook port and selects the manager pods", () => {
  const svc = webhookService() as unknown as {
    metadata: { name: string; namespace: string };
    spec: { selector: Record<string, string>; ports: { port: number; targetPort: string }[] };
  };
  assert.equal(svc.metadata.name, "sidecarset-webhook");
  assert.deepEqual(
    svc.spec.ports.map((p) => [p.port, p.targetPort]),
    [[443, "webhook"]],
  );
  assert.ok(container().ports?.some((p) => p.name === "webhook"));
  assert.ok(selectorMatches({ matchLabels: svc.spec.selector }, deployment().spec.template.metadata.labels));
});

test("the Namespace carries control-plane=sidecarset-manager so the pod webhook skips it", () => {
  const ns = namespaceManifest() as unknown as { metadata: { name: string; labels: Record<string, string> } };
  assert.equal(ns.metadata.name, "sidecarset-system");
  assert.equal(ns.metadata.labels["control-plane"], "sidecarset-manager");
});

test("every namespaced object follows the namespace option", () => {
  for (const m of [...managerManifests({ namespace: "platform" }), namespaceManifest({ namespace: "platform" })]) {
    const meta = m.metadata as { name: string; namespace?: string };
    assert.equal(m.kind === "Namespace" ? meta.name : meta.namespace, "platform", m.kind);
  }
});

test("a disruption budget keeps one webhook server up, only when there are at least two replicas", () => {
  const pdb = podDisruptionBudget() as unknown as { spec: { minAvailable: number; selector: LabelSelector } };
  assert.equal(pdb.spec.minAvailable, 1);
  assert.ok(selectorMatches(pdb.spec.selector, deployment().spec.template.metadata.labels));
  assert.equal(podDisruptionBudget({ replicas: 1 }), undefined);
  assert.deepEqual(
    managerManifests({ replicas: 1 }).map((m) => m.kind),
    ["Service", "Service", "Deployment"],
  );
});

test("the conversion Service routes to every manager pod, ready or not, on the webhook port", () => {
  const webhook = webhookService() as unknown as { spec: Record<string, unknown> };
  const conversion = conversionService() as unknown as { metadata: { name: string; namespace: string }; spec: Record<string, unknown> };
  assert.equal(conversion.metadata.name, "sidecarset-webhook-conversion");
  assert.equal(conversion.metadata.namespace, "sidecarset-system");
  assert.equal(conversion.spec.publishNotReadyAddresses, true);
  assert.deepEqual(conversion.spec.selector, webhook.spec.selector);
  assert.deepEqual(conversion.spec.ports, webhook.spec.ports);
  assert.equal(webhook.spec.publishNotReadyAddresses, undefined, "admission goes to ready (synced) pods only");
});
