import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { displayPath, localUsage, startCommand } from "../../../src/cli/start.js";
import { repoRoot } from "../../../src/local/binary.js";

test("paths are shown relative to the working directory when that is shorter", () => {
  assert.equal(displayPath("/repo/examples/a.yaml", "/repo"), "examples/a.yaml");
  assert.equal(displayPath("/elsewhere/a.yaml", "/repo/deep/down"), "/elsewhere/a.yaml");
});

test("the usage lines give the kubeconfig, a kubectl on PATH and the three commands to try", () => {
  const lines = localUsage({ kubeconfigPath: "/state/admin.kubeconfig", kubectl: { path: "/bin-cache/k/kubectl", args: [] } }, repoRoot);
  assert.deepEqual(lines, [
    "  kubeconfig: /state/admin.kubeconfig",
    "  kubectl:    /bin-cache/k/kubectl",
    "",
    "Try it in another terminal:",
    "  export KUBECONFIG=/state/admin.kubeconfig",
    "  export PATH=/bin-cache/k:$PATH   # the kubectl above (any kubectl works)",
    "  kubectl apply -f examples/log-agent/sidecarset.yaml -f examples/log-agent/deployment.yaml",
    "  kubectl get sidecarsets",
    "  kubectl get pods -n demo",
  ]);
});

test("without the kubectl symlink the usage suggests an alias that runs the binary's kubectl", () => {
  const lines = localUsage({ kubeconfigPath: "/s/k", kubectl: { path: "/b/k8s-testbin", args: ["kubectl"] } }, "/somewhere/else");
  assert.ok(lines.includes("  alias kubectl='/b/k8s-testbin kubectl'"));
  assert.ok(lines.includes(`  kubectl apply -f ${join(repoRoot, "examples/log-agent/sidecarset.yaml")} -f ${join(repoRoot, "examples/log-agent/deployment.yaml")}`));
});

const badFlags: { name: string; args: string[]; message: RegExp }[] = [
  { name: "a webhook port out of range", args: ["--webhook-port", "70000"], message: /"70000" is not a port number between 1 and 65535/ },
  { name: "a negative restart delay", args: ["--restart-seconds", "-1"], message: /"-1" is not a number of seconds ≥ 0/ },
];
for (const c of badFlags) {
  test(`start refuses ${c.name} before doing anything`, async () => {
    let stderr = "";
    const cmd = startCommand().exitOverride().configureOutput({ writeErr: (s) => (stderr += s) });
    await assert.rejects(cmd.parseAsync(c.args, { from: "user" }));
    assert.match(stderr, c.message);
  });
}

test("when the example runs already the usage lines look at it instead of applying it again", () => {
  const lines = localUsage({ kubeconfigPath: "/s/k", kubectl: { path: "/b/kubectl", args: [] } }, repoRoot, true);
  assert.equal(lines.some((l) => l.includes("kubectl apply")), false);
  assert.deepEqual(lines.slice(-3), ["  kubectl get sidecarsets", "  kubectl get pods -n demo", "  kubectl describe sidecarset log-agent"]);
});
