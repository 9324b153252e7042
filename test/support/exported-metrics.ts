// What the manager (and, for the series the monitoring reads from it, the API
// server) exports, by metric name with its type and labels: what the alerting
// rules' and the dashboard's queries are checked against.
import type { Registry } from "prom-client";
import { registerCacheMetrics } from "../../src/manager/cache-metrics.js";
import { createMetrics } from "../../src/observability/metrics.js";
import { histogramOfSeries } from "./promql.js";

export interface Exported {
  type: string;
  labels: Set<string>;
}

/** The manager's registry: the main thread's metrics, the cache gauges and the webhook thread's (recorded into it). */
function managerRegistry(defaultMetrics: boolean): Registry {
  const { registry } = createMetrics({ defaultMetrics });
  const none = () => undefined;
  registerCacheMetrics(registry, { webhook: none, controller: none, synced: none, webhookEventLoopDelay: none, webhookHeap: none, webhookConnections: none, webhookCertificate: none });
  return registry;
}

/**
 * Metrics the monitoring reads from the API server, with their labels as k8s.io/apiserver defines them
 * (test/e2e/faults-webhook.test.ts reads the rejection count from a real API server).
 */
export const API_SERVER_METRICS: ReadonlyMap<string, Exported> = new Map([
  ["apiserver_admission_webhook_rejection_count", { type: "counter", labels: new Set(["name", "type", "operation", "error_type", "rejection_code"]) }],
  ["apiserver_admission_webhook_admission_duration_seconds", { type: "histogram", labels: new Set(["name", "type", "operation", "rejected"]) }],
]);

/** The manager's metrics (with prom-client's process and Node.js ones when `defaultMetrics`) and API_SERVER_METRICS. */
export function exportedMetrics(defaultMetrics = false): Map<string, Exported> {
  const out = new Map<string, Exported>(API_SERVER_METRICS);
  for (const metric of managerRegistry(defaultMetrics).getMetricsAsArray()) {
    const { name, type, labelNames } = metric as unknown as { name: string; type: string; labelNames?: string[] };
    out.set(name, { type, labels: new Set(labelNames ?? []) });
  }
  return out;
}

/** The metric a series belongs to (a histogram's series are its name plus _bucket, _sum and _count). */
export function exportedSeries(exported: Map<string, Exported>, series: string): { name: string; metric: Exported; extraLabels: string[] } | undefined {
  const direct = exported.get(series);
  if (direct) return { name: series, metric: direct, extraLabels: [] };
  const of = histogramOfSeries(series);
  const base = of && exported.get(of.histogram);
  if (!of || !base || base.type !== "histogram") return undefined;
  return { name: of.histogram, metric: base, extraLabels: of.suffix === "bucket" ? ["le"] : [] };
}
