// Prometheus metrics. Names and labels follow controller-runtime and client-go
// where the concept exists there (the names OpenKruise exports), so dashboards
// built for OpenKruise's manager keep working; the sidecarset_* series are ours.
import { totalmem } from "node:os";
import { getHeapStatistics } from "node:v8";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { packageVersion } from "../manifests/options.js";

/** Histogram buckets of controller-runtime's reconcile_time_seconds. */
const RECONCILE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60];
/** Prometheus' default buckets, as controller-runtime uses for webhook latency. */
const WEBHOOK_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** client-go's workqueue buckets: 1ns .. 10s, ×10. */
const WORKQUEUE_BUCKETS = [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10];

export type ReconcileResult = "success" | "error" | "requeue" | "requeue_after";

export interface SidecarSetStatusCounts {
  matchedPods: number;
  updatedPods: number;
  readyPods: number;
  updatedReadyPods: number;
  notInjectedPods: number;
}

export interface ManagerMetrics {
  registry: Registry;
  webhookLatency: Histogram<"webhook">;
  webhookRequests: Counter<"webhook" | "code">;
  webhookInFlight: Gauge<"webhook">;
  webhookConnections: Counter;
  webhookConnectionLimitCloses: Counter;
  reconcileTotal: Counter<"controller" | "result">;
  reconcileTime: Histogram<"controller">;
  reconcileErrors: Counter<"controller">;
  activeWorkers: Gauge<"controller">;
  workqueueDepth: Gauge<"name">;
  workqueueAdds: Counter<"name">;
  workqueueRetries: Counter<"name">;
  workqueueQueueDuration: Histogram<"name">;
  workqueueWorkDuration: Histogram<"name">;
  leaderStatus: Gauge<"name">;
  injections: Counter<"sidecarset">;
  podsUpgraded: Counter<"sidecarset">;
  sidecarSetReconcileErrors: Counter<"sidecarset">;
  statusMatched: Gauge<"sidecarset">;
  statusUpdated: Gauge<"sidecarset">;
  statusReady: Gauge<"sidecarset">;
  statusUpdatedReady: Gauge<"sidecarset">;
  statusNotInjected: Gauge<"sidecarset">;
  rolloutHalted: Gauge<"sidecarset">;
  failedUpgrades: Gauge<"sidecarset">;
  podWebhookScoped: Gauge;
  podWebhookScopeFallbacks: Counter<"reason">;
  /** 1, labelled with the running build's version and Node.js's: which replica runs what during an upgrade. */
  buildInfo: Gauge<"version" | "nodejs_version">;
  kruise: KruiseStateGauges;
}

/** kruise-state-metrics' SidecarSet series, so dashboards built on them keep working. */
export interface KruiseStateGauges {
  created: Gauge<"namespace" | "sidecarset">;
  matched: Gauge<"namespace" | "sidecarset">;
  updated: Gauge<"namespace" | "sidecarset">;
  ready: Gauge<"namespace" | "sidecarset">;
  updatedReady: Gauge<"namespace" | "sidecarset">;
  observedGeneration: Gauge<"namespace" | "sidecarset">;
  generation: Gauge<"namespace" | "sidecarset">;
  maxUnavailable: Gauge<"namespace" | "sidecarset">;
  partition: Gauge<"namespace" | "sidecarset" | "partition">;
  strategyType: Gauge<"namespace" | "sidecarset" | "strategy_type">;
  /** Per SidecarSet, the label values of the series that carry a value as a label (to drop them when it changes). */
  valueLabels: Map<string, { partition?: string; strategyType: string }>;
  /**
   * Per SidecarSet, the values its status series (ours and these) were last set to: a reconcile changes few
   * of them, and each set validates and hashes its labels.
   */
  reported: Map<string, { counts: SidecarSetStatusCounts; state: KruiseSidecarSetState }>;
}

