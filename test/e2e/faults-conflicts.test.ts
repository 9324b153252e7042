// Another client writes the same pods' labels and annotations, round after
// round, while the manager upgrades them: half the rounds as merge patches
// (which never conflict), half as read-modify-write updates carrying the
// resourceVersion they read (which conflict with the manager's guarded
// patches and are retried). Neither side may lose the other's writes. See
// docs/reliability.md, "Faults".
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pod } from "../../src/api/kube-types.js";
import { readAuditLog } from "../support/audit.js";
import { RESTRICTED_USER } from "../support/cluster.js";
import { useEnvironment } from "../support/environment.js";
import { apiErrorCode, getPod, MERGE_PATCH, rawRequest, recordPodEvents } from "../support/kube.js";
import { RolloutInvariants } from "../support/invariants.js";
import { activePods, deploySettled, podName, runsSpecImage, setSidecarImage, SIDECAR, specImage, waitForAppPods, waitForStatus } from "../support/rollout.js";

const env = useEnvironment({ cluster: { auditLog: true } });

const V1 = "registry.local/agent:1";
const V2 = "registry.local/agent:2";
const REPLICAS = 40;
const MAX_UNAVAILABLE = 4;
const ROUND_LABEL = "example.com/writer-round";
const roundAnnotation = (round: number): string => `example.com/round-${round}`;

/** One round of the other writer on one pod: a label saying which round, an annotation per round. */
async function writeRound(ns: string, pod: string, round: number, guarded: boolean): Promise<{ conflicts: number }> {
  const kc = env().clients.kc;
  const path = `/api/v1/namespaces/${ns}/pods/${pod}`;
  const labels = { [ROUND_LABEL]: String(round) };
  const annotations = { [roundAnnotation(round)]: pod };
  if (!guarded) {
    await rawRequest(kc, "PATCH", path, { metadata: { labels, annotations } }, MERGE_PATCH);
    return { conflicts: 0 };
  }
  for (let conflicts = 0; ; conflicts++) {
    const current = await getPod(kc, ns, pod);
    const next: Pod = {
      ...current,
      metadata: {
        ...current.metadata,
        labels: { ...current.metadata?.labels, ...labels },
        annotations: { ...current.metadata?.annotations, ...annotations },
      },
    };
    try {
      await rawRequest(kc, "PUT", path, next);
      return { conflicts };
    } catch (err) {
      if (apiErrorCode(err) !== 409) throw err;
    }
  }
}

/** Runs `task` over `items`, `width` at a time. */
async function eachLimited<T>(items: readonly T[], width: number, task: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: width }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await task(item);
  }));
}

test("another client writing the pods' labels and annotations during the rollout loses nothing, and the rollout completes", async (t) => {
  const name = "conflicting-writers";
  const ns = name;
  await deploySettled(env(), name, { replicas: REPLICAS, image: V1, updateStrategy: { maxUnavailable: MAX_UNAVAILABLE } });
  const names = (await activePods(env(), ns, name)).map(podName);

  const invariants = new RolloutInvariants({ sidecarSet: name, sidecar: SIDECAR, app: "app", newImage: V2, pods: REPLICAS, maxUnavailable: MAX_UNAVAILABLE, partition: 0 });
  const recorder = await recordPodEvents(env().clients.kc, ns, undefined, (type, pod) => invariants.observe(type, pod));
  let rounds = 0;
  let conflicts = 0;
  try {
    await setSidecarImage(env(), name, V2, { maxUnavailable: MAX_UNAVAILABLE });
    let done = false;
    const rollout = waitForAppPods(env(), ns, name, REPLICAS, (p) => specImage(p) === V2 && runsSpecImage(p), { timeoutMs: 180_000 }).finally(() => (done = true));
    rollout.catch(() => undefined); // awaited below; a failure must not count as unhandled meanwhile
    // At least a few rounds, and rounds for as long as the rollout runs.
    while (!done || rounds < 4) {
      const round = ++rounds;
      await eachLimited(names, 8, async (pod) => {
        conflicts += (await writeRound(ns, pod, round, round % 2 === 0)).conflicts;
      });
    }
    await rollout;
    await waitForStatus(env(), name, { matchedPods: REPLICAS, updatedPods: REPLICAS, readyPods: REPLICAS, updatedReadyPods: REPLICAS });
  } finally {
    recorder.stop();
  }
  // How often the manager's guarded patches met the other writer (the audit log has the refused ones too).
  const managerConflicts = readAuditLog(env().cluster.auditLogPath).filter(
    (e) => e.user.username === RESTRICTED_USER && e.objectRef?.resource === "pods" && e.objectRef.namespace === ns && e.responseStatus?.code === 409,
  ).length;
  t.diagnostic(`${rounds} rounds of writes over ${REPLICAS} pods; conflicts: ${conflicts} retried by the other writer, ${managerConflicts} met by the manager`);
  assert.deepEqual(invariants.violations, []);

  // The other writer's side: every round's annotation and the last round's label, on every pod.
  for (const pod of await activePods(env(), ns, name)) {
    assert.equal(pod.metadata?.labels?.[ROUND_LABEL], String(rounds), `${podName(pod)}: the last round's label`);
    for (let round = 1; round <= rounds; round++) {
      assert.equal(pod.metadata?.annotations?.[roundAnnotation(round)], podName(pod), `${podName(pod)}: round ${round}'s annotation`);
    }
  }
  // And at no instant did a pod lose an annotation of the other writer once it had it.
  const seen = new Map<string, number>();
  for (const { type, pod } of recorder.events) {
    if (type !== "MODIFIED") continue;
    const count = Object.keys(pod.metadata?.annotations ?? {}).filter((k) => k.startsWith("example.com/round-")).length;
    assert.ok(count >= (seen.get(podName(pod)) ?? 0), `${podName(pod)} rv ${pod.metadata?.resourceVersion}: the other writer's annotations went from ${seen.get(podName(pod))} to ${count}`);
    seen.set(podName(pod), count);
  }
});
