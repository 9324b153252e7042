// The manager process: two event loops. The webhook thread (webhook-thread.ts)
// serves the admission webhooks on every replica from its own pod-free caches;
// this thread runs leader election, the SidecarSet controller with its caches
// (only while it holds the Lease), certificates, and metrics and health on
// their own port. See docs/adr/0005-admission-event-loop.md.
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { join } from "node:path";
import type { Registry } from "prom-client";
import { openApiAccess, type ApiAccess } from "../kube/api-access.js";
import { RawKubeClient } from "../kube/raw-client.js";
import { EventRecorder, rawEventSink } from "../kube/events.js";
import { LeaderElector, rawLeaseClient } from "../kube/leader-election.js";
import type { ResolvedCredentials } from "../kube/relayed-credentials.js";
import { atLeast, serverVersion } from "../kube/server-version.js";
import { CRD_NAME } from "../manifests/crd.js";
import { MUTATING_WEBHOOK_CONFIGURATION_NAME, VALIDATING_WEBHOOK_CONFIGURATION_NAME } from "../manifests/options.js";
import { createLogger, errorFields, type Logger } from "../observability/logger.js";
import { ObservabilityServer } from "../observability/http.js";
import { createMetrics, type ManagerMetrics } from "../observability/metrics.js";
import type { CertBundle } from "../webhook/cert-issue.js";
import { helperProcessIssuer } from "../webhook/cert-issuer.js";
import { ensureCertificates, loadMountedCertificates, patchCaBundles, SECRET_KEYS } from "../webhook/certs.js";
import { registerCacheMetrics } from "./cache-metrics.js";
import type { ControllerTerm } from "./controller-term.js";
import type { ManagerOptions } from "./options.js";
import type { PemPair, WebhookThreadState } from "./webhook-protocol.js";
import { WebhookThread } from "./webhook-thread.js";
import { webhookViewLeaseName } from "./webhook-view-lease.js";
import { WebhookViewPublisher } from "./webhook-view-publisher.js";
import { installWebhookConfigurations } from "./webhook-configurations.js";

const CERT_CHECK_INTERVAL_MS = 60 * 60_000;

export interface RunningManager {
  webhookPort: number;
  metricsPort: number;
  /** Resolves when the manager has stopped; rejects when the webhook thread ended on its own. */
  stopped: Promise<void>;
  stop(): Promise<void>;
}

interface TermLoading {
  term: Promise<ControllerTerm | undefined>;
}

export class Manager {
  private readonly logger: Logger;
  private readonly metrics: ManagerMetrics;
  private client!: RawKubeClient;
  private webhook: WebhookThread | undefined;
  /** Whether the API server has been given this start's CA (webhook configurations and CRD conversion). */
  private caPublished = false;
  /** Whether the Lease holder scopes the pod webhook (docs/behaviour.md §7a.2); settled at start. */
  private selfScopingWebhook = false;
  private webhookState: WebhookThreadState | undefined;
  private observability: ObservabilityServer | undefined;
  /** The controller and its caches while this replica runs them; undefined on a standby. */
  private term: ControllerTerm | undefined;
  private viewPublisher: WebhookViewPublisher | undefined;
  /** The term being started or running; endTerm waits for its code to load before stopping it. */
  private loading: TermLoading | undefined;
  private elector: LeaderElector | undefined;
  private recorder!: EventRecorder;
  private readonly abort = new AbortController();
  private certTimer: NodeJS.Timeout | undefined;
  private access: ApiAccess | undefined;
  private stopping: Promise<void> | undefined;
  private electionLoop: Promise<void> | undefined;

  constructor(
    private readonly opts: ManagerOptions,
    logger?: Logger,
  ) {
    this.logger = logger ?? createLogger({ level: opts.logLevel, base: { component: "sidecarset-manager" } });
    this.metrics = createMetrics({ defaultMetrics: true });
    registerCacheMetrics(this.metrics.registry, {
      webhook: () => this.webhookState?.cached,
      controller: () => this.term?.caches.sizes(),
      synced: (side) => (side === "webhook" ? this.webhookState?.synced : this.term && !this.term.syncing()),
      webhookEventLoopDelay: () => this.webhookState?.eventLoopDelay,
      webhookHeap: () => this.webhookState?.heap,
      webhookConnections: () => this.webhookState?.connections,
      webhookCertificate: () => this.webhookState?.certificate,
    });
  }

