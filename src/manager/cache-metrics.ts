// Gauges that show what each side of the manager caches, how responsive the
// webhook thread is, how much heap it holds and which certificate it serves: a
// standby replica shows no controller series at all (it holds no pod), the
// webhook thread's event-loop delay is what every admission pays on top of its
// handler, its heap is not in the process's default heap metrics (those are the
// main thread's), and the certificate is the one it presents, renewed or not.
import { Gauge, type Registry } from "prom-client";
import type { ServedCertificate } from "../webhook/server.js";

export interface CacheMetricsSources {
  /** Cached objects per informer of the webhook thread (its last reported state). */
  webhook(): Record<string, number> | undefined;
  /** Cached objects per informer of the controller; undefined while it does not run here. */
  controller(): Record<string, number> | undefined;
  /** Whether a side's caches synced; undefined while that side does not run here. */
  synced(side: "webhook" | "controller"): boolean | undefined;
  /** Event-loop delay of the webhook thread since the previous scrape, in seconds. */
  webhookEventLoopDelay(): { p99: number; max: number } | undefined;
  /** The webhook thread's V8 heap in bytes (its last reported state). */
  webhookHeap(): { used: number; total: number } | undefined;
  /** The webhook server's open and idle connections (its last reported state). */
  webhookConnections(): { open: number; idle: number } | undefined;
  /** The certificate the webhook server presents (its last reported state). */
  webhookCertificate(): ServedCertificate | undefined;
}

export function registerCacheMetrics(registry: Registry, sources: CacheMetricsSources): void {
  new Gauge({
    name: "sidecarset_informer_objects",
    help: "Objects in an informer cache, by side (webhook, controller) and informer; no controller series while this replica does not run the controller",
    labelNames: ["side", "informer"],
    registers: [registry],
    collect() {
      this.reset();
      for (const side of ["webhook", "controller"] as const) {
        for (const [informer, n] of Object.entries(sources[side]() ?? {})) this.set({ side, informer }, n);
      }
    },
  });
  new Gauge({
    name: "sidecarset_cache_synced",
    help: "1 once a side's informer caches synced, 0 while they sync; no controller series while this replica does not run the controller",
    labelNames: ["side"],
    registers: [registry],
    collect() {
      this.reset();
      for (const side of ["webhook", "controller"] as const) {
        const synced = sources.synced(side);
        if (synced !== undefined) this.set({ side }, synced ? 1 : 0);
      }
    },
  });
  statsGauge(
    registry,
    "sidecarset_webhook_event_loop_delay_seconds",
    "Event-loop delay of the webhook thread since the previous scrape (p99 and max)",
    () => sources.webhookEventLoopDelay(),
  );
  statsGauge(
    registry,
    "sidecarset_webhook_heap_bytes",
    "V8 heap of the webhook thread (used, total); nodejs_heap_size_* cover the main thread only",
    () => sources.webhookHeap(),
  );
  statsGauge(
    registry,
    "sidecarset_webhook_connections",
    "Connections the webhook server holds open (open) and those of them waiting idle (idle); past 512 open the longest idle is closed",
    () => sources.webhookConnections(),
  );
  new Gauge({
    name: "sidecarset_webhook_certificate_expiration_timestamp_seconds",
    help: "When the serving certificate the webhook server presents expires (seconds since the epoch), by its serial number; it follows renewals and replaced files",
    // A label keeps the gauge without a series until the thread has reported (a bare gauge would read 0: expired).
    labelNames: ["serial_number"],
    registers: [registry],
    collect() {
      this.reset();
      const certificate = sources.webhookCertificate();
      if (certificate) this.set({ serial_number: certificate.serialNumber }, certificate.notAfter);
    },
  });
}

/** A gauge with one series per `stat` label value: the fields of what `read` returns, none while it returns undefined. */
function statsGauge(registry: Registry, name: string, help: string, read: () => Record<string, number> | undefined): void {
  new Gauge({
    name,
    help,
    labelNames: ["stat"],
    registers: [registry],
    collect() {
      this.reset();
      for (const [stat, value] of Object.entries(read() ?? {})) this.set({ stat }, value);
    },
  });
}
