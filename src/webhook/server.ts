// The HTTPS server the API server calls. It owns the transport rules so the
// handlers only see parsed JSON:
// - TLS 1.2 or newer; the certificate can be swapped without a restart
//   (`setCertificate`, or by watching the mounted files);
// - POST with a JSON content type (415 otherwise) and a body cap (413);
// - a deadline per request below the webhook configuration's timeoutSeconds,
//   so a slow handler yields our answer instead of the API server's timeout;
// - `retire()` is the start of a shutdown: the server still accepts and
//   answers, but reports not ready and closes each connection after its next
//   answer, so API servers move to other replicas without a refused call;
// - a bound on open connections (connection-limit.ts), on the time a TLS
//   handshake may take and on the request bodies held at once
//   (body-budget.ts), so idle, silent or slow clients cannot pile up memory;
// - `stop()` drains: no new connections, in-flight requests finish, idle
//   keep-alive connections close.
import fs from "node:fs";
import type http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import tls from "node:tls";
import type { Logger } from "pino";
import { Abandonment } from "./abandonment.js";
import { badRequest, type HttpReply, type RequestAbandonment } from "./admission.js";
import { BodyBudget, type BodyBudgetLimits, type BodyShare } from "./body-budget.js";
import { notAfterOf, tryParse } from "./cert-checks.js";
import { ConnectionLimit } from "./connection-limit.js";
import { RequestDeadlines } from "./request-deadlines.js";
import { textBytes } from "./text-bytes.js";

/** `abandoned` and `signal` (made when first read) tell of the request deadline or a client gone away. */
export interface WebhookRequest extends RequestAbandonment {
  readonly path: string;
  readonly body: unknown;
}

export type WebhookHandler = (req: WebhookRequest) => HttpReply | Promise<HttpReply>;

export interface CertificatePair {
  cert: string | Buffer;
  key: string | Buffer;
}

export interface WebhookServerOptions {
  port: number;
  host?: string;
  certificate: CertificatePair;
  routes: Record<string, WebhookHandler>;
  /** Default 3 MiB; the API server's own request limit is 3 MiB. */
  maxBodyBytes?: number;
  /** Default 9 s: under the 10 s timeoutSeconds of our webhook configurations. */
  requestTimeoutMs?: number;
  /** How long after the deadline a handler that ignores its signal is waited for before a bare 504. */
  deadlineGraceMs?: number;
  /** /readyz is 200 only while this says true (and the server is not draining). */
  ready?: () => boolean;
  logger?: Logger;
  /** Called once per routed request, for metrics. */
  onRequestDone?(info: { path: string; status: number; seconds: number }): void;
  /** Called once per accepted connection (its TLS handshake done), for metrics. */
  onConnection?(socket: tls.TLSSocket): void;
  /** Default MAX_OPEN_CONNECTIONS: past it, the connection idle the longest is closed (connection-limit.ts). */
  maxConnections?: number;
  /** Default TLS_HANDSHAKE_TIMEOUT_MS: a connection whose TLS handshake takes longer is closed. */
  handshakeTimeoutMs?: number;
  /** Called once per idle connection closed for maxConnections, for metrics. */
  onConnectionLimited?(): void;
  /** Default DEFAULT_BODY_BUDGET: the request bodies held at once (body-budget.ts). */
  bodyBudget?: BodyBudgetLimits;
}

/** The serving certificate, for metrics: its serial number, and its expiry in seconds since the epoch. */
export interface ServedCertificate {
  serialNumber: string;
  notAfter: number;
}

export const DEFAULT_MAX_BODY_BYTES = 3 * 1024 * 1024;
export const DEFAULT_REQUEST_TIMEOUT_MS = 9_000;
/**
 * How long an idle keep-alive connection is kept. The API server's webhook
 * client keeps its idle connections for 90 s (client-go's transport), so the
 * client is the side that closes them: a server that closed first would make
 * the next admission after a quiet spell pay a new TCP and TLS handshake, and
 * a request sent just as the server closes fails, since the client does not
 * retry a POST.
 */