/** What kruise-state-metrics reports of one SidecarSet. */
export interface KruiseSidecarSetState {
  name: string;
  /** Unix seconds, or undefined when unknown. */
  created?: number;
  generation: number;
  observedGeneration: number;
  matchedPods: number;
  updatedPods: number;
  readyPods: number;
  updatedReadyPods: number;
  /** maxUnavailable as a pod count. */
  maxUnavailable: number;
  /** updateStrategy.partition as written, when set. */
  partition?: string;
  strategyType: string;
}

export interface MetricsOptions {
  /** Add process_* and nodejs_* series (the manager does; tests need not). */
  defaultMetrics?: boolean;
}

/**
 * The container's memory limit when there is one below the machine's memory, else the machine's memory: without
 * a limit Node.js reports 0 or a huge sentinel (cgroup v1's "unlimited").
 */
export function effectiveMemoryLimit(constrained: number, machine: number): number {
  return constrained > 0 && constrained < machine ? constrained : machine;
}

export function createMetrics(opts: MetricsOptions = {}): ManagerMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const counter = <L extends string>(name: string, help: string, labelNames: L[]) =>
    new Counter<L>({ name, help, labelNames, registers });
  const gauge = <L extends string>(name: string, help: string, labelNames: L[]) =>
    new Gauge<L>({ name, help, labelNames, registers });
  const histogram = <L extends string>(name: string, help: string, labelNames: L[], buckets: number[]) =>
    new Histogram<L>({ name, help, labelNames, buckets, registers });
  const buildInfo = gauge("sidecarset_build_info", "1, labelled with the version of the running manager and of Node.js", ["version", "nodejs_version"]);
  buildInfo.set({ version: packageVersion(), nodejs_version: process.version }, 1);
  // What SidecarSetManagerMemoryNearLimit compares nodejs_heap_size_used_bytes and process_resident_memory_bytes with.
  gauge("sidecarset_heap_limit_bytes", "The main thread's V8 heap limit (Node.js sets it at about half the container's memory limit): the process ends when its live objects reach it", []).set(getHeapStatistics().heap_size_limit);
  gauge("sidecarset_memory_limit_bytes", "The memory the process may use: its cgroup's memory limit, else the machine's memory", []).set(effectiveMemoryLimit(process.constrainedMemory?.() ?? 0, totalmem()));
  // Only the Lease holder reads the pod webhook's configuration: until it has, and on every other replica, no value.
  const podWebhookScoped = gauge("sidecarset_pod_webhook_scoped", "1 while the pod webhook's matchConditions limit it to pods a SidecarSet could select, 0 while it is called for every pod; reported by the replica that holds the Lease", []);
  podWebhookScoped.remove({});

  return {
    registry,
    webhookLatency: histogram("controller_runtime_webhook_latency_seconds", "Histogram of the latency of processing admission requests", ["webhook"], WEBHOOK_BUCKETS),
    webhookRequests: counter("controller_runtime_webhook_requests_total", "Total number of admission requests by HTTP status code.", ["webhook", "code"]),
    webhookInFlight: gauge("controller_runtime_webhook_requests_in_flight", "Current number of admission requests being served.", ["webhook"]),
    webhookConnectionLimitCloses: counter("sidecarset_webhook_connection_limit_closes_total", "Idle connections the webhook server closed because it held its maximum of open connections: steady growth means some client opens connections and leaves them idle", []),
    webhookConnections: counter("sidecarset_webhook_connections_total", "Connections the webhook server accepted (TLS handshakes done). The API server keeps them open between calls: a rise at the rate of admissions means each call pays a new handshake", []),
    reconcileTotal: counter("controller_runtime_reconcile_total", "Total number of reconciliations per controller", ["controller", "result"]),
    reconcileTime: histogram("controller_runtime_reconcile_time_seconds", "Length of time per reconciliation per controller", ["controller"], RECONCILE_BUCKETS),
    reconcileErrors: counter("controller_runtime_reconcile_errors_total", "Total number of reconciliation errors per controller", ["controller"]),
    activeWorkers: gauge("controller_runtime_active_workers", "Number of currently used workers per controller", ["controller"]),
    workqueueDepth: gauge("workqueue_depth", "Current depth of workqueue", ["name"]),
    workqueueAdds: counter("workqueue_adds_total", "Total number of adds handled by workqueue", ["name"]),
    workqueueRetries: counter("workqueue_retries_total", "Total number of retries handled by workqueue", ["name"]),
    workqueueQueueDuration: histogram("workqueue_queue_duration_seconds", "How long in seconds an item stays in workqueue before being requested", ["name"], WORKQUEUE_BUCKETS),
    workqueueWorkDuration: histogram("workqueue_work_duration_seconds", "How long in seconds processing an item from workqueue takes.", ["name"], WORKQUEUE_BUCKETS),
    leaderStatus: gauge("leader_election_master_status", "Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master. 'name' is the string used to identify the lease.", ["name"]),
    injections: counter("sidecarset_injections_total", "Pods the admission webhook injected a SidecarSet's containers into", ["sidecarset"]),
    podsUpgraded: counter("sidecarset_pods_upgraded_total", "Pods whose sidecar containers were upgraded in place", ["sidecarset"]),
    sidecarSetReconcileErrors: counter("sidecarset_reconcile_errors_total", "Reconciles of the SidecarSet that failed (each is retried with backoff; the Reconciled condition has the error)", ["sidecarset"]),
    statusMatched: gauge("sidecarset_status_matched_pods", "status.matchedPods of the SidecarSet", ["sidecarset"]),
    statusUpdated: gauge("sidecarset_status_updated_pods", "status.updatedPods of the SidecarSet", ["sidecarset"]),
    statusReady: gauge("sidecarset_status_ready_pods", "status.readyPods of the SidecarSet", ["sidecarset"]),
    statusUpdatedReady: gauge("sidecarset_status_updated_ready_pods", "status.updatedReadyPods of the SidecarSet", ["sidecarset"]),
    statusNotInjected: gauge("sidecarset_status_not_injected_pods", "status.notInjectedPods: selected pods created without the SidecarSet's sidecars", ["sidecarset"]),
    rolloutHalted: gauge("sidecarset_rollout_halted", "1 while the SidecarSet's rollout is halted by its progress deadline, else 0 (only for SidecarSets with sidecarset.io/progress-deadline-seconds)", ["sidecarset"]),
    failedUpgrades: gauge("sidecarset_failed_upgrades", "Pods upgraded to the current revision that failed (not ready by the deadline, restarted, or stuck pulling or crash-looping)", ["sidecarset"]),
    podWebhookScoped,
    buildInfo,
    podWebhookScopeFallbacks: counter("sidecarset_pod_webhook_scope_fallbacks_total", "Times the pod webhook went back to every pod: the SidecarSets could not be expressed (cannot-express), the expression was too long (too-long), or the API server refused it (rejected)", ["reason"]),
    kruise: {
      created: gauge("kruise_sidecarset_created", "Unix creation timestamp", ["namespace", "sidecarset"]),
      matched: gauge("kruise_sidecarset_status_replicas_matched", "The number of matched replicas per sidecarset.", ["namespace", "sidecarset"]),
      updated: gauge("kruise_sidecarset_status_replicas_updated", "The number of updated replicas per sidecarset.", ["namespace", "sidecarset"]),
      ready: gauge("kruise_sidecarset_status_replicas_ready", "The number of ready replicas per sidecarset.", ["namespace", "sidecarset"]),
      updatedReady: gauge("kruise_sidecarset_status_replicas_updated_ready", "The number of update and ready replicas per sidecarset.", ["namespace", "sidecarset"]),
      observedGeneration: gauge("kruise_sidecarset_status_observed_generation", "The generation observed by the sidecarset controller.", ["namespace", "sidecarset"]),
      generation: gauge("kruise_sidecarset_spec_metadata_generation", "Sequence number representing a specific generation of the desired state.", ["namespace", "sidecarset"]),
      maxUnavailable: gauge("kruise_sidecarset_spec_strategy_rollingupdate_max_unavailable", "Maximum number of unavailable replicas during a rolling update of a sidecarset.", ["namespace", "sidecarset"]),
      partition: gauge("kruise_sidecarset_spec_strategy_partition", "Desired number or percent of Pods in old revisions.", ["namespace", "sidecarset", "partition"]),
      strategyType: gauge("kruise_sidecarset_spec_strategy_type", "The type of updateStrategy.", ["namespace", "sidecarset", "strategy_type"]),
      valueLabels: new Map(),
      reported: new Map(),
    },
  };
}

