// The main thread's handle on the webhook thread: starts it, relays its logs
// and metrics into the manager's logger and registry, hands it renewed
// certificates, asks for its state (readiness, cache sizes) and drains it.
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { Logger } from "../observability/logger.js";
import type { ManagerMetrics } from "../observability/metrics.js";
import { HeldSidecarSets } from "./held-sidecarsets.js";
import { replayLogLine } from "./log-relay.js";
import { applyMetricsBatch } from "./metrics-relay.js";
import type { ResolvedCredentials } from "../kube/relayed-credentials.js";
import type { FromWebhookThread, PemPair, ToWebhookThread, WebhookThreadConfig, WebhookThreadState } from "./webhook-protocol.js";

export interface WebhookThreadOptions {
  config: WebhookThreadConfig;
  logger: Logger;
  metrics: ManagerMetrics;
}

/** Longest a drain may take: the webhook's request deadline plus its grace, and some slack. */
const STOP_TIMEOUT_MS = 15_000;
const STATE_TIMEOUT_MS = 2_000;
/**
 * An admission's garbage dies young, so a small young generation costs the thread little and stops a burst
 * of admissions from growing it (and the process's RSS) for good. At 4 MB or less V8 also shrinks it back
 * to 1 MB when the thread goes quiet, which it never did at 8 MB; 2 MB kept a standby that had answered
 * 3,000 admissions at 75 MB against 80 MB with 4 MB, with the same admission latency through the API
 * server. At saturation it costs about a tenth more CPU per admission than 8 MB (docs/benchmarks.md).
 */
export const WEBHOOK_HEAP_LIMITS = { maxYoungGenerationSizeMb: 2 };

export class WebhookThread {
  readonly port: number;
  /** Resolves with the exit code when the thread has ended, asked to or not. */
  readonly exited: Promise<number>;
  private readonly pending = new Map<number, (s: WebhookThreadState | Error) => void>();
  private nextId = 1;
  private stopping: Promise<void> | undefined;
  private stoppedByThread: (() => void) | undefined;

  private constructor(
    private readonly worker: Worker,
    port: number,
    exited: Promise<number>,
    /** What the thread's SidecarSet cache holds, as last reported. */
    readonly held: HeldSidecarSets,
  ) {
    this.port = port;
    this.exited = exited;
  }

  /** Starts the thread; resolves once its caches synced and it serves, rejects when it cannot. */
  static async start(opts: WebhookThreadOptions): Promise<WebhookThread> {
    const { logger, metrics } = opts;
    const worker = spawnWebhookWorker(opts.config);
    const held = new HeldSidecarSets();
    let handle: WebhookThread | undefined;
    const exited = new Promise<number>((resolve) => worker.once("exit", resolve));
    const port = await new Promise<number>((resolve, reject) => {
      worker.on("message", (m: FromWebhookThread) => {
        switch (m.type) {
          case "log":
            for (const line of m.lines) replayLogLine(logger, line);
            return;
          case "metrics":
            return applyMetricsBatch(metrics, m.batch);
          case "serving":
            return resolve(m.port);
          case "failed":
            return reject(new Error(`the webhook thread could not start: ${m.message}`));
          case "state":
            return handle?.answer(m.id, m.state);
          case "sidecarsets":
            return held.update(m.held);
          case "stopped":
            return handle?.stoppedByThread?.();
        }
      });
      worker.on("error", (e) => {
        logger.error({ err: e.message }, "the webhook thread failed");
        reject(e);
      });
      void exited.then((code) => reject(new Error(`the webhook thread exited with code ${code} before it served`)));
    }).catch(async (e: unknown) => {
      await worker.terminate();
      throw e;
    });
    handle = new WebhookThread(worker, port, exited, held);
    void exited.then(() => handle?.failPending(new Error("the webhook thread has exited")));
    return handle;
  }

  /** Serves `pair` to new connections (a renewed self-signed certificate). */
  setCertificate(pair: PemPair): void {
    this.send({ type: "certificate", pair });
  }

  /** New API credentials (a rotated token or client certificate). */
  setCredentials(credentials: ResolvedCredentials): void {
    this.send({ type: "credentials", credentials });
  }

  /**
   * The thread's state; its pending metrics reach the registry before this
   * resolves (messages from one thread arrive in order). `newWindow` starts a
   * new event-loop delay window (one per scrape).
   */
  state(opts: { newWindow?: boolean; timeoutMs?: number } = {}): Promise<WebhookThreadState> {
    const timeoutMs = opts.timeoutMs ?? STATE_TIMEOUT_MS;
    const id = this.nextId++;
    return new Promise<WebhookThreadState>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`the webhook thread did not answer within ${timeoutMs}ms`));
      }, timeoutMs);
      this.pending.set(id, (s) => {
        clearTimeout(timer);
        this.pending.delete(id);
        if (s instanceof Error) reject(s);
        else resolve(s);
      });
      this.send({ type: "state", id, newWindow: opts.newWindow ?? false });
    });
  }

  /** The start of a shutdown: the server keeps answering, reports not ready and closes each connection after its next answer. */
  retire(): void {
    this.send({ type: "retire" });
  }

  /** Drains the webhook server (in-flight admissions finish), stops its caches, ends the thread. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const stopped = new Promise<void>((resolve) => (this.stoppedByThread = resolve));
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_TIMEOUT_MS)));
      this.send({ type: "stop" });
      await Promise.race([stopped, this.exited, timedOut]);
      clearTimeout(timer);
      await this.worker.terminate();
    })();
    return this.stopping;
  }

  private send(m: ToWebhookThread): void {
    this.worker.postMessage(m);
  }

  private answer(id: number, state: WebhookThreadState): void {
    this.pending.get(id)?.(state);
  }

  private failPending(e: Error): void {
    for (const settle of [...this.pending.values()]) settle(e);
  }
}

/**
 * From the compiled build the thread runs webhook-worker.js directly. From
 * the TypeScript sources (under tsx) a worker does not get tsx's module hooks
 * on Node.js 20, so the thread registers them before importing its entry.
 */
function spawnWebhookWorker(config: WebhookThreadConfig): Worker {
  const self = fileURLToPath(import.meta.url);
  if (extname(self) !== ".ts") return new Worker(new URL("./webhook-worker.js", import.meta.url), { workerData: config, resourceLimits: WEBHOOK_HEAP_LIMITS });
  const entry = new URL("./webhook-worker.ts", import.meta.url).href;
  const tsx = import.meta.resolve("tsx/esm/api");
  const bootstrap = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: config, execArgv: [], resourceLimits: WEBHOOK_HEAP_LIMITS });
}