export const KEEP_ALIVE_IDLE_MS = 120_000;
/**
 * Open connections kept before the longest idle one is closed: at 45 KB each,
 * about 23 MB. The API server keeps at most 25 idle connections per webhook host
 * (client-go's transport), plus one per admission in flight.
 */
export const MAX_OPEN_CONNECTIONS = 512;
/** client-go gives up on a webhook's TLS handshake after 10 s; Node.js would wait 120 s. */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;
/** How often the server logs that it closes connections or refuses bodies for its limits. */
const LIMIT_LOG_INTERVAL_MS = 60_000;

const TLS_MIN_VERSION: tls.SecureVersion = "TLSv1.2";

export class WebhookServer {
  private readonly server: https.Server;
  private readonly maxBodyBytes: number;
  private readonly requestTimeoutMs: number;
  private readonly deadlineGraceMs: number;
  private draining = false;
  private retiring = false;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private certWatch: NodeJS.Timeout | undefined;
  private readonly connections: ConnectionLimit<tls.TLSSocket>;
  private readonly bodies: BodyBudget;
  private readonly deadlines: RequestDeadlines;
  private readonly connectionLimitWarning: OccasionalWarning;
  private readonly bodyBudgetWarning: OccasionalWarning;
  private served: ServedCertificate | undefined;

  constructor(private readonly opts: WebhookServerOptions) {
    this.maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.deadlineGraceMs = opts.deadlineGraceMs ?? 300;
    this.connections = new ConnectionLimit(opts.maxConnections ?? MAX_OPEN_CONNECTIONS, () => {
      opts.onConnectionLimited?.();
      this.connectionLimitWarning.count();
    });
    this.bodies = new BodyBudget(opts.bodyBudget);
    this.deadlines = new RequestDeadlines(this.requestTimeoutMs);
    this.connectionLimitWarning = new OccasionalWarning((closed) =>
      opts.logger?.warn({ closed, maxConnections: this.connections.max }, "webhook server at its connection limit: closing the connections idle the longest"),
    );
    this.bodyBudgetWarning = new OccasionalWarning((refused) =>
      opts.logger?.warn({ refused, ...this.bodies.limits }, "webhook server holds as many request bodies as it may: refusing requests with 503"),
    );
    this.server = https.createServer(
      { ...secureOptions(opts.certificate), minVersion: TLS_MIN_VERSION, handshakeTimeout: opts.handshakeTimeoutMs ?? TLS_HANDSHAKE_TIMEOUT_MS },
      (req, res) => void this.handle(req, res),
    );
    // Slow senders must not hold a socket longer than a request may take.
    this.server.headersTimeout = Math.min(this.requestTimeoutMs, 60_000);
    this.server.requestTimeout = this.requestTimeoutMs + this.deadlineGraceMs;
    this.server.keepAliveTimeout = KEEP_ALIVE_IDLE_MS;
    this.server.on("secureConnection", (socket: tls.TLSSocket) => {
      opts.onConnection?.(socket);
      this.connections.accepted(socket);
    });
    this.server.on("tlsClientError", (err) => this.opts.logger?.debug({ err: err.message }, "TLS handshake failed"));
    this.served = servedCertificate(opts.certificate.cert);
  }

  async start(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    const port = this.port();
    this.opts.logger?.info({ port, host: this.opts.host ?? "0.0.0.0" }, "webhook server listening");
    return port;
  }

  port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /**
   * Serves a new certificate to new connections. Throws (and keeps the old
   * one) when the pair is unusable, e.g. a key that does not match.
   */
  setCertificate(pair: CertificatePair): void {
    const options = { ...secureOptions(pair), minVersion: TLS_MIN_VERSION };
    tls.createSecureContext(options); // validates before swapping
    this.server.setSecureContext(options);
    this.served = servedCertificate(pair.cert);
    this.opts.logger?.info("webhook serving certificate reloaded");
  }

