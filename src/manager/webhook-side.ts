// The webhook thread's body: its own API client and pod-free caches, the
// HTTPS admission server, and the messages to and from the main thread. No
// controller code runs on this event loop, so a reconcile over many pods never
// delays an admission (docs/adr/0005-admission-event-loop.md).
import type { MessagePort } from "node:worker_threads";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { loadKubeConfig, RawKubeClient } from "../kube/client.js";
import { createLogger, errorFields } from "../observability/logger.js";
import { AdmissionCaches } from "../webhook/caches.js";
import { admissionRoutes } from "../webhook/handlers/index.js";
import { WebhookServer } from "../webhook/server.js";
import { relayDestination } from "./log-relay.js";
import { MetricsBatcher } from "./metrics-relay.js";
import type { FromWebhookThread, ToWebhookThread, WebhookThreadConfig, WebhookThreadState } from "./webhook-protocol.js";

export async function runWebhookSide(config: WebhookThreadConfig, port: MessagePort): Promise<void> {
  const post = (m: FromWebhookThread) => port.postMessage(m);
  const logger = createLogger({ level: config.logLevel, destination: relayDestination((line) => post({ type: "log", line })), base: { thread: "webhook" } });
  const batcher = new MetricsBatcher((batch) => post({ type: "metrics", batch }));
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const abort = new AbortController();
  let client: RawKubeClient | undefined;
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
      post({ type: "stopped" });
    })());

  const state = (newWindow: boolean): WebhookThreadState => {
    const s: WebhookThreadState = {
      synced: caches?.hasSynced() ?? false,
      serving: Boolean(server) && !stopping,
      cached: caches?.sizes() ?? {},
      eventLoopDelay: { p99: delay.percentile(99) / 1e9, max: delay.max / 1e9 },
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
      case "state":
        batcher.flush();
        post({ type: "state", id: m.id, state: state(m.newWindow) });
        return;
      case "stop":
        void stop();
        return;
    }
  });

  try {
    const loaded = loadKubeConfig(config.kubeconfig ? { kubeconfigPath: config.kubeconfig } : {});
    client = new RawKubeClient(loaded.kubeConfig);
    caches = new AdmissionCaches({ client, namespace: config.namespace, logger });
    caches.start();
    await caches.waitForSync(abort.signal);
    logger.info({ cached: caches.sizes() }, "webhook caches synced");
    const routes = admissionRoutes({
      cache: caches,
      now: () => new Date(),
      random: Math.random,
      sortInjectedContainersByName: config.sortInjectedContainersByName,
      allowPatchPodMetadataWithoutWhitelist: config.allowPatchPodMetadataWithoutWhitelist,
      metrics: { onInjected: (names) => batcher.injected(names) },
      logger,
    });
    const webhook = new WebhookServer({
      port: config.port,
      host: config.host,
      certificate: config.certificate,
      routes,
      ready: () => caches?.hasSynced() ?? false,
      logger,
      onRequestDone: ({ path, status, seconds }) => batcher.request(path, status, seconds),
    });
    if (abort.signal.aborted) return;
    const listening = await webhook.start();
    if (abort.signal.aborted) return await webhook.stop();
    server = webhook;
    if (config.certificateFiles) webhook.watchCertificateFiles(config.certificateFiles.certFile, config.certificateFiles.keyFile);
    post({ type: "serving", port: listening });
  } catch (e) {
    if (abort.signal.aborted) return;
    post({ type: "failed", message: errorFields(e).err });
    await stop();
  }
}