  async start(): Promise<RunningManager> {
    const { opts, logger } = this;
    const access = await openApiAccess(opts.kubeconfig ? { kubeconfigPath: opts.kubeconfig } : {});
    this.access = access;
    this.client = new RawKubeClient(access.credentials);
    logger.info(
      { server: access.server, source: access.source, namespace: opts.namespace, credentials: access.mode, ...(access.reason ? { why: access.reason } : {}) },
      "connecting to the API server",
    );

    this.observability = new ObservabilityServer({
      port: opts.metricsPort,
      host: opts.metricsBindAddress,
      registry: this.scrapedRegistry(),
      logger,
    });
    this.observability.addReadinessCheck("webhook-caches-synced", async () => {
      if (!this.webhook) return "the webhook thread is not serving yet";
      const state = await this.refreshWebhookState();
      return (state.synced && state.serving) || "the webhook caches are not synced yet";
    });
    // Without leader election the controller's caches sync at start and gate
    // readiness like the webhook's. A term that starts when the Lease is won
    // does not: this replica keeps answering admissions while its pod cache
    // syncs, which matters most when it is the only replica left.
    this.observability.addReadinessCheck(
      "controller-caches-synced",
      () => this.opts.leaderElect || (this.term !== undefined && !this.term.syncing()) || "the controller caches are not synced yet",
    );
    // Ready only once the API server trusts this start's certificate: before,
    // a SidecarSet written in the other version fails its conversion.
    this.observability.addReadinessCheck("ca-bundle-published", () => this.caPublished || "the CA is not yet published to the API server");
    const metricsPort = await this.observability.start();

    this.recorder = new EventRecorder({
      sink: rawEventSink(this.client),
      component: "sidecarset-controller",
      host: opts.identity,
      clusterScopedNamespace: "default",
      logger,
    });

    let credentials: ResolvedCredentials | undefined;
    try {
      this.selfScopingWebhook = await this.resolveSelfScoping();
      if (opts.nativeSidecarInPlaceUpgrade) await this.checkNativeSidecarRestarts();
      const certificate = await this.certificates();
      credentials = access.relayable();
      this.webhook = await this.startSides(certificate, credentials);
      logger.info({ port: this.webhook.port }, "webhook thread serving");
      // Only now that it answers may the API server be pointed at it (out-of-cluster mode).
      if (certificate.caCert) await this.publishCaBundle(certificate.caCert);
      this.caPublished = true;
    } catch (e) {
      // Leave nothing running behind a failed start (the caller exits).
      await this.stop();
      throw e;
    }
    const webhook = this.webhook;
    this.publishWebhookView(webhook);
    if (credentials) {
      access.watch(
        (next) => this.webhook?.setCredentials(next),
        (e) => this.logger.warn(errorFields(e), "resolving the API credentials failed; will retry"),
      );
    }

    const stopped = this.run(webhook);
    stopped.catch((e: unknown) => logger.error(errorFields(e), "the manager stopped on an error"));
    return { webhookPort: webhook.port, metricsPort, stopped, stop: () => this.stop() };
  }

  /** The name of this replica's webhook view Lease (webhook-view-lease.ts). */
  private viewLeaseName(): string {
    return webhookViewLeaseName(this.opts.podName ?? this.opts.identity);
  }

  /** Every replica tells the Lease holder which SidecarSet generations its pod webhook holds (docs/behaviour.md §6.4). */
  private publishWebhookView(webhook: WebhookThread): void {
    const { opts } = this;
    if (opts.webhookViewLeaseMs <= 0) return;
    const publisher = new WebhookViewPublisher({
      client: this.client,
      namespace: opts.namespace,
      name: this.viewLeaseName(),
      holderIdentity: opts.identity,
      durationMs: opts.webhookViewLeaseMs,
      logger: this.logger,
    });
    this.viewPublisher = publisher;
    webhook.held.onUpdate((held) => publisher.publish(held));
  }

  private versionRequest: ReturnType<typeof serverVersion> | undefined;

