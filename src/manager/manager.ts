// The manager process: admission webhooks on every replica, the SidecarSet
// controller on the Lease holder only, metrics and health on their own port.
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { join } from "node:path";
import { SidecarSetController } from "../controller/controller.js";
import { ManagerCaches } from "../controller/caches.js";
import { loadKubeConfig, RawKubeClient } from "../kube/client.js";
import { EventRecorder, rawEventSink } from "../kube/events.js";
import { LeaderElector, rawLeaseClient } from "../kube/leader-election.js";
import { MUTATING_WEBHOOK_CONFIGURATION_NAME, VALIDATING_WEBHOOK_CONFIGURATION_NAME } from "../manifests/options.js";
import { createLogger, errorFields, type Logger } from "../observability/logger.js";
import { ObservabilityServer } from "../observability/http.js";
import { createMetrics, observeWebhook, type ManagerMetrics } from "../observability/metrics.js";
import { ensureCertificates, loadMountedCertificates, patchCaBundles, SECRET_KEYS, type CertBundle } from "../webhook/certs.js";
import { admissionRoutes } from "../webhook/handlers/index.js";
import { WebhookServer } from "../webhook/server.js";
import type { ManagerOptions } from "./options.js";
import { installWebhookConfigurations } from "./webhook-configurations.js";

const CERT_CHECK_INTERVAL_MS = 60 * 60_000;

export interface RunningManager {
  webhookPort: number;
  metricsPort: number;
  /** Resolves when the manager has stopped. */
  stopped: Promise<void>;
  stop(): Promise<void>;
}

export class Manager {
  private readonly logger: Logger;
  private readonly metrics: ManagerMetrics;
  private client!: RawKubeClient;
  private caches!: ManagerCaches;
  private webhook: WebhookServer | undefined;
  private observability: ObservabilityServer | undefined;
  private controller: SidecarSetController | undefined;
  private elector: LeaderElector | undefined;
  private recorder!: EventRecorder;
  private readonly abort = new AbortController();
  private certTimer: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;
  private electionLoop: Promise<void> | undefined;

  constructor(
    private readonly opts: ManagerOptions,
    logger?: Logger,
  ) {
    this.logger = logger ?? createLogger({ level: opts.logLevel, base: { component: "sidecarset-manager" } });
    this.metrics = createMetrics({ defaultMetrics: true });
  }

  async start(): Promise<RunningManager> {
    const { opts, logger } = this;
    const loaded = loadKubeConfig(opts.kubeconfig ? { kubeconfigPath: opts.kubeconfig } : {});
    this.client = new RawKubeClient(loaded.kubeConfig);
    logger.info({ server: loaded.server, source: loaded.source, namespace: opts.namespace }, "connecting to the API server");

    this.observability = new ObservabilityServer({
      port: opts.metricsPort,
      host: opts.metricsBindAddress,
      registry: this.metrics.registry,
      logger,
    });
    this.observability.addReadinessCheck("informers-synced", () => this.caches?.hasSynced() || "caches are not synced yet");
    this.observability.addReadinessCheck("webhook-serving", () => Boolean(this.webhook) || "webhook server is not serving yet");
    const metricsPort = await this.observability.start();

    this.recorder = new EventRecorder({
      sink: rawEventSink(this.client),
      component: "sidecarset-controller",
      host: opts.identity,
      clusterScopedNamespace: "default",
      logger,
    });
    this.caches = new ManagerCaches({ client: this.client, namespace: opts.namespace, logger });
    this.caches.start();
    logger.info("waiting for the caches to sync");
    await this.caches.waitForSync(this.abort.signal);
    logger.info("caches synced");

    const certificate = await this.certificates();
    const routes = admissionRoutes({
      cache: {
        sidecarSets: () => this.caches.sidecarSetList(),
        namespaceLabels: (n) => this.caches.namespaceLabels(n),
        revisions: () => this.caches.revisionList(),
        whitelist: () => this.caches.whitelist(),
      },
      now: () => new Date(),
      random: Math.random,
      sortInjectedContainersByName: opts.sortInjectedContainersByName,
      allowPatchPodMetadataWithoutWhitelist: opts.allowPatchPodMetadataWithoutWhitelist,
      metrics: { onInjected: (names) => names.forEach((n) => this.metrics.injections.inc({ sidecarset: n })) },
      logger,
    });
    const webhook = new WebhookServer({
      port: opts.webhookPort,
      host: opts.webhookBindAddress,
      certificate,
      routes,
      ready: () => this.caches.hasSynced(),
      logger,
      onRequestDone: ({ path, status, seconds }) => observeWebhook(this.metrics, path, status, seconds),
    });
    const webhookPort = await webhook.start();
    this.webhook = webhook;
    if (opts.certMode === "files") {
      webhook.watchCertificateFiles(join(opts.certDir, SECRET_KEYS.cert), join(opts.certDir, SECRET_KEYS.key));
    }

    const stopped = this.runController();
    return { webhookPort, metricsPort, stopped, stop: () => this.stop() };
  }

