// What the commands that read or write the live cluster with the user's
// kubeconfig (explain pod/NAME, plan NAME, rollout) share: their options, and
// running their work with a client, where a missing object is one line on
// stderr and exit 1, as for every input problem.
import type { Command } from "commander";
import { DEFAULT_MANAGER_NAMESPACE } from "../api/keys.js";
import type { RawKubeClient } from "../kube/client.js";
import { InputError } from "./documents.js";
import type { CommandIo } from "./output.js";

export interface LiveFlags {
  kubeconfig?: string;
  context?: string;
  /** Where the manager keeps ControllerRevisions. */
  managerNamespace: string;
}

export function addClusterOptions(cmd: Command): Command {
  return cmd
    .option("--kubeconfig <path>", "kubeconfig to use (default: $KUBECONFIG, in-cluster service account, ~/.kube/config)")
    .option("--context <name>", "a context of the kubeconfig")
    .option("--manager-namespace <namespace>", "the manager's namespace, where ControllerRevisions live", DEFAULT_MANAGER_NAMESPACE);
}

export type LiveCluster = typeof import("./live-cluster.js");

/** Runs `work` with a client; its result is the exit code. */
export async function withCluster(
  flags: LiveFlags,
  io: CommandIo,
  work: (client: RawKubeClient, live: LiveCluster) => Promise<number>,
): Promise<void> {
  // Loaded here: the client library costs seconds, which the offline commands must not pay.
  const live = await import("./live-cluster.js");
  const client = live.connect(flags);
  try {
    process.exitCode = await work(client, live);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    io.err.write(`${e.message}\n`);
    process.exitCode = 1;
  } finally {
    client.close();
  }
}
