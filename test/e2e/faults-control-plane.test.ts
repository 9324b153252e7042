// The control plane under the manager fails: the API server crashes and comes
// back in the middle of a rollout, etcd does the same, and a watch comes back
// to a server that no longer has its resourceVersion (410 Gone after etcd
// compaction). Each time the watches recover, the rollout completes with every
// rule kept (test/support/invariants.ts), no pod is upgraded twice, and what
// changed while the manager could not watch is counted. See docs/reliability.md, "Faults".
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import type { Pod } from "../../src/api/kube-types.js";
import { podWrites, readAuditLog } from "../support/audit.js";
import { RESTRICTED_USER } from "../support/cluster.js";
import { useEnvironment, waitFor, type Environment } from "../support/environment.js";
import { MERGE_PATCH, rawRequest, recordPodEvents, type PodRecorder } from "../support/kube.js";
import { RolloutInvariants } from "../support/invariants.js";
import { activePods, deploySettled, podName, runsSpecImage, setSidecarImage, SIDECAR, specImage, waitForAppPods, waitForStatus } from "../support/rollout.js";

const env = useEnvironment({ cluster: { auditLog: true }, kubelet: { restartDelayMs: 1_000 } });

const V1 = "registry.local/agent:1";
const V2 = "registry.local/agent:2";
const REPLICAS = 24;
const MAX_UNAVAILABLE = 3;

/**
 * Feeds `invariants` from pod watches of `ns` for as long as `during` runs.
 * A control-plane restart ends a watch; `reconnect` starts the next one,
 * whose first events list every pod as the restarted server has it.
 */
async function watched<T>(e: Environment, ns: string, invariants: RolloutInvariants, during: (reconnect: () => Promise<void>) => Promise<T>): Promise<T> {
  let recorder: PodRecorder = await recordPodEvents(e.clients.kc, ns, undefined, (type, pod) => invariants.observe(type, pod));
  const reconnect = async () => {
    // The watch that the restart cut reports that, which is expected here.
    try {
      recorder.stop();
    } catch {
      // cut by the restart
    }
    recorder = await waitFor("a pod watch on the restarted control plane", () =>
      recordPodEvents(e.clients.kc, ns, undefined, (type, pod) => invariants.observe(type, pod)).catch(() => undefined),
    );
  };
  try {
    return await during(reconnect);
  } finally {
    recorder.stop();
  }
}

/** The manager's successful writes of each pod's spec (not its status) in `ns`, from the audit log. */
function specWritesByPod(e: Environment, ns: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const w of podWrites(readAuditLog(e.cluster.auditLogPath), ns)) {
    if (w.user.username !== RESTRICTED_USER || w.objectRef?.subresource) continue;
    const name = w.objectRef?.name ?? "";
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

async function rolloutThroughRestart(t: { diagnostic(m: string): void }, name: string, restart: () => Promise<void>): Promise<void> {
  const ns = name;
  const before = await deploySettled(env(), name, { replicas: REPLICAS, image: V1, updateStrategy: { maxUnavailable: MAX_UNAVAILABLE } });
  const uids = new Map(before.map((p) => [podName(p), p.metadata?.uid]));
  const invariants = new RolloutInvariants({ sidecarSet: name, sidecar: SIDECAR, app: "app", newImage: V2, pods: REPLICAS, maxUnavailable: MAX_UNAVAILABLE, partition: 0 });
  await watched(env(), ns, invariants, async (reconnect) => {
    await waitFor("the watch to list every pod", () => invariants.podCount() === REPLICAS);
    await setSidecarImage(env(), name, V2, { maxUnavailable: MAX_UNAVAILABLE });
    await waitFor("the rollout to be under way", () => invariants.upgraded() >= 2 * MAX_UNAVAILABLE, { timeoutMs: 60_000, intervalMs: 20 });
    t.diagnostic(`fault with ${invariants.upgraded()} of ${REPLICAS} pods upgraded`);
    assert.ok(invariants.upgraded() < REPLICAS, "the fault comes before the rollout is done");
    await restart();
    await reconnect();
    const after: Pod[] = await waitForAppPods(env(), ns, name, REPLICAS, (p) => specImage(p) === V2 && runsSpecImage(p), { timeoutMs: 120_000 });
    for (const p of after) assert.equal(p.metadata?.uid, uids.get(podName(p)), `${podName(p)} is the same pod, upgraded in place`);
    await waitForStatus(env(), name, { matchedPods: REPLICAS, updatedPods: REPLICAS, readyPods: REPLICAS, updatedReadyPods: REPLICAS });
  });
  assert.deepEqual(invariants.violations, []);
  const writes = specWritesByPod(env(), ns);
  const twice = [...writes].filter(([, n]) => n > 1);
  assert.deepEqual(twice, [], "no pod's spec was written twice (one upgrade each)");
  assert.ok(writes.size > 0, "the audit log shows the upgrades");
}

test("the API server crashes mid-rollout and comes back: the watches recover, the rollout completes within its rules, no pod upgraded twice", async (t) => {
  await rolloutThroughRestart(t, "apiserver-crash", () => env().cluster.restart("kube-apiserver", { signal: "SIGKILL", downMs: 1_000 }));
});

test("etcd crashes mid-rollout and comes back: the rollout completes within its rules, no pod upgraded twice", async (t) => {
  await rolloutThroughRestart(t, "etcd-crash", () => env().cluster.restart("etcd", { signal: "SIGKILL", downMs: 1_000 }));
});

test("a watch that comes back after etcd compaction gets 410 Gone, relists, and counts what changed meanwhile", async () => {
  const name = "watch-expiry";
  await deploySettled(env(), name, { replicas: 8, image: V1 });
  // Frozen, the manager sees nothing of what follows until its watches come back.
  env().signalManager("SIGSTOP");
  try {
    await rawRequest(env().clients.kc, "PATCH", `/apis/apps/v1/namespaces/${name}/deployments/${name}`, { spec: { replicas: 5 } }, MERGE_PATCH);
    await waitFor("the scale-down to remove three pods", async () => (await activePods(env(), name, name)).length === 5);
    await env().cluster.compactEtcd();
    await env().cluster.restart("kube-apiserver");
  } finally {
    env().signalManager("SIGCONT");
  }
  await waitForStatus(env(), name, { matchedPods: 5, updatedPods: 5, readyPods: 5, updatedReadyPods: 5 }, { timeoutMs: 60_000 });
  await waitFor("the manager's log to show the expired watch and the relist", () => readFileSync(env().managerLog, "utf8").includes("watch expired (410), relisting"));
});