  /**
   * Re-reads the PEM files every `intervalMs` and swaps when they change.
   * Polling (not fs.watch) survives the symlink swap Kubernetes uses to
   * update mounted Secrets; a half-written pair is skipped until it matches.
   */
  watchCertificateFiles(certFile: string, keyFile: string, intervalMs = 10_000): void {
    this.stopWatchingCertificate();
    let last = "";
    const check = () => {
      let cert: Buffer;
      let key: Buffer;
      try {
        cert = fs.readFileSync(certFile);
        key = fs.readFileSync(keyFile);
      } catch (e) {
        this.opts.logger?.warn({ err: (e as Error).message }, "reading the webhook certificate failed");
        return;
      }
      const fingerprint = `${cert.toString("base64")}|${key.toString("base64")}`;
      if (fingerprint === last) return;
      try {
        this.setCertificate({ cert, key });
        last = fingerprint;
      } catch (e) {
        this.opts.logger?.warn({ err: (e as Error).message }, "new webhook certificate rejected; keeping the old one");
      }
    };
    check();
    this.certWatch = setInterval(check, intervalMs);
    this.certWatch.unref();
  }

  stopWatchingCertificate(): void {
    if (this.certWatch) clearInterval(this.certWatch);
    this.certWatch = undefined;
  }

  /** The certificate served now (undefined when it cannot be read). */
  servedCertificate(): ServedCertificate | undefined {
    return this.served;
  }

  isDraining(): boolean {
    return this.draining;
  }

  /**
   * Keeps serving, but /readyz fails and every answer closes its connection
   * (`Connection: close`): each client's next call opens a new connection,
   * which a load balancer or the API server's endpoint choice sends to a
   * replica that stays. Idle connections are left open: closing one could
   * race a call the client is sending on it. `stop()` follows.
   */
  retire(): void {
    if (this.retiring) return;
    this.retiring = true;
    this.opts.logger?.info("webhook server retiring: answering with Connection: close, not ready");
  }

