// Cluster access. Two paths:
// - typed API clients from @kubernetes/client-node for one-off calls whose
//   result shape does not matter (installing the CRD, webhook configurations);
// - `RawKubeClient` (raw-client.ts) for everything that is cached or
//   compared: it speaks raw JSON, as watch events do, so a cache never holds
//   two shapes of the same object.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import type { KubeConfigSourceName } from "./credentials-probe-protocol.js";

export * from "./raw-client.js";
export * from "./resource-path.js";

export interface KubeConfigSource {
  /** --kubeconfig: wins over everything else. */
  kubeconfigPath?: string;
  /** --context: a context of the loaded kubeconfig. */
  context?: string;
  /** Environment to read KUBECONFIG / KUBERNETES_SERVICE_HOST from (tests pass their own). */
  env?: NodeJS.ProcessEnv;
  /** Prefix for the service-account directory; tests point it at a temp dir. */
  serviceAccountRoot?: string;
  /** Home directory for ~/.kube/config. */
  homeDir?: string;
}

const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

export interface LoadedKubeConfig {
  kubeConfig: KubeConfig;
  /** Where it came from, for the startup log line. */
  source: KubeConfigSourceName;
  server: string;
  /** The kubeconfig files read (none in-cluster, where the service account's files are the credentials' own). */
  files: string[];
}

/**
 * Loads a KubeConfig: --kubeconfig, then $KUBECONFIG, then the in-cluster
 * service account, then ~/.kube/config. Unlike `loadFromDefault` it never
 * falls back to http://localhost:8080, which would turn a missing config into
 * confusing connection errors much later.
 */
export function loadKubeConfig(src: KubeConfigSource = {}): LoadedKubeConfig {
  const env = src.env ?? process.env;
  const kc = new KubeConfig();
  let source: LoadedKubeConfig["source"];
  let read: string[] = [];
  if (src.kubeconfigPath) {
    if (!fs.existsSync(src.kubeconfigPath)) {
      throw new Error(`--kubeconfig ${src.kubeconfigPath}: no such file`);
    }
    kc.loadFromFile(src.kubeconfigPath);
    source = "flag";
    read = [src.kubeconfigPath];
  } else if (env.KUBECONFIG) {
    const files = env.KUBECONFIG.split(path.delimiter).filter((f) => f.length > 0);
    const existing = files.filter((f) => fs.existsSync(f));
    if (existing.length === 0) throw new Error(`KUBECONFIG=${env.KUBECONFIG}: none of these files exist`);
    kc.loadFromFile(existing[0]!);
    for (const f of existing.slice(1)) {
      const more = new KubeConfig();
      more.loadFromFile(f);
      kc.mergeConfig(more, true);
    }
    source = "env";
    read = existing;
  } else if (env.KUBERNETES_SERVICE_HOST && fs.existsSync(`${src.serviceAccountRoot ?? ""}${SERVICE_ACCOUNT_DIR}/token`)) {
    withEnv(env, () => kc.loadFromCluster(src.serviceAccountRoot ?? ""));
    source = "in-cluster";
  } else {
    const home = src.homeDir ?? env.HOME ?? os.homedir();
    const file = path.join(home, ".kube", "config");
    if (!fs.existsSync(file)) {
      throw new Error(
        "no cluster configured: pass --kubeconfig, set KUBECONFIG, or run in a pod with a service account",
      );
    }
    kc.loadFromFile(file);
    source = "home";
    read = [file];
  }
  if (src.context) {
    if (!kc.getContextObject(src.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new Error(`--context ${src.context}: not in the kubeconfig (contexts: ${known.join(", ") || "none"})`);
    }
    kc.setCurrentContext(src.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error(`kubeconfig: current context "${kc.getCurrentContext()}" names no cluster`);
  return { kubeConfig: kc, source, server: cluster.server, files: read };
}

// loadFromCluster reads process.env; run it against the given env.
function withEnv(env: NodeJS.ProcessEnv, fn: () => void): void {
  if (env === process.env) return fn();
  const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
  process.env.KUBERNETES_SERVICE_HOST = env.KUBERNETES_SERVICE_HOST;
  if (env.KUBERNETES_SERVICE_PORT === undefined) delete process.env.KUBERNETES_SERVICE_PORT;
  else process.env.KUBERNETES_SERVICE_PORT = env.KUBERNETES_SERVICE_PORT;
  try {
    fn();
  } finally {
    if (saved.host === undefined) delete process.env.KUBERNETES_SERVICE_HOST;
    else process.env.KUBERNETES_SERVICE_HOST = saved.host;
    if (saved.port === undefined) delete process.env.KUBERNETES_SERVICE_PORT;
    else process.env.KUBERNETES_SERVICE_PORT = saved.port;
  }
}
