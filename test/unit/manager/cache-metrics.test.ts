import assert from "node:assert/strict";
import { test } from "node:test";
import { Registry } from "prom-client";
import { registerCacheMetrics, type CacheMetricsSources } from "../../../src/manager/cache-metrics.js";

function sources(extra: Partial<CacheMetricsSources> = {}): CacheMetricsSources {
  return {
    webhook: () => ({ sidecarsets: 3 }),
    controller: () => undefined,
    synced: (side) => (side === "webhook" ? true : undefined),
    webhookEventLoopDelay: () => ({ p99: 0.012, max: 0.03 }),
    webhookHeap: () => ({ used: 9_000_000, total: 12_000_000 }),
    webhookConnections: () => ({ open: 7, idle: 5 }),
    webhookCertificate: () => ({ serialNumber: "0A1B", notAfter: 1_900_000_000 }),
    ...extra,
  };
}

test("the webhook thread's event-loop delay, heap and connections are one series per stat", async () => {
  const registry = new Registry();
  registerCacheMetrics(registry, sources());
  const text = await registry.metrics();
  assert.match(text, /^sidecarset_webhook_event_loop_delay_seconds\{stat="p99"\} 0\.012$/m);
  assert.match(text, /^sidecarset_webhook_event_loop_delay_seconds\{stat="max"\} 0\.03$/m);
  assert.match(text, /^sidecarset_webhook_heap_bytes\{stat="used"\} 9000000$/m);
  assert.match(text, /^sidecarset_webhook_heap_bytes\{stat="total"\} 12000000$/m);
  assert.match(text, /^sidecarset_webhook_connections\{stat="open"\} 7$/m);
  assert.match(text, /^sidecarset_webhook_connections\{stat="idle"\} 5$/m);
  assert.match(text, /^sidecarset_webhook_certificate_expiration_timestamp_seconds\{serial_number="0A1B"\} 1900000000$/m);
  assert.match(text, /^sidecarset_informer_objects\{side="webhook",informer="sidecarsets"\} 3$/m);
  assert.doesNotMatch(text, /side="controller"/, "no controller series on a replica without the controller");
});

test("before the webhook thread has reported, its gauges have no series", async () => {
  const registry = new Registry();
  registerCacheMetrics(
    registry,
    sources({ webhookEventLoopDelay: () => undefined, webhookHeap: () => undefined, webhookConnections: () => undefined, webhookCertificate: () => undefined }),
  );
  const text = await registry.metrics();
  assert.doesNotMatch(text, /^sidecarset_webhook_event_loop_delay_seconds\{/m);
  assert.doesNotMatch(text, /^sidecarset_webhook_heap_bytes\{/m);
  assert.doesNotMatch(text, /^sidecarset_webhook_connections\{/m);
  assert.doesNotMatch(text, /^sidecarset_webhook_certificate_expiration_timestamp_seconds[{ ]/m);
});
