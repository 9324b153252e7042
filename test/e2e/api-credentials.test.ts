// How the manager holds its API credentials (src/kube/api-access.ts): a helper
// process resolves them and the manager watches the files they came from (the
// kubeconfig included), so a rotated token is used without a restart; credentials an exec plugin
// renews keep the client library in the process. The replicas authenticate as
// the same ServiceAccount through different tokens, so the API server's audit
// log tells the tokens apart by user uid.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { stringify as toYaml } from "yaml";
import { readAuditLog } from "../support/audit.js";
import { useEnvironment, waitFor, type Environment } from "../support/environment.js";

const env = useEnvironment({ cluster: { auditLog: true }, managerArgs: ["--leader-elect"] });

const FIRST_UID = "sidecarset-manager-uid";
const ROTATED_UID = "sidecarset-manager-replica-uid";

function tokenOf(kubeconfigPath: string): string {
  const match = /token: (\S+)/.exec(readFileSync(kubeconfigPath, "utf8"));
  assert.ok(match, `no token in ${kubeconfigPath}`);
  return match[1]!;
}

function kubeconfigWithUser(e: Environment, file: string, user: Record<string, unknown>): string {
  const path = join(e.cluster.dir, file);
  writeFileSync(
    path,
    toYaml({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "c", cluster: { server: e.cluster.server, "certificate-authority-data": Buffer.from(e.cluster.caPem).toString("base64") } }],
      users: [{ name: "manager", user }],
      contexts: [{ name: "manager", context: { cluster: "c", user: "manager" } }],
      "current-context": "manager",
    }),
    { mode: 0o600 },
  );
  return path;
}

function startLine(log: string): Record<string, unknown> {
  const line = readFileSync(log, "utf8")
    .split("\n")
    .find((l) => l.includes('"connecting to the API server"'));
  assert.ok(line, "the manager logs how it connects");
  return JSON.parse(line) as Record<string, unknown>;
}

/** Writes the API server received with the token of `uid` since `since` (the audit log records writes). */
const writesBy = (e: Environment, uid: string, since: string): number =>
  readAuditLog(e.cluster.auditLogPath).filter((a) => a.user.uid === uid && a.requestReceivedTimestamp > since).length;

/**
 * Starts a replica alone on `kubeconfig` (it holds the Lease and renews it every few seconds: a steady stream of
 * writes to tell the tokens apart by), checks that it uses the first token, calls `rotate`, and checks that
 * within seconds every request carries the rotated token and none the old one, without a restart.
 */
async function expectRotationPickedUp(t: TestContext, kubeconfig: string, rotate: () => void): Promise<void> {
  const started = new Date().toISOString();
  const replica = await env().startReplica(["--leader-elect"], { kubeconfig });
  t.after(() => replica.stop());
  assert.equal(startLine(replica.log).credentials, "helper-process");
  await waitFor("Lease renewals with the first token", async () => writesBy(env(), FIRST_UID, started) > 0, { timeoutMs: 60_000, intervalMs: 1_000 });

  const rotatedAt = new Date().toISOString();
  rotate();
  // The files are checked every 10 s.
  await waitFor("writes with the rotated token", async () => writesBy(env(), ROTATED_UID, rotatedAt) > 0, { timeoutMs: 60_000, intervalMs: 1_000 });
  await new Promise((r) => setTimeout(r, 1_000));
  const settled = new Date().toISOString();
  await new Promise((r) => setTimeout(r, 8_000));
  assert.ok(writesBy(env(), ROTATED_UID, settled) > 0, "the rotated token keeps being used");
  assert.equal(writesBy(env(), FIRST_UID, settled), 0, "no request carries the old token any more");
  const res = await fetch(`http://127.0.0.1:${replica.metricsPort}/readyz`);
  assert.equal(res.status, 200, "the replica stays ready across the rotation");
}

test("a rotated service-account token file is picked up without a restart, from credentials a helper process resolved", async (t) => {
  await env().stopManager();
  const tokenFile = join(env().cluster.dir, "rotating-token");
  writeFileSync(tokenFile, tokenOf(env().cluster.restrictedKubeconfigPath), { mode: 0o600 });
  const kubeconfig = kubeconfigWithUser(env(), "token-file.kubeconfig", { "auth-provider": { name: "tokenFile", config: { tokenFile } } });
  await expectRotationPickedUp(t, kubeconfig, () => writeFileSync(tokenFile, tokenOf(env().cluster.replicaKubeconfigPath)));
});

test("a token written into the kubeconfig itself is picked up without a restart", async (t) => {
  await env().stopManager();
  const file = "embedded-token.kubeconfig";
  const kubeconfig = kubeconfigWithUser(env(), file, { token: tokenOf(env().cluster.restrictedKubeconfigPath) });
  await expectRotationPickedUp(t, kubeconfig, () => kubeconfigWithUser(env(), file, { token: tokenOf(env().cluster.replicaKubeconfigPath) }));
});

test("credentials an exec plugin renews load the client library in the process and work", async (t) => {
  const plugin = join(env().cluster.dir, "exec-plugin.mjs");
  const credential = { apiVersion: "client.authentication.k8s.io/v1", kind: "ExecCredential", status: { token: tokenOf(env().cluster.restrictedKubeconfigPath) } };
  writeFileSync(plugin, `process.stdout.write(${JSON.stringify(JSON.stringify(credential))});\n`);
  const kubeconfig = kubeconfigWithUser(env(), "exec.kubeconfig", {
    exec: { apiVersion: "client.authentication.k8s.io/v1", command: process.execPath, args: [plugin], interactiveMode: "Never" },
  });
  const replica = await env().startReplica(["--leader-elect"], { kubeconfig });
  t.after(() => replica.stop());
  const line = startLine(replica.log);
  assert.equal(line.credentials, "in-process");
  assert.match(String(line.why), /exec credential plugin/);
});
