// How the manager reaches the API server without keeping the client library
// loaded. A helper process (credentials-probe.ts) resolves the kubeconfig's
// credentials into plain data; both of the manager's threads use that data,
// and the helper runs again only when a file they came from changes (a
// rotated service-account token, a renewed certificate). Credentials a plugin
// renews (exec, OIDC, cloud auth providers) or that go through a proxy need
// the library itself: then it is loaded in this process, as before, and the
// webhook thread is handed what it resolves every CREDENTIALS_REFRESH_MS.
import { probeCredentials } from "./credentials-probe-client.js";
import type { KubeConfigSourceName, ProbeAnswer, ProbeRequest, WatchedFile } from "./credentials-probe-protocol.js";
import { fileDigest } from "./file-digest.js";
import type { KubeCredentials } from "./raw-client.js";
import { RelayedCredentials, resolveCredentials, sameCredentials, type ResolvedCredentials } from "./relayed-credentials.js";

/** How often changed credentials are looked for (tokens rotate within the hour). */
export const CREDENTIALS_REFRESH_MS = 10_000;

export interface ApiAccess {
  /** For this thread's requests; always current. */
  readonly credentials: KubeCredentials;
  readonly source: KubeConfigSourceName;
  readonly server: string;
  /** Where the client library runs: in a helper process when asked, or loaded in this process throughout. */
  readonly mode: "helper-process" | "in-process";
  /** Why the library stays loaded (in-process mode). */
  readonly reason?: string;
  /** What another thread can be handed; undefined when the credentials are not plain data (a proxy). */
  relayable(): ResolvedCredentials | undefined;
  /**
   * Looks for new credentials every `intervalMs` and passes relayable ones on once they change; a failed
   * look is reported and retried at the next interval.
   */
  watch(onChange: (next: ResolvedCredentials) => void, onError: (e: unknown) => void, intervalMs?: number): void;
  stop(): void;
}

export interface ApiAccessDeps {
  probe: (request: ProbeRequest) => Promise<ProbeAnswer>;
  /** Loads the kubeconfig with the library in this process. */
  loadInProcess: (request: ProbeRequest) => Promise<{ kubeConfig: KubeCredentials; source: KubeConfigSourceName; server: string }>;
  digest: (path: string) => Promise<string>;
}

const defaultDeps: ApiAccessDeps = {
  probe: probeCredentials,
  loadInProcess: async (request) => {
    const { loadKubeConfig } = await import("./client.js");
    return loadKubeConfig(request.kubeconfigPath ? { kubeconfigPath: request.kubeconfigPath } : {});
  },
  digest: fileDigest,
};

export async function openApiAccess(request: ProbeRequest, deps: ApiAccessDeps = defaultDeps): Promise<ApiAccess> {
  const answer = await deps.probe(request);
  if (!answer.ok) throw new Error(answer.message);
  if (answer.kind === "relayable") return new HelperProcessAccess(request, answer, deps);
  const loaded = await deps.loadInProcess(request);
  return new InProcessAccess(loaded.kubeConfig, loaded.source, loaded.server, answer.reason, await resolveCredentials(loaded.kubeConfig));
}

abstract class RefreshingAccess {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  watch(onChange: (next: ResolvedCredentials) => void, onError: (e: unknown) => void, intervalMs = CREDENTIALS_REFRESH_MS): void {
    this.stop();
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      this.refresh()
        .then((next) => next && onChange(next))
        .catch(onError)
        .finally(() => (this.busy = false));
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** New relayable credentials, or undefined when nothing changed. */
  protected abstract refresh(): Promise<ResolvedCredentials | undefined>;
}

class HelperProcessAccess extends RefreshingAccess implements ApiAccess {
  readonly mode = "helper-process";
  readonly credentials: RelayedCredentials;
  readonly source: KubeConfigSourceName;
  readonly server: string;
  private current: ResolvedCredentials;
  private files: WatchedFile[];

  constructor(
    private readonly request: ProbeRequest,
    answer: Extract<ProbeAnswer, { kind: "relayable" }>,
    private readonly deps: ApiAccessDeps,
  ) {
    super();
    this.source = answer.source;
    this.server = answer.server;
    this.current = answer.credentials;
    this.files = answer.files;
    this.credentials = new RelayedCredentials(answer.credentials);
  }

  relayable(): ResolvedCredentials {
    return this.current;
  }

  protected async refresh(): Promise<ResolvedCredentials | undefined> {
    const digests = await Promise.all(this.files.map((f) => this.deps.digest(f.path)));
    if (digests.every((d, i) => d === this.files[i]!.digest)) return undefined;
    const answer = await this.deps.probe(this.request);
    if (!answer.ok) throw new Error(answer.message);
    if (answer.kind !== "relayable") {
      throw new Error(`the kubeconfig's credentials can no longer be relayed (${answer.reason}); restart the manager`);
    }
    this.files = answer.files;
    if (sameCredentials(answer.credentials, this.current)) return undefined;
    this.current = answer.credentials;
    this.credentials.update(answer.credentials);
    return answer.credentials;
  }
}

class InProcessAccess extends RefreshingAccess implements ApiAccess {
  readonly mode = "in-process";

  constructor(
    readonly credentials: KubeCredentials,
    readonly source: KubeConfigSourceName,
    readonly server: string,
    readonly reason: string,
    private current: ResolvedCredentials | undefined,
  ) {
    super();
  }

  relayable(): ResolvedCredentials | undefined {
    return this.current;
  }

  protected async refresh(): Promise<ResolvedCredentials | undefined> {
    if (!this.current) return undefined;
    const next = await resolveCredentials(this.credentials);
    if (!next || sameCredentials(next, this.current)) return undefined;
    this.current = next;
    return next;
  }
}
