// Two manager replicas under leader election, the leader SIGKILLed in the
// middle of a rollout: the other takes the Lease once it expires and finishes
// the rollout, admissions keep being answered, and the API server's audit log
// shows that pods were only ever written by one replica at a time. The
// replicas authenticate as the same ServiceAccount through different tokens,
// so the audit log tells them apart by user uid. See docs/reliability.md, "Faults".
import assert from "node:assert/strict";
import { test } from "node:test";
import { MUTATING_WEBHOOK_CONFIGURATION_NAME } from "../../src/manifests/options.js";
import { podWrites, readAuditLog } from "../support/audit.js";
import { RESTRICTED_USER } from "../support/cluster.js";
import { MANAGER_NAMESPACE, useEnvironment, waitFor, type Environment } from "../support/environment.js";
import { apiErrorCode, MERGE_PATCH, rawRequest, recordPodEvents } from "../support/kube.js";
import { RolloutInvariants } from "../support/invariants.js";
import { activePods, deploySettled, podName, runsSpecImage, setSidecarImage, SIDECAR, specImage, waitForAppPods, waitForStatus } from "../support/rollout.js";

const env = useEnvironment({ cluster: { auditLog: true }, managerArgs: ["--leader-elect"], kubelet: { restartDelayMs: 1_000 } });

const V1 = "registry.local/agent:1";
const V2 = "registry.local/agent:2";
const REPLICAS = 30;
const MAX_UNAVAILABLE = 3;
const PRIMARY_UID = "sidecarset-manager-uid";
const REPLICA_UID = "sidecarset-manager-replica-uid";

async function leaseHolder(e: Environment): Promise<string> {
  try {
    const lease = await e.clients.coordination.readNamespacedLease({ name: "sidecarset-manager", namespace: MANAGER_NAMESPACE });
    return lease.spec?.holderIdentity ?? "";
  } catch (err) {
    if (apiErrorCode(err) === 404) return "";
    throw err;
  }
}

/** The port the API server calls for pod admissions. */
async function mutatingWebhookPort(e: Environment): Promise<number> {
  const config = await e.clients.admission.readMutatingWebhookConfiguration({ name: MUTATING_WEBHOOK_CONFIGURATION_NAME });
  return Number(new URL(config.webhooks?.[0]?.clientConfig.url ?? "").port);
}

test("the leader SIGKILLed mid-rollout: the other replica takes over and finishes, admissions keep being answered, and only one replica writes pods at a time", async (t) => {
  const name = "leader-kill";
  const ns = name;
  const first = await waitFor("the first manager to take the Lease", async () => (await leaseHolder(env())) || undefined);
  await deploySettled(env(), name, { replicas: REPLICAS, image: V1, updateStrategy: { maxUnavailable: MAX_UNAVAILABLE } });

  // Out of the cluster each replica points the webhook configurations at itself when it starts: the newest one serves admissions.
  const second = await env().startReplica(["--leader-elect"], { kubeconfig: env().cluster.replicaKubeconfigPath });
  await waitFor("the webhook configurations to point at the second replica", async () => (await mutatingWebhookPort(env())) === second.webhookPort);
  assert.equal(await leaseHolder(env()), first, "the second replica waits for the Lease");

  const invariants = new RolloutInvariants({
    sidecarSet: name,
    sidecar: SIDECAR,
    app: "app",
    newImage: V2,
    pods: REPLICAS + 1,
    maxUnavailable: MAX_UNAVAILABLE,
    partition: 0,
  });
  const recorder = await recordPodEvents(env().clients.kc, ns, undefined, (type, pod) => invariants.observe(type, pod));
  try {
    await waitFor("the watch to list every pod", () => invariants.podCount() === REPLICAS);
    await setSidecarImage(env(), name, V2, { maxUnavailable: MAX_UNAVAILABLE });
    await waitFor("the rollout to be under way", () => invariants.upgraded() >= 2 * MAX_UNAVAILABLE, { timeoutMs: 60_000, intervalMs: 20 });
    const upgradedAtKill = invariants.upgraded();
    assert.ok(upgradedAtKill < REPLICAS, "the leader dies before the rollout is done");
    const existing = new Set((await activePods(env(), ns, name)).map(podName));
    await env().stopManager("SIGKILL");
    t.diagnostic(`leader killed with ${upgradedAtKill} of ${REPLICAS} pods upgraded`);

    // A pod created now, before or after the survivor takes the Lease, is injected by the survivor.
    await rawRequest(env().clients.kc, "PATCH", `/apis/apps/v1/namespaces/${ns}/deployments/${name}`, { spec: { replicas: REPLICAS + 1 } }, MERGE_PATCH);

    const survivor = await waitFor("the surviving replica to take the Lease", async () => {
      const holder = await leaseHolder(env());
      return holder && holder !== first ? holder : undefined;
    }, { timeoutMs: 60_000 });
    t.diagnostic(`Lease moved from ${first} to ${survivor}`);

    const pods = await waitForAppPods(env(), ns, name, REPLICAS + 1, (p) => specImage(p) === V2 && runsSpecImage(p), { timeoutMs: 120_000 });
    await waitForStatus(env(), name, { matchedPods: REPLICAS + 1, updatedPods: REPLICAS + 1, readyPods: REPLICAS + 1, updatedReadyPods: REPLICAS + 1 });
    const created = pods.filter((p) => !existing.has(podName(p)));
    assert.equal(created.length, 1, `one pod created after the kill: ${created.map(podName).join(", ")}`);
    const images = recorder.events.filter((e) => podName(e.pod) === podName(created[0]!)).map((e) => specImage(e.pod));
    assert.deepEqual([...new Set(images)], [V2], "the pod created after the kill was injected with the current sidecar");
  } finally {
    recorder.stop();
  }
  assert.deepEqual(invariants.violations, []);

  const writes = podWrites(readAuditLog(env().cluster.auditLogPath), ns).filter((e) => e.user.username === RESTRICTED_USER);
  const byPrimary = writes.filter((e) => e.user.uid === PRIMARY_UID);
  const byReplica = writes.filter((e) => e.user.uid === REPLICA_UID);
  assert.equal(byPrimary.length + byReplica.length, writes.length, "every manager write came from one of the two replicas");
  assert.ok(byPrimary.length > 0, "the first leader upgraded pods");
  assert.ok(byReplica.length > 0, "the survivor upgraded pods");
  const lastOfPrimary = byPrimary.at(-1)!.requestReceivedTimestamp;
  const firstOfReplica = byReplica[0]!.requestReceivedTimestamp;
  assert.ok(lastOfPrimary < firstOfReplica, `the survivor wrote its first pod (${firstOfReplica}) after the leader's last (${lastOfPrimary})`);
  await second.stop();
});
