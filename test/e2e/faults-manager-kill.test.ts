// The manager killed (SIGKILL, no graceful shutdown) again and again during a
// rollout of 300 pods and restarted each time. Where it dies is chosen by a
// seeded generator: the seed is printed, and FAULTS_SEED=<seed> replays the
// same kill points. An invariant checker sees every pod version the API
// server reports (test/support/invariants.ts). See docs/reliability.md, "Faults".
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { useEnvironment, waitFor } from "../support/environment.js";
import { recordPodEvents } from "../support/kube.js";
import { RolloutInvariants } from "../support/invariants.js";
import {
  activePods,
  awaitTwoReconciles,
  deploySettled,
  podName,
  runsSpecImage,
  setSidecarImage,
  SIDECAR,
  specImage,
  upgradeOrder,
  waitForAppPods,
  waitForStatus,
} from "../support/rollout.js";
import { patchSidecarSet } from "../support/sidecarsets.js";

const env = useEnvironment();

const V1 = "registry.local/agent:1";
const V2 = "registry.local/agent:2";
const REPLICAS = 300;
const MAX_UNAVAILABLE = "10%";
const BUDGET = 30;
const KILLS = 10;

const seed = process.env.FAULTS_SEED ? Number(process.env.FAULTS_SEED) : Date.now() % 2 ** 31;

/** The partition, and the numbers of upgraded pods at which the manager is killed (ascending, distinct; 0 = right after the change). */
function killPlan(seed: number): { partition: number; killAt: number[] } {
  const plan = fc.integer({ min: 20, max: 80 }).chain((partition) =>
    fc.record({
      partition: fc.constant(partition),
      killAt: fc.uniqueArray(fc.integer({ min: 0, max: REPLICAS - partition - 1 }), { minLength: KILLS, maxLength: KILLS }),
    }),
  );
  const [sample] = fc.sample(plan, { seed, numRuns: 1 });
  return { partition: sample!.partition, killAt: [...sample!.killAt].sort((a, b) => a - b) };
}

test(`SIGKILLed at ${KILLS} points of a 300-pod rollout and restarted each time, the manager keeps every rollout invariant and finishes`, async (t) => {
  const { partition, killAt } = killPlan(seed);
  t.diagnostic(`FAULTS_SEED=${seed}: partition ${partition}, kills at ${killAt.join(", ")} upgraded pods`);
  const name = "manager-kill";
  const ns = name;
  await deploySettled(env(), name, { replicas: REPLICAS, image: V1, updateStrategy: { maxUnavailable: MAX_UNAVAILABLE } });

  const invariants = new RolloutInvariants({
    sidecarSet: name,
    sidecar: SIDECAR,
    app: "app",
    newImage: V2,
    pods: REPLICAS,
    maxUnavailable: BUDGET,
    partition,
  });
  const recorder = await recordPodEvents(env().clients.kc, ns, undefined, (type, pod) => invariants.observe(type, pod));
  try {
    await waitFor("the watch to list every pod", () => invariants.podCount() === REPLICAS);
    await setSidecarImage(env(), name, V2, { maxUnavailable: MAX_UNAVAILABLE, partition });
    const killedAt: number[] = [];
    for (const point of killAt) {
      await waitFor(`${point} pods asked for ${V2}`, () => invariants.upgraded() >= point, { timeoutMs: 120_000, intervalMs: 20 });
      killedAt.push(invariants.upgraded());
      await env().restartManager([], { signal: "SIGKILL" });
    }
    t.diagnostic(`killed with ${killedAt.join(", ")} pods upgraded`);
    assert.deepEqual(invariants.violations, [], `FAULTS_SEED=${seed}`);

    // The partitioned end state, exactly, and it stays so.
    const upgradedCount = REPLICAS - partition;
    await waitForStatus(
      env(),
      name,
      { matchedPods: REPLICAS, updatedPods: upgradedCount, readyPods: REPLICAS, updatedReadyPods: upgradedCount },
      { timeoutMs: 180_000 },
    );
    await awaitTwoReconciles(env(), name);
    const held = await activePods(env(), ns, name);
    assert.equal(held.length, REPLICAS);
    assert.equal(held.filter((p) => specImage(p) === V2 && runsSpecImage(p)).length, upgradedCount, `FAULTS_SEED=${seed}`);
    assert.equal(held.filter((p) => specImage(p) === V1 && runsSpecImage(p)).length, partition, `FAULTS_SEED=${seed}`);
    assert.equal(upgradeOrder(recorder, V2).length, upgradedCount, "no pod beyond the partition was ever asked for the new image");

    invariants.setPartition(0);
    await patchSidecarSet(env(), name, { spec: { updateStrategy: { partition: null } } });
    const final = await waitForAppPods(env(), ns, name, REPLICAS, (p) => specImage(p) === V2 && runsSpecImage(p), { timeoutMs: 180_000 });
    await waitForStatus(env(), name, { matchedPods: REPLICAS, updatedPods: REPLICAS, readyPods: REPLICAS, updatedReadyPods: REPLICAS });

    // Each pod's sidecar restarted exactly once, for its one image change: no upgrade was applied twice.
    const restarts = final.filter((p) => p.status?.containerStatuses?.find((c) => c.name === SIDECAR)?.restartCount !== 1).map(podName);
    assert.deepEqual(restarts, [], `sidecars restarted other than once (FAULTS_SEED=${seed})`);
  } finally {
    recorder.stop();
  }
  assert.deepEqual(invariants.violations, [], `FAULTS_SEED=${seed}`);
  assert.ok(invariants.worstUnavailable > 0, "the checker saw upgrades in flight (otherwise it proves nothing)");
});
