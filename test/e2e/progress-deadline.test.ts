// The progress deadline (docs/behaviour.md §7a.5) through the real API server
// and controller. The sidecar image under test starts, passes readiness for a
// while, then crashes and keeps crashing. Without the annotation the rollout
// behaves as OpenKruise's: each upgraded pod frees its maxUnavailable slot
// while it is ready, so the bad image spreads well past five pods. With it,
// the first failure halts the rollout; a resume, or a new revision, lifts it.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pod } from "../../src/api/kube-types.js";
import { MAX_FAILED_UPGRADES_ANNOTATION, PROGRESS_DEADLINE_ANNOTATION, RESUMED_AT_ANNOTATION } from "../../src/api/keys.js";
import { formatTimestamp } from "../../src/api/pod-records.js";
import { apiServerMetrics } from "../../bench/support/api-server-metrics.js";
import { WEBHOOK_NAMES, WEBHOOK_PATHS } from "../../src/manifests/alerts.js";
import { alertSelectorsWithoutData, panelsWithoutData } from "../support/monitoring-data.js";
import { useEnvironment, waitFor } from "../support/environment.js";
import { scrapeMetrics } from "../support/prometheus-text.js";
import { resolvePromtool } from "../support/promtool.js";
import { MERGE_PATCH, rawRequest, recordPodEvents, type PodRecorder } from "../support/kube.js";
import {
  activePods,
  awaitTwoReconciles,
  deploySettled,
  podName,
  setSidecarImage,
  SIDECAR,
  specImage,
  upgradeOrder,
  waitForAppPods,
  waitForStatus,
  runsSpecImage,
} from "../support/rollout.js";
import { getSidecarSet, patchSidecarSet, sidecarSetEvents, type SidecarSetObject } from "../support/sidecarsets.js";

// Per upgraded pod: one second to restart on the new image, ready for 1.5 s,
// then down for a short back-off, and again. A fourth batch of five takes at
// least three restarts (3 s); the first crash comes 2.5 s in. The pods are
// ready most of the time, so maxUnavailable alone never holds the image back.
// In namespace BAD_NODE_NS only the pods labelled as on a bad node crash.
// The kubelet learns of pod changes 600 ms late, as a busy node's does: a
// crash-looping container it brings back from its back-off in that moment
// still runs the old image, and must not count against the new one.
const BAD_NODE_NS = "bad-node";
const BAD_NODE_LABEL = "example.com/bad-node";
const env = useEnvironment({
  // As the shipped Deployment runs it, so the dashboard's Lease panel has its series (the last test).
  managerArgs: ["--leader-elect"],
  kubelet: {
    changesSeenAfterMs: 600,
    restartDelayMs: 1_000,
    crashLoop: {
      runsForMs: 1_500,
      backOffMs: 300,
      affects: (pod) => pod.metadata?.namespace !== BAD_NODE_NS || pod.metadata?.labels?.[BAD_NODE_LABEL] === "true",
    },
  },
});

const REPLICAS = 20;
const STRATEGY = { maxUnavailable: 5 };
const V1 = "registry.local/agent:1";
const CRASHING = "registry.local/agent:2-crashloop";
const V3 = "registry.local/agent:3";

/** The first recorded moment a pod's sidecar reported a crash of the image under test. */
function firstCrash(recorder: PodRecorder): number {
  return recorder.events.findIndex(({ pod }) =>
    (pod.status?.containerStatuses ?? []).some((s) => s.name === SIDECAR && s.image === CRASHING && s.state?.waiting?.reason === "CrashLoopBackOff"),
  );
}

/** Pods whose spec first asked for `image` after recorded event `index`. */
function patchedAfter(recorder: PodRecorder, index: number, image: string): string[] {
  const before = new Set(recorder.events.slice(0, index + 1).filter(({ pod }) => specImage(pod) === image).map(({ pod }) => podName(pod)));
  return upgradeOrder(recorder, image).filter((name) => !before.has(name));
}

const progressing = (set: SidecarSetObject) => set.status?.conditions?.find((c) => c.type === "Progressing");

function waitForProgressing(name: string, status: string, reason: string, accept: (message: string) => boolean = () => true): Promise<SidecarSetObject> {
  return waitFor(
    `Progressing=${status} (${reason}) on ${name}`,
    async () => {
      const set = await getSidecarSet(env(), name);
      const c = progressing(set);
      if (c?.status === status && c.reason === reason && accept(c.message ?? "")) return set;
      // Thrown, not returned: waitFor reports the last one on timeout, so a failure shows what the condition said.
      throw new Error(c ? `Progressing=${c.status} (${c.reason}): ${c.message ?? ""}` : "no Progressing condition");
    },
    { timeoutMs: 60_000 },
  );
}