/** Our status series, each with the count it reports. */
const STATUS_SERIES = [
  ["statusMatched", "matchedPods"],
  ["statusUpdated", "updatedPods"],
  ["statusReady", "readyPods"],
  ["statusUpdatedReady", "updatedReadyPods"],
  ["statusNotInjected", "notInjectedPods"],
] as const;

/** kruise-state-metrics' series whose value is a number of the state (the label-valued ones aside). */
const KRUISE_VALUE_SERIES = [
  ["matched", "matchedPods"],
  ["updated", "updatedPods"],
  ["ready", "readyPods"],
  ["updatedReady", "updatedReadyPods"],
  ["observedGeneration", "observedGeneration"],
  ["generation", "generation"],
  ["maxUnavailable", "maxUnavailable"],
] as const;

/**
 * Sets kruise-state-metrics' series for one SidecarSet, with its labels
 * (`namespace` is empty: SidecarSets are cluster-scoped). Series carrying a
 * value as a label (partition, strategy type) are replaced when it changes.
 */
export function setKruiseSidecarSetState(m: ManagerMetrics, s: KruiseSidecarSetState): void {
  const k = m.kruise;
  const labels = { namespace: "", sidecarset: s.name };
  if (s.created !== undefined) k.created.set(labels, s.created);
  for (const [series, field] of KRUISE_VALUE_SERIES) k[series].set(labels, s[field]);
  const previous = k.valueLabels.get(s.name);
  if (previous?.partition !== undefined && previous.partition !== s.partition) k.partition.remove({ ...labels, partition: previous.partition });
  if (previous && previous.strategyType !== s.strategyType) k.strategyType.remove({ ...labels, strategy_type: previous.strategyType });
  // As kruise-state-metrics: the value is in the label, the sample itself is 0.
  if (s.partition !== undefined) k.partition.set({ ...labels, partition: s.partition }, 0);
  k.strategyType.set({ ...labels, strategy_type: s.strategyType }, 0);
  k.valueLabels.set(s.name, { ...(s.partition !== undefined ? { partition: s.partition } : {}), strategyType: s.strategyType });
}

