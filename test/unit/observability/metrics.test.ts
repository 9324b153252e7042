import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { totalmem } from "node:os";
import { getHeapStatistics } from "node:v8";
import { test } from "node:test";
import { WorkQueue } from "../../../src/kube/workqueue.js";
import { createMetrics, effectiveMemoryLimit, forgetControllerGauges, forgetSidecarSet, observeReconcile, observeWebhook, reportSidecarSetStatus, setKruiseSidecarSetState, setProgressVerdict, setSidecarSetStatus, workqueueMetrics } from "../../../src/observability/metrics.js";

async function text(m: ReturnType<typeof createMetrics>): Promise<string> {
  return m.registry.metrics();
}

test("the controller-runtime and client-go metric names dashboards expect are registered", async () => {
  const m = createMetrics();
  const names = (await m.registry.getMetricsAsJSON()).map((x) => x.name);
  for (const name of [
    "controller_runtime_webhook_latency_seconds",
    "controller_runtime_webhook_requests_total",
    "controller_runtime_reconcile_total",
    "controller_runtime_reconcile_time_seconds",
    "controller_runtime_reconcile_errors_total",
    "workqueue_depth",
    "workqueue_adds_total",
    "workqueue_retries_total",
    "leader_election_master_status",
    "sidecarset_injections_total",
    "sidecarset_pods_upgraded_total",
    "sidecarset_status_matched_pods",
    "sidecarset_status_updated_pods",
    "sidecarset_status_ready_pods",
    "sidecarset_status_updated_ready_pods",
    "sidecarset_status_not_injected_pods",
  ]) {
    assert.ok(names.includes(name), `${name} registered`);
  }
});

test("sidecarset_build_info is 1 with the package's and Node.js's versions", async () => {
  const { version } = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };
  assert.match(await text(createMetrics()), new RegExp(`^sidecarset_build_info\\{version="${version.replaceAll(".", "\\.")}",nodejs_version="${process.version.replaceAll(".", "\\.")}"\\} 1$`, "m"));
});

test("the heap limit and the memory limit the memory alert compares with are this process's", async () => {
  const exposed = await text(createMetrics());
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(exposed)?.[1]);
  assert.equal(value("sidecarset_heap_limit_bytes"), getHeapStatistics().heap_size_limit);
  const limit = value("sidecarset_memory_limit_bytes");
  assert.ok(limit > 0 && limit <= totalmem(), `memory limit ${limit}`);
});

test("the memory limit is the container's when it has one, else the machine's memory", () => {
  const machine = 24 * 2 ** 30;
  assert.equal(effectiveMemoryLimit(512 * 2 ** 20, machine), 512 * 2 ** 20);
  assert.equal(effectiveMemoryLimit(0, machine), machine, "no limit known");
  assert.equal(effectiveMemoryLimit(2 ** 44, machine), machine, "cgroup v1's unlimited");
});

test("two metric sets do not collide (each has its own registry)", () => {
  createMetrics();
  assert.doesNotThrow(() => createMetrics());
});

test("a reconcile is counted by result, timed, and an error also counts as an error", async () => {
  const m = createMetrics();
  observeReconcile(m, "sidecarset", "success", 0.2);
  observeReconcile(m, "sidecarset", "error", 0.1);
  const out = await text(m);
  assert.match(out, /controller_runtime_reconcile_total\{controller="sidecarset",result="success"\} 1/);
  assert.match(out, /controller_runtime_reconcile_total\{controller="sidecarset",result="error"\} 1/);
  assert.match(out, /controller_runtime_reconcile_errors_total\{controller="sidecarset"\} 1/);
  assert.match(out, /controller_runtime_reconcile_time_seconds_count\{controller="sidecarset"\} 2/);
});

test("webhook requests are timed per webhook and counted per code", async () => {
  const m = createMetrics();
  observeWebhook(m, "/mutate-pod", 200, 0.003);
  observeWebhook(m, "/mutate-pod", 400, 0.001);
  const out = await text(m);
  assert.match(out, /controller_runtime_webhook_latency_seconds_count\{webhook="\/mutate-pod"\} 2/);
  assert.match(out, /controller_runtime_webhook_requests_total\{webhook="\/mutate-pod",code="400"\} 1/);
});