const withBadImage = (pods: readonly Pod[]): string[] => pods.filter((p) => specImage(p) === CRASHING).map(podName).sort();

test("without the annotation (as OpenKruise): a crash-looping image spreads past maxUnavailable 5, and no Progressing condition is written", async () => {
  const name = "no-deadline";
  await deploySettled(env(), name, { replicas: REPLICAS, image: V1, updateStrategy: STRATEGY });
  const recorder = await recordPodEvents(env().clients.kc, name);
  try {
    await setSidecarImage(env(), name, CRASHING);
    await waitForStatus(env(), name, { matchedPods: REPLICAS, updatedPods: REPLICAS }, { timeoutMs: 90_000 });
    const crash = await waitFor("a recorded crash of the new image", () => (firstCrash(recorder) >= 0 ? firstCrash(recorder) : undefined));
    const later = patchedAfter(recorder, crash, CRASHING);
    assert.ok(later.length > 0, "the rollout went on after an upgraded pod had crashed");
    assert.equal(upgradeOrder(recorder, CRASHING).length, REPLICAS, "every pod got the crashing image");
    assert.equal(progressing(await getSidecarSet(env(), name)), undefined, "no Progressing condition without the annotation");
  } finally {
    recorder.stop();
  }
});

test("with the annotation: the first failure halts the rollout; a resume lifts it until the next failure, and a new revision completes", async () => {
  const name = "deadline";
  await deploySettled(env(), name, { replicas: REPLICAS, image: V1, updateStrategy: STRATEGY });
  await patchSidecarSet(env(), name, { metadata: { annotations: { [PROGRESS_DEADLINE_ANNOTATION]: "60" } } });
  await waitForProgressing(name, "True", "Complete");

  await setSidecarImage(env(), name, CRASHING);
  const halted = await waitForProgressing(name, "False", "ProgressDeadlineExceeded");
  assert.match(progressing(halted)?.message ?? "", /failed on revision .*: deadline\/.* \(agent: (Restarted|CrashLoopBackOff)\)/);

  // From the halt on, a recorded watch shows every pod write; two full reconciles later none gave the image to
  // another pod — nor after the manager is killed and a new one, which remembers nothing, has reconciled twice.
  const recorder = await recordPodEvents(env().clients.kc, name);
  let badAtHalt: string[];
  try {
    badAtHalt = withBadImage(await activePods(env(), name, name));
    await awaitTwoReconciles(env(), name);
    assert.deepEqual(withBadImage(recorder.events.map((e) => e.pod)).filter((n) => !badAtHalt.includes(n)), [], "no pod was patched after the halt");
    await env().restartManager([], { signal: "SIGKILL" });
    await awaitTwoReconciles(env(), name);
    assert.deepEqual(withBadImage(recorder.events.map((e) => e.pod)).filter((n) => !badAtHalt.includes(n)), [], "no pod was patched by the restarted manager");
    assert.equal(progressing(await getSidecarSet(env(), name))?.reason, "ProgressDeadlineExceeded", "the restarted manager still reports the halt");
  } finally {
    recorder.stop();
  }
  assert.ok(badAtHalt.length < REPLICAS, `the halt kept ${REPLICAS - badAtHalt.length} pod(s) on the old image`);
  const events = await waitFor("a ProgressDeadlineExceeded event", async () => {
    const list = await sidecarSetEvents(env(), name, "ProgressDeadlineExceeded");
    return list.length > 0 ? list : undefined;
  });
  assert.equal(events[0]!.type, "Warning");
  assert.ok(badAtHalt.some((pod) => events[0]!.message.includes(`${name}/${pod}`)), `the event names a failed pod: ${events[0]!.message}`);

  // A resume forgives the pods patched so far: the rollout continues, and the next pods it patches crash and halt it again.
  await patchSidecarSet(env(), name, { metadata: { annotations: { [RESUMED_AT_ANNOTATION]: formatTimestamp(new Date()) } } });
  const more = await waitFor("a pod patched after the resume", async () => {
    const bad = withBadImage(await activePods(env(), name, name));
    return bad.length > badAtHalt.length ? bad.filter((n) => !badAtHalt.includes(n)) : undefined;
  }, { timeoutMs: 60_000 });
  await waitForProgressing(name, "False", "ProgressDeadlineExceeded", (message) => more.some((pod) => message.includes(`${name}/${pod}`)));

  // A new revision is not held by the old one's failures, nor by the crashes of the old image in pods it patches.
  await setSidecarImage(env(), name, V3);
  await waitForAppPods(env(), name, name, REPLICAS, (p) => specImage(p) === V3 && runsSpecImage(p));
  await waitForStatus(env(), name, { matchedPods: REPLICAS, updatedPods: REPLICAS, updatedReadyPods: REPLICAS });
  await waitForProgressing(name, "True", "Complete");
});