/** Hooks for one WorkQueue (structurally its WorkQueueMetricsSink). */
export function workqueueMetrics(m: ManagerMetrics, name: string) {
  const labels = { name };
  m.workqueueDepth.set(labels, 0);
  return {
    depth: (n: number) => m.workqueueDepth.set(labels, n),
    added: () => m.workqueueAdds.inc(labels),
    retried: () => m.workqueueRetries.inc(labels),
    queueLatency: (s: number) => m.workqueueQueueDuration.observe(labels, s),
    workDuration: (s: number) => m.workqueueWorkDuration.observe(labels, s),
  };
}

/** Records one reconcile of `controller` with its outcome and duration. */
export function observeReconcile(m: ManagerMetrics, controller: string, result: ReconcileResult, seconds: number): void {
  m.reconcileTotal.inc({ controller, result });
  m.reconcileTime.observe({ controller }, seconds);
  if (result === "error") m.reconcileErrors.inc({ controller });
}

/** Records one admission request, as the webhook server's onRequestDone hook. */
export function observeWebhook(m: ManagerMetrics, webhook: string, code: number, seconds: number): void {
  m.webhookLatency.observe({ webhook }, seconds);
  m.webhookRequests.inc({ webhook, code: String(code) });
}

/**
 * Sets one SidecarSet's status series, ours and kruise-state-metrics', as
 * setSidecarSetStatus and setKruiseSidecarSetState do, setting only those
 * whose value changed since the last report.
 */
