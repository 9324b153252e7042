// A tiny HTTP stand-in for the API server: records requests, answers with
// handlers the test installs, and keeps watch streams open so the test can
// push events into them.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export type StubReply = { status?: number; body?: unknown; raw?: string; contentType?: string };
export type StubHandler = (req: RecordedRequest) => StubReply | Promise<StubReply>;

export class WatchStream {
  constructor(
    readonly request: RecordedRequest,
    private readonly res: http.ServerResponse,
  ) {}
  get closed(): boolean {
    return this.res.writableEnded || this.res.destroyed;
  }
  send(type: string, object: unknown): void {
    this.res.write(`${JSON.stringify({ type, object })}\n`);
  }
  end(): void {
    this.res.end();
  }
  /** Cuts the connection without a clean end. */
  destroy(): void {
    this.res.socket?.destroy();
  }
}

export class StubApiServer {
  readonly requests: RecordedRequest[] = [];
  readonly watches: WatchStream[] = [];
  private handler: StubHandler = () => ({ status: 404, body: { kind: "Status", code: 404, reason: "NotFound", message: "no handler" } });
  private watchHandler: ((req: RecordedRequest) => StubReply | undefined) | undefined;
  private watchWaiters: ((w: WatchStream) => void)[] = [];
  private taken = 0;
  private readonly server = http.createServer((req, res) => void this.serve(req, res));
  port = 0;

  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const w of this.watches) if (!w.closed) w.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** Answers non-watch requests. */
  onRequest(handler: StubHandler): void {
    this.handler = handler;
  }

  /** Decides how a watch request is answered: undefined keeps the stream open. */
  onWatch(handler: (req: RecordedRequest) => StubReply | undefined): void {
    this.watchHandler = handler;
  }

  /** The next watch stream to open (or one already open and not yet taken). */
  nextWatch(): Promise<WatchStream> {
    const ready = this.watches[this.taken];
    if (ready) {
      this.taken++;
      return Promise.resolve(ready);
    }
    return new Promise((resolve) => this.watchWaiters.push(resolve));
  }

  kubeConfig(token = "test-token"): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "stub", server: `http://127.0.0.1:${this.port}`, skipTLSVerify: true }],
      users: [{ name: "u", token }],
      contexts: [{ name: "c", cluster: "stub", user: "u" }],
      currentContext: "c",
    });
    return kc;
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? "/", "http://stub");
    const recorded: RecordedRequest = {
      method: req.method ?? "GET",
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: Buffer.concat(chunks).toString("utf8"),
    };
    this.requests.push(recorded);
    if (url.searchParams.get("watch") === "true") {
      const reply = this.watchHandler?.(recorded);
      if (reply) return this.reply(res, reply);
      res.writeHead(200, { "Content-Type": "application/json" });
      res.flushHeaders();
      const stream = new WatchStream(recorded, res);
      this.watches.push(stream);
      const waiter = this.watchWaiters.shift();
      if (waiter) {
        this.taken++;
        waiter(stream);
      }
      return;
    }
    this.reply(res, await this.handler(recorded));
  }

  private reply(res: http.ServerResponse, r: StubReply): void {
    const payload = r.raw ?? (r.body === undefined ? "" : JSON.stringify(r.body));
    res.writeHead(r.status ?? 200, { "Content-Type": r.contentType ?? "application/json" });
    res.end(payload);
  }
}

export function status(code: number, reason: string, message: string): StubReply {
  return { status: code, body: { apiVersion: "v1", kind: "Status", status: "Failure", code, reason, message } };
}
