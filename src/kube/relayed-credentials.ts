// API credentials resolved from a KubeConfig on one thread and used on
// another. Loading @kubernetes/client-node costs a thread about 45 MB of heap;
// the webhook thread only needs the server, the TLS material and the
// Authorization header, which the main thread resolves (running exec plugins,
// re-reading rotated token files) and hands over again whenever they change.
import type https from "node:https";
import type { KubeCredentials } from "./raw-client.js";

/** Plain data (structured-cloneable): what applyToHTTPSOptions produced. */
export interface ResolvedCredentials {
  server: string;
  tls: { ca?: string; cert?: string; key?: string; rejectUnauthorized?: boolean; servername?: string };
  headers: Record<string, string>;
}

const TLS_FIELDS = ["ca", "cert", "key", "servername"] as const;

/**
 * Resolves the credentials a request would carry now; undefined when they
 * cannot be relayed (a proxy agent is not plain data).
 */
export async function resolveCredentials(source: KubeCredentials): Promise<ResolvedCredentials | undefined> {
  const cluster = source.getCurrentCluster();
  if (!cluster || cluster.proxyUrl) return undefined;
  const options: https.RequestOptions = {};
  await source.applyToHTTPSOptions(options);
  const tls: ResolvedCredentials["tls"] = {};
  for (const field of TLS_FIELDS) {
    const v = options[field];
    if (typeof v === "string") tls[field] = v;
    else if (Buffer.isBuffer(v)) tls[field] = v.toString("utf8");
  }
  if (options.rejectUnauthorized !== undefined) tls.rejectUnauthorized = options.rejectUnauthorized;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.headers ?? {})) if (typeof v === "string") headers[k] = v;
  if (options.auth) headers.Authorization = `Basic ${Buffer.from(options.auth).toString("base64")}`;
  return { server: cluster.server, tls, headers };
}

export function sameCredentials(a: ResolvedCredentials | undefined, b: ResolvedCredentials | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Credentials for a RawKubeClient from the last resolved set; `update` swaps them. */
export class RelayedCredentials implements KubeCredentials {
  constructor(private current: ResolvedCredentials) {}

  update(next: ResolvedCredentials): void {
    this.current = next;
  }

  getCurrentCluster(): { server: string } {
    return { server: this.current.server };
  }

  async applyToHTTPSOptions(options: https.RequestOptions): Promise<void> {
    Object.assign(options, this.current.tls);
    options.headers = { ...(options.headers as Record<string, string> | undefined), ...this.current.headers };
  }
}
