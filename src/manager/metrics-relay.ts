// The main thread's half of the webhook metrics relay (metrics-batcher.ts is
// the webhook thread's): batches land in the one registry behind /metrics.
import type { ManagerMetrics } from "../observability/metrics.js";
import { observeWebhook } from "../observability/metrics.js";
import type { WebhookMetricsBatch } from "./webhook-protocol.js";

/** Records a batch from the webhook thread in the main registry. */
export function applyMetricsBatch(metrics: ManagerMetrics, batch: WebhookMetricsBatch): void {
  for (const [path, status, seconds] of batch.requests) observeWebhook(metrics, path, status, seconds);
  for (const [sidecarset, n] of Object.entries(batch.injections)) metrics.injections.inc({ sidecarset }, n);
  if (batch.connections > 0) metrics.webhookConnections.inc(batch.connections);
  if (batch.connectionsLimited > 0) metrics.webhookConnectionLimitCloses.inc(batch.connectionsLimited);
}