test("a work queue wired to the metrics reports depth, adds and retries under its name", async () => {
  const m = createMetrics();
  const q = new WorkQueue<string>({ name: "sidecarset", metrics: workqueueMetrics(m, "sidecarset") });
  q.add("a");
  q.add("b");
  q.add("a");
  q.addRateLimited("c");
  const out = await text(m);
  assert.match(out, /workqueue_depth\{name="sidecarset"\} 2/);
  assert.match(out, /workqueue_adds_total\{name="sidecarset"\} 2/);
  assert.match(out, /workqueue_retries_total\{name="sidecarset"\} 1/);
  await q.shutDown();
});

test("per-SidecarSet status gauges are set, and removed when the SidecarSet is forgotten", async () => {
  const m = createMetrics();
  setSidecarSetStatus(m, "log-agent", { matchedPods: 20, updatedPods: 10, readyPods: 19, updatedReadyPods: 9, notInjectedPods: 1 });
  m.injections.inc({ sidecarset: "log-agent" });
  let out = await text(m);
  assert.match(out, /sidecarset_status_matched_pods\{sidecarset="log-agent"\} 20/);
  assert.match(out, /sidecarset_status_updated_ready_pods\{sidecarset="log-agent"\} 9/);
  assert.match(out, /sidecarset_status_not_injected_pods\{sidecarset="log-agent"\} 1/);
  forgetSidecarSet(m, "log-agent");
  out = await text(m);
  assert.doesNotMatch(out, /sidecarset="log-agent"/);
});

