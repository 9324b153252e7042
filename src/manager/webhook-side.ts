// The webhook thread's body: its own API client and pod-free caches, the
// HTTPS admission server, and the messages to and from the main thread. No
// controller code runs on this event loop, so a reconcile over many pods never
// delays an admission (docs/adr/0005-admission-event-loop.md).
import type { MessagePort } from "node:worker_threads";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { getHeapStatistics } from "node:v8";
import { RawKubeClient, type KubeCredentials } from "../kube/raw-client.js";
import { RelayedCredentials } from "../kube/relayed-credentials.js";
import { createLogger, errorFields, type Logger } from "../observability/logger.js";
import { WARM_UP_PATH, warmUpThroughServer, type ServingWarmUp } from "../webhook/admission-warm-up.js";
import { AdmissionCaches } from "../webhook/caches.js";
import { conversionRoutes, registerHandlers } from "../webhook/handlers/index.js";
import { LOOPBACK_SERVER_NAME } from "../webhook/loopback-sender.js";
import { WebhookServer } from "../webhook/server.js";
import { heldSidecarSets } from "./held-sidecarsets.js";
import { RelayDestination } from "./log-relay.js";
import { MetricsBatcher } from "./metrics-batcher.js";
import type { FromWebhookThread, ToWebhookThread, WebhookThreadConfig, WebhookThreadState } from "./webhook-protocol.js";

export async function runWebhookSide(config: WebhookThreadConfig, port: MessagePort): Promise<void> {
  const post = (m: FromWebhookThread) => port.postMessage(m);
  const logLines = new RelayDestination((lines) => post({ type: "log", lines }));
  const logger = createLogger({ level: config.logLevel, destination: logLines, base: { thread: "webhook" } });
  const batcher = new MetricsBatcher((batch) => post({ type: "metrics", batch }));
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const abort = new AbortController();
  let client: RawKubeClient | undefined;
  const relayed = config.credentials ? new RelayedCredentials(config.credentials) : undefined;
  let caches: AdmissionCaches | undefined;
  let server: WebhookServer | undefined;
  let stopping: Promise<void> | undefined;

  const stop = () =>
    (stopping ??= (async () => {
      abort.abort();
      await server?.stop();
      await caches?.stop();
      client?.close();
      delay.disable();
      batcher.flush();
      logLines.flush();
      post({ type: "stopped" });
    })());

  const state = (newWindow: boolean): WebhookThreadState => {
    const certificate = server?.servedCertificate();
    const s: WebhookThreadState = {
      synced: caches?.hasSynced() ?? false,
      serving: Boolean(server) && !stopping,
      cached: caches?.sizes() ?? {},
      eventLoopDelay: { p99: delay.percentile(99) / 1e9, max: delay.max / 1e9 },
      heap: heapOfThisThread(),
      ...(server ? { connections: server.connectionCounts() } : {}),
      ...(certificate ? { certificate } : {}),
    };
    if (newWindow) delay.reset();
    return s;
  };

  port.on("message", (m: ToWebhookThread) => {
    switch (m.type) {
      case "certificate":
        try {
          server?.setCertificate(m.pair);
        } catch (e) {
          logger.error(errorFields(e), "the renewed webhook certificate was rejected; keeping the old one");
        }
        return;
      case "credentials":
        relayed?.update(m.credentials);
        return;
      case "state":
        batcher.flush();
        post({ type: "state", id: m.id, state: state(m.newWindow) });
        return;
      case "retire":
        server?.retire();
        return;
      case "stop":
        void stop();
        return;
    }
  });

  try {
    client = new RawKubeClient(relayed ?? (await loadOwnKubeConfig(config.kubeconfig)));
    // The conversion webhook is served before any cache lists: a SidecarSet
    // stored in the other version reaches the informers (ours and the
    // controller's) only through it. The admission routes follow the sync.
    const routes = conversionRoutes(logger);
    const webhook = new WebhookServer({
      port: config.port,
      host: config.host,
      certificate: config.certificate,
      routes,
      ready: () => caches?.hasSynced() ?? false,
      logger,
      // The warm-up's made-up admissions are no admissions of the cluster's.
      onRequestDone: ({ path, status, seconds }) => {
        if (path !== WARM_UP_PATH) batcher.request(path, status, seconds);
      },
      onConnection: (socket) => {
        if (socket.servername !== LOOPBACK_SERVER_NAME) batcher.connection();
      },
      onConnectionLimited: () => batcher.connectionLimited(),
    });
    if (abort.signal.aborted) return;
    const listening = await webhook.start();
    if (abort.signal.aborted) return await webhook.stop();
    server = webhook;
    if (config.certificateFiles) webhook.watchCertificateFiles(config.certificateFiles.certFile, config.certificateFiles.keyFile);
    caches = new AdmissionCaches({ client, namespace: config.namespace, logger });
    caches.start();
    // While the caches list, which is mostly waiting on the API server.
    const warmingUp = warmUp(config.admissionWarmUp, { routes, bindAddress: config.host, port: listening }, abort.signal, logger);
    await caches.waitForSync(abort.signal);
    logger.info({ cached: caches.sizes() }, "webhook caches synced");
    await warmingUp;
    registerHandlers(routes, {
      cache: caches,
      now: () => new Date(),
      random: Math.random,
      sortInjectedContainersByName: config.sortInjectedContainersByName,
      allowPatchPodMetadataWithoutWhitelist: config.allowPatchPodMetadataWithoutWhitelist,
      nativeSidecarInPlaceUpgrade: config.nativeSidecarInPlaceUpgrade,
      metrics: { onInjected: (names) => batcher.injected(names) },
      logger,
    });
    post({ type: "serving", port: listening });
    reportHeldSidecarSets(caches, post);
  } catch (e) {
    if (abort.signal.aborted) return;
    logLines.flush();
    post({ type: "failed", message: errorFields(e).err });
    await stop();
  }
}

/**
 * Tells the main thread which SidecarSets this thread's cache holds, now and after every change: a burst of
 * events (a relist) is one message, built from the cache itself.
 */
function reportHeldSidecarSets(caches: AdmissionCaches, post: (m: FromWebhookThread) => void): void {
  let scheduled = false;
  const report = () => {
    scheduled = false;
    post({ type: "sidecarsets", held: heldSidecarSets(caches.sidecarSets()) });
  };
  caches.onSidecarSetsChanged(() => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(report);
  });
  report();
}

async function warmUp(admissions: number, server: ServingWarmUp["server"], signal: AbortSignal, logger: Logger): Promise<void> {
  if (admissions <= 0) return;
  try {
    const done = await warmUpThroughServer({ admissions, server, signal });
    const fields = { admissions: done.admissions, injected: done.injected, sent: done.sent, ms: Math.round(done.ms) };
    if (done.sendError) logger.warn({ ...fields, err: done.sendError }, "admission path warmed up, partly in process: its own port could not be reached");
    else logger.info(fields, "admission path warmed up");
  } catch (e) {
    // Made-up pods only: the real admissions are served all the same, unoptimized at first.
    logger.warn(errorFields(e), "warming up the admission path failed; serving without it");
  }
}

function heapOfThisThread(): WebhookThreadState["heap"] {
  const h = getHeapStatistics();
  return { used: h.used_heap_size, total: h.total_heap_size };
}

/** The whole client library, loaded only when the credentials could not be relayed. */
async function loadOwnKubeConfig(kubeconfig: string | undefined): Promise<KubeCredentials> {
  const { loadKubeConfig } = await import("../kube/client.js");
  return loadKubeConfig(kubeconfig ? { kubeconfigPath: kubeconfig } : {}).kubeConfig;
}