export function reportSidecarSetStatus(m: ManagerMetrics, counts: SidecarSetStatusCounts, state: KruiseSidecarSetState): void {
  const k = m.kruise;
  const last = k.reported.get(state.name);
  k.reported.set(state.name, { counts: { ...counts }, state: { ...state } });
  if (!last || last.state.created !== state.created || last.state.partition !== state.partition || last.state.strategyType !== state.strategyType) {
    setSidecarSetStatus(m, state.name, counts);
    setKruiseSidecarSetState(m, state);
    return;
  }
  const labels = { sidecarset: state.name };
  for (const [series, field] of STATUS_SERIES) if (counts[field] !== last.counts[field]) m[series].set(labels, counts[field]);
  const kruiseLabels = { namespace: "", sidecarset: state.name };
  for (const [series, field] of KRUISE_VALUE_SERIES) if (state[field] !== last.state[field]) k[series].set(kruiseLabels, state[field]);
}

export function setSidecarSetStatus(m: ManagerMetrics, sidecarset: string, s: SidecarSetStatusCounts): void {
  const labels = { sidecarset };
  for (const [series, field] of STATUS_SERIES) m[series].set(labels, s[field]);
}

/** The progress deadline's verdict for one SidecarSet; undefined (no deadline asked for) drops its series. */
export function setProgressVerdict(m: ManagerMetrics, sidecarset: string, verdict: { halted: boolean; failed: readonly unknown[] } | undefined): void {
  const labels = { sidecarset };
  if (!verdict) {
    m.rolloutHalted.remove(labels);
    m.failedUpgrades.remove(labels);
    return;
  }
  m.rolloutHalted.set(labels, verdict.halted ? 1 : 0);
  m.failedUpgrades.set(labels, verdict.failed.length);
}

/**
 * Drops the gauges only a running controller keeps current (each SidecarSet's status counts, kruise-state-metrics'
 * series, the progress verdict), when its term ends: a replica that lost the Lease would otherwise go on reporting
 * the values of its last reconciles beside the new holder's, and an alert or a panel taking the max over replicas
 * would show them (a rollout halted that the new holder has resumed). Counters stay: a rate of one that no longer
 * grows is 0. The next term reports every SidecarSet afresh.
 */
export function forgetControllerGauges(m: ManagerMetrics): void {
  for (const [series] of STATUS_SERIES) m[series].reset();
  m.rolloutHalted.reset();
  m.failedUpgrades.reset();
  const k = m.kruise;
  k.created.reset();
  for (const [series] of KRUISE_VALUE_SERIES) k[series].reset();
  k.partition.reset();
  k.strategyType.reset();
  k.valueLabels.clear();
  k.reported.clear();
}

/** Drops every per-SidecarSet series of a deleted SidecarSet, so gauges do not report it forever. */
export function forgetSidecarSet(m: ManagerMetrics, sidecarset: string): void {
  const labels = { sidecarset };
  for (const metric of [m.injections, m.podsUpgraded, m.sidecarSetReconcileErrors, m.rolloutHalted, m.failedUpgrades]) metric.remove(labels);
  for (const [series] of STATUS_SERIES) m[series].remove(labels);
  const k = m.kruise;
  const kruiseLabels = { namespace: "", sidecarset };
  k.created.remove(kruiseLabels);
  for (const [series] of KRUISE_VALUE_SERIES) k[series].remove(kruiseLabels);
  const previous = k.valueLabels.get(sidecarset);
  if (previous?.partition !== undefined) k.partition.remove({ ...kruiseLabels, partition: previous.partition });
  if (previous) k.strategyType.remove({ ...kruiseLabels, strategy_type: previous.strategyType });
  k.valueLabels.delete(sidecarset);
  k.reported.delete(sidecarset);
}