  /**
   * Stops accepting connections, lets in-flight requests finish (up to
   * `timeoutMs`, then cuts them), and closes.
   */
  async stop(timeoutMs = this.requestTimeoutMs + this.deadlineGraceMs): Promise<void> {
    this.draining = true;
    this.stopWatchingCertificate();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    if (this.inFlight > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
      ]);
      clearTimeout(timer);
    }
    this.server.closeAllConnections();
    await closed;
    this.deadlines.stop();
    this.opts.logger?.info("webhook server stopped");
  }

  /** Open connections, and how many of them wait idle (none of their requests unanswered). */
  connectionCounts(): { open: number; idle: number } {
    return { open: this.connections.openCount(), idle: this.connections.idleCount() };
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const socket = req.socket as tls.TLSSocket;
    this.connections.busy(socket);
    const url = req.url ?? "/";
    const query = url.indexOf("?");
    const path = query < 0 ? url : url.slice(0, query);
    if (this.draining || this.retiring) res.setHeader("Connection", "close");
    if (path === "/healthz" || path === "/readyz") {
      const ready = path === "/healthz" || (!this.draining && !this.retiring && (this.opts.ready?.() ?? true));
      text(res, ready ? 200 : 503, ready ? "ok" : "not ready");
      return this.connections.answered(socket);
    }
    const route = this.opts.routes[path];
    if (!route) {
      json(res, 404, statusBody(404, "NotFound", `no webhook at ${path}`));
      return this.connections.answered(socket);
    }
    this.inFlight++;
    const started = process.hrtime.bigint();
    let status = 500;
    try {
      status = await this.serveRoute(route, path, req, res);
    } catch (e) {
      this.opts.logger?.error({ err: (e as Error).message, path }, "webhook request failed");
      if (!res.headersSent) json(res, 500, statusBody(500, "InternalError", "internal error"));
    } finally {
      this.inFlight--;
      this.connections.answered(socket);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.opts.onRequestDone?.({ path, status, seconds });
      if (this.inFlight === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const w of waiters) w();
      }
    }
  }

  private async serveRoute(route: WebhookHandler, path: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<number> {
    if (req.method !== "POST") {
      res.setHeader("Allow", "POST");
      return json(res, 405, statusBody(405, "MethodNotAllowed", `${req.method} is not allowed; webhooks take POST`));
    }
    const contentType = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
    if (contentType !== "application/json") {
      req.resume();
      return json(res, 415, statusBody(415, "UnsupportedMediaType", `content type "${contentType}" is not supported; send application/json`));
    }
    const declared = Number(req.headers["content-length"] ?? NaN);
    if (declared > this.maxBodyBytes) return await this.tooLarge(req, res, declared);

    const abandonment = new Abandonment();
    const share = this.bodies.share();
    let timedOut = false;
    const deadline = this.deadlines.start(() => {
      timedOut = true;
      abandonment.abandon();
    });
    // "close" follows every answer; only a connection closed before the answer was written aborts the work
    // (an abort costs a DOMException with its stack, at every admission otherwise).
    res.on("close", () => {
      if (!res.writableFinished) abandonment.abandon();
    });
    try {
      const raw = await readBody(req, this.maxBodyBytes, abandonment, this.bodies, share);
      if (raw === TOO_LARGE) return await this.tooLarge(req, res);
      if (raw === NO_ROOM) return await this.noRoom(req, res, share);
      if (raw === ABORTED) {
        if (!timedOut) return 499; // the client went away
        res.setHeader("Connection", "close");
        return json(res, 408, statusBody(408, "Timeout", `request body not received within ${this.requestTimeoutMs}ms`));
      }
      let body: unknown;
      try {
        body = JSON.parse(raw.toString("utf8"));
      } catch (e) {
        const reply = badRequest(`body is not valid JSON: ${(e as Error).message}`);
        return json(res, reply.status, reply.body);
      }
      const answer = route(new RoutedRequest(path, body, abandonment));
      const reply = answer instanceof Promise ? await withHardDeadline(answer, abandonment, this.deadlineGraceMs) : answer;
      if (reply === undefined) {
        return json(res, 504, statusBody(504, "Timeout", `no answer within ${this.requestTimeoutMs}ms`));
      }
      return json(res, reply.status, reply.body, reply.json);
    } finally {
      deadline.clear();
      this.bodies.release(share);
    }
  }

  private async noRoom(req: http.IncomingMessage, res: http.ServerResponse, share: BodyShare): Promise<number> {
    this.bodies.release(share);
    this.bodyBudgetWarning.count();
    await discardBody(req, DISCARD_LIMIT_BYTES, DISCARD_LIMIT_MS);
    res.setHeader("Connection", "close");
    res.setHeader("Retry-After", "1");
    return json(res, 503, statusBody(503, "ServiceUnavailable", "the webhook server holds as many request bodies as it may; retry"));
  }

  private async tooLarge(req: http.IncomingMessage, res: http.ServerResponse, declared?: number): Promise<number> {
    const size = declared === undefined ? `more than ${this.maxBodyBytes}` : String(declared);
    // Closing a connection that still has unread request bytes makes the
    // kernel reset it, and the client then never sees the 413. So the rest of
    // the body is read and thrown away first, within bounds, so that a client
    // that keeps sending cannot hold the socket.
    await discardBody(req, DISCARD_LIMIT_BYTES, DISCARD_LIMIT_MS);
    res.setHeader("Connection", "close");
    return json(res, 413, statusBody(413, "RequestEntityTooLarge", `request body of ${size} bytes exceeds the limit of ${this.maxBodyBytes} bytes`));
  }
}

/** A class, not an object literal with getters, which V8 builds on a slow path (about 1 µs a request). */
class RoutedRequest implements WebhookRequest {
  constructor(
    readonly path: string,
    readonly body: unknown,
    private readonly abandonment: Abandonment,
  ) {}

  get abandoned(): boolean {
    return this.abandonment.abandoned;
  }

  get signal(): AbortSignal {
    return this.abandonment.signal;
  }
}

/** How much of an oversized body is read (and dropped) before the 413 goes out. */
const DISCARD_LIMIT_BYTES = 64 * 1024 * 1024;
const DISCARD_LIMIT_MS = 2_000;

function discardBody(req: http.IncomingMessage, limitBytes: number, limitMs: number): Promise<void> {
  if (req.readableEnded) return Promise.resolve();
  return new Promise((resolve) => {
    let seen = 0;
    const finish = () => {
      clearTimeout(timer);
      req.off("data", onData);
      req.off("end", finish);
      req.off("error", finish);
      req.off("close", finish);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > limitBytes) finish();
    };
    const timer = setTimeout(finish, limitMs);
    req.on("data", onData);
    req.once("end", finish);
    req.once("error", finish);
    req.once("close", finish);
    req.resume();
  });
}

