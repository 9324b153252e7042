// Webhook metrics are recorded on the webhook thread and shipped in batches to
// the main thread, which owns the one Prometheus registry behind /metrics
// (metrics-relay.ts). Batches go out on a short timer and right before every
// state answer, and /metrics asks for the state before it renders, so a scrape
// sees every admission answered before it. This file stays free of
// prom-client: the webhook thread does not load it.
import type { WebhookMetricsBatch } from "./webhook-protocol.js";

export class MetricsBatcher {
  private batch: WebhookMetricsBatch = emptyBatch();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly send: (batch: WebhookMetricsBatch) => void,
    private readonly intervalMs = 1_000,
  ) {}

  request(path: string, status: number, seconds: number): void {
    this.batch.requests.push([path, status, seconds]);
    this.schedule();
  }

  injected(setNames: string[]): void {
    for (const name of setNames) this.batch.injections[name] = (this.batch.injections[name] ?? 0) + 1;
    this.schedule();
  }

  connection(): void {
    this.batch.connections++;
    this.schedule();
  }

  connectionLimited(): void {
    this.batch.connectionsLimited++;
    this.schedule();
  }

  /** Sends what is pending now (nothing when empty). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.batch;
    if (batch.requests.length === 0 && Object.keys(batch.injections).length === 0 && batch.connections === 0 && batch.connectionsLimited === 0) return;
    this.batch = emptyBatch();
    this.send(batch);
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => this.flush(), this.intervalMs);
    this.timer.unref();
  }
}

function emptyBatch(): WebhookMetricsBatch {
  return { requests: [], injections: {}, connections: 0, connectionsLimited: 0 };
}
