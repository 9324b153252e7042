// Raw JSON access to the API server with a KubeConfig's credentials. The typed
// list/get calls of @kubernetes/client-node drop fields the client does not
// know (every SidecarSet field, unknown container fields) and turn timestamps
// into `Date`, while watch events are raw JSON; everything that is cached or
// compared goes through here so it has one shape: the server's.
//
// Patches: the typed 1.4 clients always send the first content type of their
// list (`application/json-patch+json`) unless a middleware overrides the
// header (`setHeaderOptions("Content-Type", PatchStrategy.MergePatch)`);
// `patch()` here takes the content type as an argument instead.
import http from "node:http";
import https from "node:https";
import { apiErrorFromResponse, apiErrorFromStatus, KubeApiError } from "./errors.js";

/** Patch content types the API server accepts. */
// The values of the client library's PatchStrategy, spelled out so this
// module does not load the library.
export const PatchType = {
  json: "application/json-patch+json",
  merge: "application/merge-patch+json",
  strategicMerge: "application/strategic-merge-patch+json",
} as const;
export type PatchContentType = (typeof PatchType)[keyof typeof PatchType];

export type { JsonPatchOp } from "../api/json-patch.js";

export type QueryParams = Record<string, string | number | boolean | undefined>;

/**
 * A request body already encoded as JSON text, sent byte for byte. For the
 * rare object whose stored bytes matter (a ControllerRevision's `data` is kept
 * as the request wrote it and compared byte-wise on every later write).
 */
export class EncodedJson {
  constructor(readonly text: string) {}
}

export interface RawRequestOptions {
  query?: QueryParams;
  /** Any JSON value (serialised with JSON.stringify), or an EncodedJson sent as is. */
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  /** Whole-request deadline; default from the client. */
  timeoutMs?: number;
}

/** A list response with the fields the informer needs. */
export interface RawList<T> {
  items: T[];
  metadata: { resourceVersion?: string; continue?: string };
}

export interface WatchEvent<T = unknown> {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK";
  object: T;
}

export interface RawKubeClientOptions {
  /** Default deadline for non-watch requests. */
  timeoutMs?: number;
  userAgent?: string;
}

interface Prepared {
  url: URL;
  transport: typeof http | typeof https;
  options: https.RequestOptions;
}

/**
 * What the client needs of a KubeConfig (which is one): the server, and the
 * credentials applied to every request. A thread that must not load the whole
 * client library gets them relayed instead (relayed-credentials.ts).
 */
export interface KubeCredentials {
  getCurrentCluster(): { server: string; proxyUrl?: string | undefined } | null;
  applyToHTTPSOptions(options: https.RequestOptions): Promise<void>;
}

/**
 * Raw JSON access to the API server with the KubeConfig's credentials. Objects
 * come back exactly as the server sends them: unknown fields kept, timestamps
 * as strings. Non-2xx answers throw `KubeApiError`.
 */
export class RawKubeClient {
  private readonly timeoutMs: number;
  private readonly userAgent: string;
  private agent: http.Agent | undefined;
  private agentKey = "";

  constructor(
    readonly kubeConfig: KubeCredentials,
    opts: RawKubeClientOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.userAgent = opts.userAgent ?? "sidecarset-manager";
  }

  get server(): string {
    const cluster = this.kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error("kubeconfig has no current cluster");
    return cluster.server.replace(/\/+$/, "");
  }

  async get<T = unknown>(p: string, opts: RawRequestOptions = {}): Promise<T> {
    return this.request<T>("GET", p, opts);
  }

  async list<T = unknown>(p: string, opts: RawRequestOptions = {}): Promise<RawList<T>> {
    const out = await this.request<Partial<RawList<T>>>("GET", p, opts);
    return { items: out.items ?? [], metadata: out.metadata ?? {} };
  }

  async create<T = unknown>(p: string, body: unknown, opts: RawRequestOptions = {}): Promise<T> {
    return this.request<T>("POST", p, { ...opts, body });
  }

  /** PUT: carries metadata.resourceVersion, so a stale write fails with 409. */
  async replace<T = unknown>(p: string, body: unknown, opts: RawRequestOptions = {}): Promise<T> {
    return this.request<T>("PUT", p, { ...opts, body });
  }

  async patch<T = unknown>(
    p: string,
    patch: unknown,
    contentType: PatchContentType,
    opts: RawRequestOptions = {},
  ): Promise<T> {
    return this.request<T>("PATCH", p, { ...opts, body: patch, contentType });
  }

  async delete<T = unknown>(p: string, opts: RawRequestOptions = {}): Promise<T> {
    return this.request<T>("DELETE", p, opts);
  }