test("the progress deadline's gauges: halted and failed pods while it is on, no series when it is off or forgotten", async () => {
  const m = createMetrics();
  setProgressVerdict(m, "log-agent", { halted: true, failed: [{}, {}] });
  let out = await text(m);
  assert.match(out, /sidecarset_rollout_halted\{sidecarset="log-agent"\} 1/);
  assert.match(out, /sidecarset_failed_upgrades\{sidecarset="log-agent"\} 2/);
  setProgressVerdict(m, "log-agent", { halted: false, failed: [] });
  assert.match(await text(m), /sidecarset_rollout_halted\{sidecarset="log-agent"\} 0/);
  setProgressVerdict(m, "log-agent", undefined);
  assert.doesNotMatch(await text(m), /sidecarset_rollout_halted\{/);
  setProgressVerdict(m, "log-agent", { halted: true, failed: [{}] });
  forgetSidecarSet(m, "log-agent");
  out = await text(m);
  assert.doesNotMatch(out, /sidecarset="log-agent"/);
});

test("default process metrics are added only when asked for", async () => {
  assert.doesNotMatch(await text(createMetrics()), /process_cpu_user_seconds_total/);
  assert.match(await text(createMetrics({ defaultMetrics: true })), /process_cpu_user_seconds_total/);
});

test("kruise-state-metrics' SidecarSet series follow the SidecarSet, label-valued series are replaced, and all go with it", async () => {
  const m = createMetrics();
  const state = {
    name: "log-agent",
    created: 1_767_225_600,
    generation: 3,
    observedGeneration: 3,
    matchedPods: 10,
    updatedPods: 4,
    readyPods: 9,
    updatedReadyPods: 4,
    maxUnavailable: 2,
    partition: "60%",
    strategyType: "RollingUpdate",
  };
  setKruiseSidecarSetState(m, state);
  let out = await text(m);
  const l = 'namespace="",sidecarset="log-agent"';
  assert.match(out, new RegExp(`^kruise_sidecarset_status_replicas_matched\\{${l}\\} 10$`, "m"));
  assert.match(out, new RegExp(`^kruise_sidecarset_status_replicas_updated_ready\\{${l}\\} 4$`, "m"));
  assert.match(out, new RegExp(`^kruise_sidecarset_created\\{${l}\\} 1767225600$`, "m"));
  assert.match(out, new RegExp(`^kruise_sidecarset_spec_strategy_partition\\{${l},partition="60%"\\} 0$`, "m"));
  setKruiseSidecarSetState(m, { ...state, partition: "20%", strategyType: "NotUpdate" });
  out = await text(m);
  assert.doesNotMatch(out, /partition="60%"/);
  assert.doesNotMatch(out, /strategy_type="RollingUpdate"/);
  assert.match(out, /strategy_type="NotUpdate"/);
  forgetSidecarSet(m, "log-agent");
  assert.doesNotMatch(await text(m), /sidecarset="log-agent"/);
});

test("a controller's term ending drops every SidecarSet gauge, keeps the counters, and the next report sets them all again", async () => {
  const m = createMetrics();
  const counts = { matchedPods: 20, updatedPods: 10, readyPods: 19, updatedReadyPods: 9, notInjectedPods: 1 };
  const state = { name: "log-agent", generation: 3, observedGeneration: 3, matchedPods: 20, updatedPods: 10, readyPods: 19, updatedReadyPods: 9, maxUnavailable: 2, partition: "50%", strategyType: "RollingUpdate" };
  reportSidecarSetStatus(m, counts, state);
  setProgressVerdict(m, "log-agent", { halted: true, failed: [1, 2] });
  m.podsUpgraded.inc({ sidecarset: "log-agent" }, 3);
  m.injections.inc({ sidecarset: "log-agent" });
  forgetControllerGauges(m);
  const gone = (await text(m)).split("\n").filter((line) => line.includes('sidecarset="log-agent"'));
  assert.deepEqual(gone, ['sidecarset_injections_total{sidecarset="log-agent"} 1', 'sidecarset_pods_upgraded_total{sidecarset="log-agent"} 3']);
  // The same values again (a new term, nothing changed meanwhile) are all reported, not taken for unchanged.
  reportSidecarSetStatus(m, counts, state);
  const out = await text(m);
  assert.match(out, /^sidecarset_status_matched_pods\{sidecarset="log-agent"\} 20$/m);
  assert.match(out, /^kruise_sidecarset_status_replicas_matched\{namespace="",sidecarset="log-agent"\} 20$/m);
  assert.match(out, /^kruise_sidecarset_spec_strategy_partition\{namespace="",sidecarset="log-agent",partition="50%"\} 0$/m);
});

test("a status report sets both families of series, then only those whose value changed, and all again after the SidecarSet was forgotten", async () => {
  const m = createMetrics();
  const counts = { matchedPods: 20, updatedPods: 10, readyPods: 19, updatedReadyPods: 9, notInjectedPods: 1 };
  const state = { name: "log-agent", generation: 3, observedGeneration: 3, matchedPods: 20, updatedPods: 10, readyPods: 19, updatedReadyPods: 9, maxUnavailable: 2, strategyType: "RollingUpdate" };
  reportSidecarSetStatus(m, counts, state);
  let out = await text(m);
  assert.match(out, /^sidecarset_status_updated_pods\{sidecarset="log-agent"\} 10$/m);
  assert.match(out, /^kruise_sidecarset_status_replicas_updated\{namespace="",sidecarset="log-agent"\} 10$/m);
  // Moved behind the report's back: an unchanged report leaves it, a changed one sets it.
  m.statusUpdated.set({ sidecarset: "log-agent" }, 99);
  reportSidecarSetStatus(m, { ...counts }, { ...state });
  assert.match(await text(m), /^sidecarset_status_updated_pods\{sidecarset="log-agent"\} 99$/m);
  reportSidecarSetStatus(m, { ...counts, updatedPods: 11 }, { ...state, updatedPods: 11 });
  out = await text(m);
  assert.match(out, /^sidecarset_status_updated_pods\{sidecarset="log-agent"\} 11$/m);
  assert.match(out, /^kruise_sidecarset_status_replicas_updated\{namespace="",sidecarset="log-agent"\} 11$/m);
  // Only the series whose value changed are set.
  m.statusReady.set({ sidecarset: "log-agent" }, 77);
  reportSidecarSetStatus(m, { ...counts, updatedPods: 12 }, { ...state, updatedPods: 12 });
  out = await text(m);
  assert.match(out, /^sidecarset_status_ready_pods\{sidecarset="log-agent"\} 77$/m);
  assert.match(out, /^sidecarset_status_updated_pods\{sidecarset="log-agent"\} 12$/m);
  // A label-valued series changing sets them all, replacing the old label value.
  reportSidecarSetStatus(m, { ...counts, updatedPods: 11 }, { ...state, updatedPods: 11, partition: "50%" });
  out = await text(m);
  assert.match(out, /^sidecarset_status_ready_pods\{sidecarset="log-agent"\} 19$/m);
  assert.match(out, /^kruise_sidecarset_spec_strategy_partition\{namespace="",sidecarset="log-agent",partition="50%"\} 0$/m);
  forgetSidecarSet(m, "log-agent");
  reportSidecarSetStatus(m, { ...counts, updatedPods: 11 }, { ...state, updatedPods: 11, partition: "50%" });
  out = await text(m);
  assert.match(out, /^sidecarset_status_updated_pods\{sidecarset="log-agent"\} 11$/m);
  assert.match(out, /^kruise_sidecarset_status_replicas_matched\{namespace="",sidecarset="log-agent"\} 20$/m);
});