function secureOptions(pair: CertificatePair): tls.SecureContextOptions {
  return { cert: pair.cert, key: pair.key };
}

function statusBody(code: number, reason: string, message: string): unknown {
  return { apiVersion: "v1", kind: "Status", status: "Failure", code, reason, message };
}

/** The JSON text of `body` in the pieces it is written in; `encoded`, when given, is that text already, whole or in pieces. */
export function jsonPieces(body: unknown, encoded?: string | readonly string[]): readonly string[] {
  return encoded === undefined ? [JSON.stringify(body)] : typeof encoded === "string" ? [encoded] : encoded;
}

/** Writes `body` as JSON (see jsonPieces). */
function json(res: http.ServerResponse, status: number, body: unknown, encoded?: string | readonly string[]): number {
  if (res.headersSent || res.destroyed) return status;
  const pieces = jsonPieces(body, encoded);
  const { bytes, ascii } = textBytes(pieces);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": bytes });
  // An answer of ASCII only (every usual one: JSON around a base64 patch) goes
  // to the TLS socket as Latin-1, copied as it is, not encoded character by character.
  const encoding = ascii ? "latin1" : "utf8";
  // Corked, the pieces leave in one write, as one answer would.
  res.cork();
  for (let i = 0; i < pieces.length - 1; i++) res.write(pieces[i]!, encoding);
  res.end(pieces[pieces.length - 1], encoding);
  res.uncork();
  return status;
}

/** A PEM chain's first certificate: the one the server presents. */
function servedCertificate(cert: string | Buffer): ServedCertificate | undefined {
  const x509 = tryParse(cert.toString());
  return x509 && { serialNumber: x509.serialNumber, notAfter: Math.floor(notAfterOf(x509).getTime() / 1000) };
}

function text(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

const TOO_LARGE = Symbol("too large");
const ABORTED = Symbol("aborted");
const NO_ROOM = Symbol("no room in the body budget");

function readBody(
  req: http.IncomingMessage,
  limit: number,
  abandonment: Abandonment,
  budget: BodyBudget,
  share: BodyShare,
): Promise<Buffer | typeof TOO_LARGE | typeof ABORTED | typeof NO_ROOM> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let stopWaiting = () => {};
    const finish = (v: Buffer | typeof TOO_LARGE | typeof ABORTED | typeof NO_ROOM) => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      stopWaiting();
      resolve(v);
    };
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.pause();
        finish(TOO_LARGE);
      } else if (!budget.take(share, c.length)) {
        req.pause();
        finish(NO_ROOM);
      } else chunks.push(c);
    };
    // A body that came in one read (an admission's, nearly always) is used as it is, not copied.
    const onEnd = () => finish(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    const onError = () => finish(ABORTED);
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    stopWaiting = abandonment.whileWaiting(() => finish(ABORTED));
  });
}

// Resolves with the handler's reply, or undefined when the handler is still
// busy `graceMs` after the request was abandoned (a handler ignoring its signal).
function withHardDeadline<T>(p: Promise<T>, abandonment: Abandonment, graceMs: number): Promise<T | undefined> {
  return new Promise<T | undefined>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const stopWaiting = abandonment.whileWaiting(() => {
      timer = setTimeout(() => resolve(undefined), graceMs);
    });
    p.then(
      (v) => {
        clearTimeout(timer);
        stopWaiting();
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        stopWaiting();
        reject(e);
      },
    );
  });
}

/** A warning logged at most once a minute, with how many times its cause happened since the last one. */
class OccasionalWarning {
  private since = 0;
  private last = -Infinity;

  constructor(private readonly log: (times: number) => void) {}

  count(): void {
    this.since++;
    const now = Date.now();
    if (now - this.last < LIMIT_LOG_INTERVAL_MS) return;
    this.log(this.since);
    this.since = 0;
    this.last = now;
  }
}