  /** The API server's version, asked once per start whatever needs it. */
  private apiServerVersion(): ReturnType<typeof serverVersion> {
    this.versionRequest ??= serverVersion(this.client);
    return this.versionRequest;
  }

  /** `--self-scoping-webhook` as given, else on from Kubernetes 1.30 (matchConditions are GA there). */
  private async resolveSelfScoping(): Promise<boolean> {
    const { opts, logger } = this;
    if (opts.selfScopingWebhook !== undefined) return opts.selfScopingWebhook;
    const version = await this.apiServerVersion().catch((e: unknown) => {
      logger.warn(errorFields(e), "the API server's version is unknown: the pod webhook is called for every pod (--self-scoping-webhook turns scoping on)");
      return undefined;
    });
    if (!version) return false;
    const on = atLeast(version, 1, 30);
    logger.info({ serverVersion: version.gitVersion, selfScopingWebhook: on }, on
      ? "the pod webhook will be limited to pods a SidecarSet could select"
      : "the API server is older than 1.30: the pod webhook is called for every pod");
    return on;
  }

  /**
   * Kubelets restart a running native sidecar whose image changed from
   * Kubernetes 1.32 on; older ones keep the old container, and such pods would
   * never finish their upgrade. The API server's version stands in for the
   * kubelets' (they may not be newer than it).
   */
  private async checkNativeSidecarRestarts(): Promise<void> {
    const version = await this.apiServerVersion().catch(() => undefined);
    const fields = { serverVersion: version?.gitVersion ?? "unknown", nativeSidecarInPlaceUpgrade: true };
    if (!version) this.logger.warn(fields, "the API server's version is unknown: native sidecars are upgraded in place only where kubelets are 1.32 or later");
    else if (!atLeast(version, 1, 32)) {
      this.logger.warn(fields, "the cluster is older than 1.32: its kubelets do not restart a native sidecar whose image changed, so those upgrades will not finish");
    } else this.logger.info(fields, "native sidecars are upgraded in place");
  }

  /** The registry behind /metrics: the webhook thread's pending metrics are fetched before each scrape. */
  private scrapedRegistry(): Pick<Registry, "metrics" | "contentType"> {
    const registry = this.metrics.registry;
    return {
      contentType: registry.contentType,
      metrics: async () => {
        await this.refreshWebhookState(true).catch((e: unknown) => this.logger.warn(errorFields(e), "the webhook thread did not report its metrics"));
        return registry.metrics();
      },
    };
  }

  private async refreshWebhookState(newWindow = false): Promise<WebhookThreadState> {
    if (!this.webhook) throw new Error("the webhook thread is not running");
    this.webhookState = await this.webhook.state({ newWindow });
    return this.webhookState;
  }

  /**
   * Starts the webhook thread and, without leader election, the controller's
   * caches alongside; resolves when the thread serves (and the controller runs).
   */
  private async startSides(certificate: PemPair, credentials: ResolvedCredentials | undefined): Promise<WebhookThread> {
    const { opts, logger } = this;
    logger.info("starting the webhook thread; waiting for its caches to sync");
    const webhookStarting = WebhookThread.start({
      config: {
        ...(credentials ? { credentials } : opts.kubeconfig ? { kubeconfig: opts.kubeconfig } : {}),
        namespace: opts.namespace,
        port: opts.webhookPort,
        host: opts.webhookBindAddress,
        certificate: { cert: certificate.cert, key: certificate.key },
        ...(opts.certMode === "files"
          ? { certificateFiles: { certFile: join(opts.certDir, SECRET_KEYS.cert), keyFile: join(opts.certDir, SECRET_KEYS.key) } }
          : {}),
        logLevel: opts.logLevel,
        sortInjectedContainersByName: opts.sortInjectedContainersByName,
        allowPatchPodMetadataWithoutWhitelist: opts.allowPatchPodMetadataWithoutWhitelist,
        nativeSidecarInPlaceUpgrade: opts.nativeSidecarInPlaceUpgrade,
        admissionWarmUp: opts.admissionWarmUp,
      },
      logger,
      metrics: this.metrics,
    });
    const controllerStarting = opts.leaderElect ? Promise.resolve() : this.startTerm();
    try {
      const [webhook] = await Promise.all([webhookStarting, controllerStarting]);
      return webhook;
    } catch (e) {
      void webhookStarting.then((w) => w.stop(), () => undefined);
      throw e;
    }
  }