test("max-failed-upgrades 2, a bad node failing only its own pods: the first failure is tolerated, the second halts, healthy pods on the new image do not count", async () => {
  const name = BAD_NODE_NS;
  // Upgrade order by weight: the first pod on the bad node, three healthy ones, the second bad-node pod, the rest.
  const RANK = "example.com/rank";
  const weightPriority = [4, 3, 2].map((w) => ({ weight: w, matchSelector: { matchLabels: { [RANK]: String(w) } } }));
  const pods = (await deploySettled(env(), name, { replicas: 10, image: V1, updateStrategy: { maxUnavailable: 1, priorityStrategy: { weightPriority } } })).map(podName);
  const [first, second] = [pods[0]!, pods[4]!];
  const labels: [string, Record<string, string>][] = pods.slice(0, 5).map((pod, i) => [pod, { [RANK]: i === 0 ? "4" : i === 4 ? "2" : "3" }]);
  for (const [pod, rank] of labels) {
    const bad = pod === first || pod === second ? { [BAD_NODE_LABEL]: "true" } : {};
    await rawRequest(env().clients.kc, "PATCH", `/api/v1/namespaces/${name}/pods/${pod}`, { metadata: { labels: { ...rank, ...bad } } }, MERGE_PATCH);
  }
  await patchSidecarSet(env(), name, { metadata: { annotations: { [PROGRESS_DEADLINE_ANNOTATION]: "60", [MAX_FAILED_UPGRADES_ANNOTATION]: "2" } } });
  await waitForProgressing(name, "True", "Complete");

  const recorder = await recordPodEvents(env().clients.kc, name);
  let message: string;
  try {
    await setSidecarImage(env(), name, CRASHING);
    const halted = await waitForProgressing(name, "False", "ProgressDeadlineExceeded");
    message = progressing(halted)?.message ?? "";
    const crash = firstCrash(recorder);
    assert.equal(podName(recorder.events[crash]!.pod), first, "the first crash is the first bad-node pod's");
    assert.ok(patchedAfter(recorder, crash, CRASHING).includes(second), "one failure did not halt: the second bad-node pod was patched after the first crashed");
  } finally {
    recorder.stop();
  }
  assert.match(message, /^2 upgraded pod\(s\) failed/);
  for (const pod of [first, second]) assert.ok(message.includes(`${name}/${pod}`), `the halt names ${pod} on the bad node: ${message}`);

  await awaitTwoReconciles(env(), name);
  const after = await activePods(env(), name, name);
  const healthy = after.filter((p) => specImage(p) === CRASHING && ![first, second].includes(podName(p)));
  assert.ok(healthy.length >= 3, `the three healthy pods ordered between the bad ones run the new image: ${healthy.map(podName).join(", ")}`);
  for (const p of healthy) assert.ok(!message.includes(`${name}/${podName(p)}`), `${podName(p)} runs the image fine off the bad node and is not named`);
  assert.ok(after.some((p) => specImage(p) === V1), "the halt kept some pods on the old image");
});

test("after these rollouts every panel of the Grafana dashboard, and every series an alert selects, has this manager's and its API server's series, but those only failures bring", async () => {
  const [manager, apiServer] = [await scrapeMetrics(env().metricsPort), await apiServerMetrics(env())];
  assert.deepEqual((await alertSelectorsWithoutData(resolvePromtool(), manager, apiServer)).sort(), [
    `SidecarSetReconcileFailing: sidecarset_reconcile_errors_total`,
    `SidecarSetWebhookErrors: controller_runtime_webhook_requests_total{webhook=~"${WEBHOOK_PATHS}",code=~"5.."}`,
    `SidecarSetWebhookUnreachable: apiserver_admission_webhook_rejection_count{name=~"${WEBHOOK_NAMES}",error_type="calling_webhook_error"}`,
  ]);
  const empty = await panelsWithoutData(resolvePromtool(), manager, apiServer);
  assert.deepEqual(empty.sort(), [
    // Only once a reconcile failed.
    "Failed reconciles per SidecarSet",
    // Only once the API server failed to call a webhook (test/e2e/faults-webhook.test.ts reads that count).
    "Requests the API server refused: webhook not callable",
  ]);
});