  /** Serving certificate and CA, per --cert-mode; also writes the caBundle where the manager owns it. */
  private async certificates(): Promise<{ cert: string; key: string }> {
    const { opts, logger } = this;
    if (opts.certMode === "files") {
      const mounted = await loadMountedCertificates(opts.certDir);
      logger.info({ dir: opts.certDir, notAfter: mounted.notAfter.toISOString() }, "using mounted webhook certificates");
      return { cert: mounted.cert, key: mounted.key };
    }
    const bundle = await this.refreshSelfSigned();
    this.certTimer = setInterval(() => {
      this.refreshSelfSigned()
        .then((b) => this.webhook?.setCertificate({ cert: b.cert, key: b.key }))
        .catch((e) => logger.error(errorFields(e), "renewing the webhook certificate failed; will retry"));
    }, CERT_CHECK_INTERVAL_MS);
    this.certTimer.unref();
    return { cert: bundle.cert, key: bundle.key };
  }

  private async refreshSelfSigned(): Promise<CertBundle> {
    const { opts, logger } = this;
    const bundle = await ensureCertificates({
      client: this.client,
      namespace: opts.namespace,
      secretName: opts.certSecret,
      service: opts.webhookServiceName,
      ...(opts.webhookHost ? { host: opts.webhookHost } : {}),
      now: new Date(),
      logger,
    });
    if (opts.webhookHost) {
      await installWebhookConfigurations(this.client, {
        namespace: opts.namespace,
        webhookHost: opts.webhookHost,
        webhookPort: opts.webhookPort,
        caBundle: bundle.caCert,
      });
      logger.info({ url: `https://${opts.webhookHost}:${opts.webhookPort}` }, "installed the webhook configurations");
    } else {
      const result = await patchCaBundles({
        client: this.client,
        mutatingName: MUTATING_WEBHOOK_CONFIGURATION_NAME,
        validatingName: VALIDATING_WEBHOOK_CONFIGURATION_NAME,
        caBundle: bundle.caCert,
      });
      if (result.missing.length) logger.warn({ missing: result.missing }, "webhook configurations not found; apply deploy/webhook first");
      if (result.updated.length) logger.info({ updated: result.updated }, "wrote the CA bundle into the webhook configurations");
    }
    return bundle;
  }

  private runController(): Promise<void> {
    const { opts, logger } = this;
    const makeController = () =>
      new SidecarSetController({
        client: this.client,
        caches: this.caches,
        recorder: this.recorder,
        logger,
        namespace: opts.namespace,
        workers: opts.workers,
        expectationTimeoutMs: opts.expectationTimeoutMs,
        metrics: this.metrics,
      });
    if (!opts.leaderElect) {
      this.controller = makeController();
      this.controller.start();
      logger.info({ workers: opts.workers }, "controller started (no leader election)");
      return new Promise((resolve) => this.abort.signal.addEventListener("abort", () => resolve(), { once: true }));
    }
    this.elector = new LeaderElector({
      lease: rawLeaseClient(this.client, opts.namespace, opts.leaseName),
      name: opts.leaseName,
      namespace: opts.namespace,
      identity: opts.identity,
      releaseOnCancel: true,
      logger,
      onStartedLeading: (signal) => {
        this.metrics.leaderStatus.set({ name: opts.leaseName }, 1);
        const controller = makeController();
        this.controller = controller;
        controller.start();
        logger.info({ identity: opts.identity }, "became leader; controller started");
        signal.addEventListener("abort", () => {
          void controller.stop();
        });
      },
      onStoppedLeading: () => {
        this.metrics.leaderStatus.set({ name: opts.leaseName }, 0);
        logger.info("leadership lost or released; controller stopped");
      },
      onNewLeader: (id) => logger.info({ leader: id }, "observed leader"),
    });
    this.electionLoop = this.elector.run(this.abort.signal);
    return this.electionLoop;
  }

  /** Graceful: readiness fails, in-flight reconciles and admissions finish, the Lease is released. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const { logger } = this;
      logger.info("shutting down");
      this.observability?.markShuttingDown();
      if (this.certTimer) clearInterval(this.certTimer);
      await this.controller?.stop();
      this.abort.abort();
      await this.electionLoop?.catch((e) => logger.warn(errorFields(e), "leader election ended with an error"));
      await this.webhook?.stop();
      await this.recorder?.flush();
      await this.caches?.stop();
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
