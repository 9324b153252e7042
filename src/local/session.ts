// What `sidecarset start` and `sidecarset demo` share around the local
// cluster: which cluster to use, where the local one keeps its state, and a
// Ctrl-C that stops everything in order (a second Ctrl-C does not wait).
import { homedir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { isAlive, isLocalStateDir, readOwner } from "./cluster-dirs.js";

/** ~/.cache/sidecarset/local, or under $XDG_CACHE_HOME. */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), ".cache"), "sidecarset", "local");
}

export type ClusterChoice =
  | { mode: "kubeconfig"; kubeconfig: string; source: "--kubeconfig" | "KUBECONFIG" }
  | { mode: "local"; dir: string; reason: "default" | "--dir" | "--local" | "KUBECONFIG of a local cluster"; running?: boolean };

export interface ClusterFlags {
  kubeconfig?: string;
  dir?: string;
  local?: boolean;
}

/**
 * An explicit --kubeconfig wins; --dir or --local ask for the local cluster;
 * otherwise $KUBECONFIG names the cluster, unless it is the kubeconfig of a
 * local cluster (a user who followed our `export KUBECONFIG=...` line): a
 * stopped one is started again rather than dialled dead, and `running` says
 * whether another process serves it right now.
 */
export function chooseCluster(flags: ClusterFlags, env: NodeJS.ProcessEnv = process.env): ClusterChoice {
  if (flags.kubeconfig && (flags.dir || flags.local)) {
    throw new Error("--kubeconfig runs against an existing cluster; --dir and --local start a local one: give one of them");
  }
  if (flags.kubeconfig) return { mode: "kubeconfig", kubeconfig: resolve(flags.kubeconfig), source: "--kubeconfig" };
  if (flags.dir) return { mode: "local", dir: resolve(flags.dir), reason: "--dir" };
  if (flags.local) return { mode: "local", dir: defaultStateDir(env), reason: "--local" };
  const fromEnv = (env.KUBECONFIG ?? "").split(delimiter).filter((p) => p !== "");
  const dir = fromEnv.length === 1 ? dirname(resolve(fromEnv[0]!)) : undefined;
  if (dir && isLocalStateDir(dir)) {
    const owner = readOwner(dir);
    const running = owner !== undefined && owner.pid !== process.pid && isAlive(owner.pid);
    return { mode: "local", dir, reason: "KUBECONFIG of a local cluster", running };
  }
  if (fromEnv.length > 0) return { mode: "kubeconfig", kubeconfig: env.KUBECONFIG!, source: "KUBECONFIG" };
  return { mode: "local", dir: defaultStateDir(env), reason: "default" };
}

export interface Interrupt {
  /** Resolves with the first SIGINT or SIGTERM. */
  received: Promise<NodeJS.Signals>;
  /** Removes the handlers (call after the orderly stop). */
  dispose(): void;
}

/**
 * Waits for Ctrl-C (or SIGTERM). The first signal starts an orderly stop;
 * a second one exits at once, and the exit hooks kill what is left.
 */
export function onInterrupt(onForce: () => void = () => process.exit(130)): Interrupt {
  let count = 0;
  let resolveReceived!: (s: NodeJS.Signals) => void;
  const received = new Promise<NodeJS.Signals>((r) => (resolveReceived = r));
  const handler = (signal: NodeJS.Signals): void => {
    count++;
    if (count === 1) resolveReceived(signal);
    else onForce();
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return {
    received,
    dispose: () => {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    },
  };
}