  /**
   * Serving certificate (and, in self-signed mode, the CA to publish), per
   * --cert-mode; self-signed certificates are checked hourly and renewed.
   */
  private async certificates(): Promise<PemPair & { caCert?: string }> {
    const { opts, logger } = this;
    if (opts.certMode === "files") {
      const mounted = await loadMountedCertificates(opts.certDir);
      logger.info({ dir: opts.certDir, notAfter: mounted.notAfter.toISOString() }, "using mounted webhook certificates");
      return { cert: mounted.cert, key: mounted.key };
    }
    const bundle = await this.selfSigned();
    this.certTimer = setInterval(() => {
      this.selfSigned()
        .then(async (b) => {
          await this.publishCaBundle(b.caCert);
          this.webhook?.setCertificate({ cert: b.cert, key: b.key });
        })
        .catch((e) => logger.error(errorFields(e), "renewing the webhook certificate failed; will retry"));
    }, CERT_CHECK_INTERVAL_MS);
    this.certTimer.unref();
    return { cert: bundle.cert, key: bundle.key, caCert: bundle.caCert };
  }

  private selfSigned(): Promise<CertBundle> {
    const { opts, logger } = this;
    return ensureCertificates({
      client: this.client,
      namespace: opts.namespace,
      secretName: opts.certSecret,
      service: opts.webhookServiceName,
      ...(opts.webhookHost ? { host: opts.webhookHost } : {}),
      now: new Date(),
      issuer: helperProcessIssuer,
      logger,
    });
  }

  /** Writes the CA into the webhook configurations (out-of-cluster mode: installs them, pointing here). */
  private async publishCaBundle(caCert: string): Promise<void> {
    const { opts, logger } = this;
    if (opts.webhookHost) {
      await installWebhookConfigurations(this.client, {
        namespace: opts.namespace,
        webhookHost: opts.webhookHost,
        webhookPort: opts.webhookPort,
        caBundle: caCert,
      });
      logger.info({ url: `https://${opts.webhookHost}:${opts.webhookPort}` }, "installed the webhook configurations");
      return;
    }
    const result = await patchCaBundles({
      client: this.client,
      mutatingName: MUTATING_WEBHOOK_CONFIGURATION_NAME,
      validatingName: VALIDATING_WEBHOOK_CONFIGURATION_NAME,
      crdName: CRD_NAME,
      caBundle: caCert,
    });
    if (result.missing.length) logger.warn({ missing: result.missing }, "webhook configurations not found; apply deploy/webhook first");
    if (result.updated.length) logger.info({ updated: result.updated }, "wrote the CA bundle into the webhook configurations");
  }

  /** Until stopped; rejects when the webhook thread ends on its own (the process should then exit and restart). */
  private run(webhook: WebhookThread): Promise<void> {
    const crashed = webhook.exited.then(async (code) => {
      if (this.stopping) return;
      // Without its webhooks the replica is useless: stop everything, so the
      // process can exit (and be restarted) instead of idling half alive.
      await this.stop();
      throw new Error(`the webhook thread exited unexpectedly (code ${code})`);
    });
    const controller = this.opts.leaderElect ? this.campaign() : new Promise<void>((resolve) => this.abort.signal.addEventListener("abort", () => resolve(), { once: true }));
    return Promise.race([controller, crashed]);
  }

  /** A new controller term: its own caches, started now; resolves once the controller runs. */
  private startTerm(): Promise<void> {
    const loading: TermLoading = { term: this.loadTerm(() => this.loading === loading) };
    this.loading = loading;
    return loading.term.then((term) => term?.start());
  }

