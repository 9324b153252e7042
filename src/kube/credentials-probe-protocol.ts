// What the manager and its credentials helper process (credentials-probe.ts)
// say to each other: one request on stdin, one JSON line on stdout.
import type { HelperFailure } from "../process/helper-process.js";
import type { ResolvedCredentials } from "./relayed-credentials.js";

export interface ProbeRequest {
  /** --kubeconfig; without it the usual order applies (KUBECONFIG, in-cluster, ~/.kube/config). */
  kubeconfigPath?: string;
}

export interface WatchedFile {
  path: string;
  /** Hex SHA-256 of the content, or "unreadable". */
  digest: string;
}

export type KubeConfigSourceName = "flag" | "env" | "in-cluster" | "home";

export type ProbeAnswer =
  | {
      ok: true;
      source: KubeConfigSourceName;
      server: string;
      kind: "relayable";
      /**
       * Files the credentials are read from, each with the SHA-256 of its content taken just before they were
       * read: when a file's digest differs later, the credentials are resolved again.
       */
      files: WatchedFile[];
      credentials: ResolvedCredentials;
    }
  | { ok: true; source: KubeConfigSourceName; server: string; kind: "in-process"; reason: string }
  | HelperFailure;