  async request<T = unknown>(method: string, p: string, opts: RawRequestOptions = {}): Promise<T> {
    const prepared = await this.prepare(p, opts.query);
    const payload =
      opts.body === undefined
        ? undefined
        : Buffer.from(opts.body instanceof EncodedJson ? opts.body.text : JSON.stringify(opts.body));
    const headers: http.OutgoingHttpHeaders = { ...(prepared.options.headers as http.OutgoingHttpHeaders), Accept: "application/json" };
    if (payload) {
      headers["Content-Type"] = opts.contentType ?? "application/json";
      headers["Content-Length"] = payload.length;
    }
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const signals = [AbortSignal.timeout(timeoutMs)];
    if (opts.signal) signals.push(opts.signal);
    const signal = AbortSignal.any(signals);
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = prepared.transport.request(
        prepared.url,
        { ...prepared.options, method, headers, signal },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
          res.on("error", fail);
        },
      );
      const fail = (err: unknown) => reject(signal.aborted && !opts.signal?.aborted ? timeoutError(method, p, timeoutMs) : err);
      req.on("error", fail);
      req.end(payload);
    });
    if (status < 200 || status > 299) throw apiErrorFromResponse(status, text, `${method} ${p}`);
    if (text.length === 0) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new KubeApiError(status, "InvalidResponse", `${method} ${p}: response is not JSON: ${text.slice(0, 200)}`);
    }
  }

  /**
   * One watch connection. Calls `onEvent` per event and resolves when the
   * server ends the stream (normal after `timeoutSeconds`). Rejects with a
   * KubeApiError on a non-200 answer or an ERROR event (410 when the
   * resourceVersion is too old), or with the transport error.
   * `idleTimeoutMs` guards against half-dead connections: bookmarks arrive about
   * once a minute, so silence for longer means the stream is gone.
   */
  async watch<T = unknown>(
    p: string,
    query: QueryParams,
    onEvent: (ev: WatchEvent<T>) => void,
    opts: { signal?: AbortSignal; idleTimeoutMs?: number } = {},
  ): Promise<void> {
    const prepared = await this.prepare(p, { ...query, watch: true });
    const headers = { ...(prepared.options.headers as http.OutgoingHttpHeaders), Accept: "application/json" };
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = (err?: unknown) => {
        if (settled) return;
        settled = true;
        req.destroy();
        if (err) reject(err);
        else resolve();
      };
      const req = prepared.transport.request(prepared.url, { ...prepared.options, method: "GET", headers }, (res) => {
        if (res.statusCode !== 200) {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => finish(apiErrorFromResponse(res.statusCode ?? 0, Buffer.concat(chunks).toString("utf8"), `watch ${p}`)));
          res.on("error", finish);
          return;
        }
        let buffered = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          buffered += chunk;
          let nl: number;
          while (!settled && (nl = buffered.indexOf("\n")) >= 0) {
            const line = buffered.slice(0, nl).trim();
            buffered = buffered.slice(nl + 1);
            if (line.length > 0) handleLine(line);
          }
        });
        res.on("end", () => {
          const rest = buffered.trim();
          if (rest.length > 0) handleLine(rest);
          finish();
        });
        res.on("error", finish);
        res.on("close", () => finish());
      });
      const handleLine = (line: string) => {
        let ev: { type?: unknown; object?: unknown };
        try {
          ev = JSON.parse(line) as typeof ev;
        } catch {
          finish(new KubeApiError(500, "InvalidResponse", `watch ${p}: event is not JSON: ${line.slice(0, 200)}`));
          return;
        }
        if (ev.type === "ERROR") {
          finish(apiErrorFromStatus(ev.object, `watch ${p}`));
          return;
        }
        if (ev.type === "ADDED" || ev.type === "MODIFIED" || ev.type === "DELETED" || ev.type === "BOOKMARK") {
          try {
            onEvent({ type: ev.type, object: ev.object as T });
          } catch (err) {
            finish(err);
          }
        }
      };
      if (opts.idleTimeoutMs) {
        req.setTimeout(opts.idleTimeoutMs, () =>
          finish(new Error(`watch ${p}: no data for ${Math.round(opts.idleTimeoutMs! / 1000)}s`)),
        );
      }
      req.on("error", (err) => finish(opts.signal?.aborted ? undefined : err));
      if (opts.signal) {
        if (opts.signal.aborted) return finish();
        opts.signal.addEventListener("abort", () => finish(), { once: true });
      }
      req.end();
    });
  }

  /** Closes pooled connections (shutdown). */
  close(): void {
    this.agent?.destroy();
    this.agent = undefined;
  }

  private async prepare(p: string, query?: QueryParams): Promise<Prepared> {
    const url = new URL(this.server + p);
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v !== undefined) url.searchParams.set(k, String(v));
    }
    // Credentials are re-applied per request: exec plugins and projected
    // service-account tokens rotate.
    const options: https.RequestOptions = {};
    await this.kubeConfig.applyToHTTPSOptions(options);
    const headers: http.OutgoingHttpHeaders = {
      ...((options.headers ?? {}) as http.OutgoingHttpHeaders),
      "User-Agent": this.userAgent,
    };
    if (options.auth) {
      headers.Authorization = `Basic ${Buffer.from(options.auth).toString("base64")}`;
    }
    const transport = url.protocol === "http:" ? http : https;
    return { url, transport, options: { agent: this.agentFor(options, transport), headers } };
  }

  // The agent KubeConfig builds has no keep-alive and is new per call; keep
  // one pooled agent per TLS identity instead (rebuilt when the client
  // certificate rotates). Proxy agents are used as given.
  private agentFor(options: https.RequestOptions, transport: typeof http | typeof https): http.Agent {
    if (this.kubeConfig.getCurrentCluster()?.proxyUrl && options.agent instanceof http.Agent) return options.agent;
    const key = [options.ca, options.cert, options.key, options.rejectUnauthorized, options.servername]
      .map((v) => (v === undefined ? "" : Buffer.isBuffer(v) ? v.toString("base64") : String(v)))
      .join("|");
    if (!this.agent || key !== this.agentKey) {
      this.agent?.destroy();
      const tls = {
        ca: options.ca,
        cert: options.cert,
        key: options.key,
        servername: options.servername,
        ...(options.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: options.rejectUnauthorized }),
      };
      this.agent = transport === http ? new http.Agent({ keepAlive: true }) : new https.Agent({ keepAlive: true, ...tls });
      this.agentKey = key;
    }
    return this.agent;
  }
}

function timeoutError(method: string, p: string, ms: number): KubeApiError {
  return new KubeApiError(504, "Timeout", `${method} ${p}: no answer within ${ms}ms`);
}
