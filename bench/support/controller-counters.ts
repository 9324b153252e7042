// What the cluster benches read of the manager's controller from its own
// /metrics: its reconciles and their time, keys' waits in its work queue, and
// the process's CPU time; and those figures over a stretch between two reads.
import { parseMetrics, sum } from "../../test/support/prometheus-text.js";

export interface ControllerCounters {
  reconciles: number;
  reconcileSeconds: number;
  queueWaitSeconds: number;
  queueWaits: number;
  cpuSeconds: number;
}

/** The counters in the text of the manager's /metrics. */
export function controllerCounters(metricsText: string): ControllerCounters {
  const total = (name: string) => sum(parseMetrics(metricsText, name), () => true);
  return {
    reconciles: total("controller_runtime_reconcile_total"),
    reconcileSeconds: total("controller_runtime_reconcile_time_seconds_sum"),
    queueWaitSeconds: total("workqueue_queue_duration_seconds_sum"),
    queueWaits: total("workqueue_queue_duration_seconds_count"),
    cpuSeconds: total("process_cpu_seconds_total"),
  };
}

export interface ControllerStretch {
  reconciles: number;
  /** Mean reconcile time and mean wait of a key in the work queue, in ms (NaN with none). */
  reconcileMs: number;
  queueWaitMs: number;
  cpuSeconds: number;
}

/** What the controller did between two reads. */
export function controllerStretch(before: ControllerCounters, after: ControllerCounters): ControllerStretch {
  const meanMs = (seconds: number, count: number) => (count > 0 ? (seconds / count) * 1000 : NaN);
  const reconciles = after.reconciles - before.reconciles;
  return {
    reconciles,
    reconcileMs: meanMs(after.reconcileSeconds - before.reconcileSeconds, reconciles),
    queueWaitMs: meanMs(after.queueWaitSeconds - before.queueWaitSeconds, after.queueWaits - before.queueWaits),
    cpuSeconds: after.cpuSeconds - before.cpuSeconds,
  };
}