  /**
   * The controller's code is loaded when this replica first leads: a standby never holds it (a few MB of its
   * memory). Resolves to no term when this one ended while the code loaded.
   */
  private async loadTerm(current: () => boolean): Promise<ControllerTerm | undefined> {
    const { ControllerTerm } = await import("./controller-term.js");
    if (!current()) return undefined;
    const { opts, logger } = this;
    const term = new ControllerTerm({
      client: this.client,
      recorder: this.recorder,
      logger,
      namespace: opts.namespace,
      workers: opts.workers,
      expectationTimeoutMs: opts.expectationTimeoutMs,
      metrics: this.metrics,
      podWebhookScope: { enabled: this.selfScopingWebhook, graceMs: opts.scopeNarrowingGraceMs },
      nativeSidecarInPlaceUpgrade: opts.nativeSidecarInPlaceUpgrade,
      webhookHolds: (set) => this.webhook?.held.holds(set) ?? false,
      ...(opts.webhookViewLeaseMs > 0 ? { otherReplicaViews: { ownLease: this.viewLeaseName(), maxWaitMs: opts.webhookViewLeaseMs } } : {}),
    });
    this.term = term;
    logger.info("starting the controller caches");
    return term;
  }

  private async endTerm(): Promise<void> {
    const loading = this.loading;
    this.loading = undefined;
    const term = await loading?.term;
    if (this.term === term) this.term = undefined;
    await term?.stop();
  }

  /**
   * Campaigns for the Lease, runs a controller term while holding it, and
   * campaigns again after losing it: the webhook thread keeps serving all along.
   */
  private campaign(): Promise<void> {
    const { opts, logger } = this;
    this.elector = new LeaderElector({
      lease: rawLeaseClient(this.client, opts.namespace, opts.leaseName),
      name: opts.leaseName,
      namespace: opts.namespace,
      identity: opts.identity,
      releaseOnCancel: true,
      logger,
      onStartedLeading: (signal) => {
        this.metrics.leaderStatus.set({ name: opts.leaseName }, 1);
        this.startTerm().catch((e: unknown) => logger.error(errorFields(e), "starting the controller failed"));
        signal.addEventListener("abort", () => {
          void this.endTerm().then(() => logger.info("controller stopped; its pod cache is dropped"));
        });
      },
      onStoppedLeading: () => {
        this.metrics.leaderStatus.set({ name: opts.leaseName }, 0);
        logger.info("leadership lost or released; controller stopping");
      },
      onNewLeader: (id) => logger.info({ leader: id }, "observed leader"),
    });
    this.metrics.leaderStatus.set({ name: opts.leaseName }, 0);
    this.electionLoop = (async () => {
      while (!this.abort.signal.aborted) await this.elector!.run(this.abort.signal);
    })();
    return this.electionLoop;
  }

  /**
   * Graceful: readiness fails, in-flight reconciles and admissions finish, the Lease is released. With
   * `afterShutdownDelay` (a SIGTERM), the webhooks keep answering for the shutdown delay first, closing each
   * connection after its next answer, while the controller stops at once.
   */
  stop(opts: { afterShutdownDelay?: boolean } = {}): Promise<void> {
    this.stopping ??= (async () => {
      const { logger } = this;
      const delayMs = opts.afterShutdownDelay ? this.opts.shutdownDelayMs : 0;
      logger.info(delayMs > 0 ? { webhooksAnsweringForMs: delayMs } : {}, "shutting down");
      this.observability?.markShuttingDown();
      if (delayMs > 0) this.webhook?.retire();
      if (this.certTimer) clearInterval(this.certTimer);
      // First, so that the Lease holder stops waiting for a replica that is leaving.
      const viewDeleted = this.viewPublisher?.stop();
      this.access?.stop();
      const controllerDone = (async () => {
        await this.endTerm();
        this.abort.abort();
        await this.electionLoop?.catch((e: unknown) => logger.warn(errorFields(e), "leader election ended with an error"));
      })();
      const webhookDone = (async () => {
        if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
        await this.webhook?.stop();
      })();
      await Promise.all([controllerDone, webhookDone, viewDeleted]);
      await this.recorder?.flush();
      await this.observability?.stop();
      this.client?.close();
      logger.info("stopped");
    })();
    return this.stopping;
  }
}

/**
 * The Lease holder identity: the pod (or host) name plus a random suffix, so
 * two managers on one host, or a restarted one, never take each other for the leader.
 */
export function defaultIdentity(): string {
  return `${process.env.POD_NAME || hostname()}_${randomUUID().slice(0, 8)}`;
}
