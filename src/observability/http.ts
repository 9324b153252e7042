// Plain-HTTP endpoints on the metrics port: /metrics for Prometheus, /healthz
// for the liveness probe and /readyz for the readiness probe. Checks are
// pluggable; a failing one is named in the answer (`[-]informers: …`) as the
// Kubernetes components do, so `curl /readyz?verbose` explains a not-ready pod.
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import type { Registry } from "prom-client";

/** Returns true / nothing when healthy; false or a reason string (or a throw) when not. */
export type HealthCheck = () => boolean | string | void | Promise<boolean | string | void>;

export interface ObservabilityServerOptions {
  port: number;
  host?: string;
  /** The registry (or a wrapper that refreshes it before rendering) behind /metrics. */
  registry: Pick<Registry, "metrics" | "contentType">;
  logger?: Logger;
  /** Per check deadline; a check that hangs counts as failed. */
  checkTimeoutMs?: number;
}

interface CheckOutcome {
  name: string;
  ok: boolean;
  reason?: string;
}

export class ObservabilityServer {
  private readonly server: http.Server;
  private readonly readiness = new Map<string, HealthCheck>();
  private readonly liveness = new Map<string, HealthCheck>();
  private readonly checkTimeoutMs: number;
  private shuttingDown = false;

  constructor(private readonly opts: ObservabilityServerOptions) {
    this.checkTimeoutMs = opts.checkTimeoutMs ?? 5_000;
    this.server = http.createServer((req, res) => void this.handle(req, res));
  }

  addReadinessCheck(name: string, check: HealthCheck): void {
    this.readiness.set(name, check);
  }

  addLivenessCheck(name: string, check: HealthCheck): void {
    this.liveness.set(name, check);
  }

  /** From now on /readyz fails, so traffic moves away before the process stops. */
  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  async start(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    const port = (this.server.address() as AddressInfo).port;
    this.opts.logger?.info({ port }, "metrics and health server listening");
    return port;
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    setTimeout(() => this.server.closeAllConnections(), 2_000).unref();
    await closed;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    try {
      if (req.method !== "GET" && req.method !== "HEAD") {
        return send(res, 405, "text/plain; charset=utf-8", "only GET and HEAD\n");
      }
      switch (url.pathname) {
        case "/metrics": {
          const body = await this.opts.registry.metrics();
          return send(res, 200, this.opts.registry.contentType, body);
        }
        case "/healthz":
        case "/livez":
          return this.answerChecks(res, this.liveness, url.searchParams.has("verbose"), []);
        case "/readyz": {
          const extra: CheckOutcome[] = this.shuttingDown ? [{ name: "shutdown", ok: false, reason: "shutting down" }] : [];
          return this.answerChecks(res, this.readiness, url.searchParams.has("verbose"), extra);
        }
        default:
          return send(res, 404, "text/plain; charset=utf-8", "not found\n");
      }
    } catch (e) {
      this.opts.logger?.error({ err: (e as Error).message, path: url.pathname }, "observability endpoint failed");
      if (!res.headersSent) send(res, 500, "text/plain; charset=utf-8", "internal error\n");
    }
  }

  private async answerChecks(
    res: http.ServerResponse,
    checks: Map<string, HealthCheck>,
    verbose: boolean,
    extra: CheckOutcome[],
  ): Promise<void> {
    const outcomes = [...extra, ...(await Promise.all([...checks].map(([name, check]) => this.run(name, check))))];
    const ok = outcomes.every((o) => o.ok);
    if (ok && !verbose) return send(res, 200, "text/plain; charset=utf-8", "ok\n");
    const lines = outcomes
      .filter((o) => verbose || !o.ok)
      .map((o) => (o.ok ? `[+]${o.name} ok` : `[-]${o.name} failed: ${o.reason ?? "not ready"}`));
    lines.push(ok ? "ok" : "check failed");
    send(res, ok ? 200 : 503, "text/plain; charset=utf-8", `${lines.join("\n")}\n`);
  }

  private async run(name: string, check: HealthCheck): Promise<CheckOutcome> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve(`no answer within ${this.checkTimeoutMs}ms`), this.checkTimeoutMs);
      });
      const result = await Promise.race([Promise.resolve().then(check), timeout.then((r) => ({ timedOut: r }))]);
      if (typeof result === "object" && result !== null) return { name, ok: false, reason: result.timedOut };
      if (result === false) return { name, ok: false };
      if (typeof result === "string") return { name, ok: false, reason: result };
      return { name, ok: true };
    } catch (e) {
      return { name, ok: false, reason: e instanceof Error ? e.message : String(e) };
    } finally {
      clearTimeout(timer);
    }
  }
}

function send(res: http.ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { "Content-Type": contentType, "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}
