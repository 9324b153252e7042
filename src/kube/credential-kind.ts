// Whether a kubeconfig's current credentials can be resolved once, in a
// helper process, and handed over as plain data — and which files, when they
// change, make them stale. Credentials that a plugin computes (exec, OIDC,
// cloud auth providers) or that travel through a proxy agent are not plain
// data: the library must stay loaded to renew them.
import type { Cluster, User } from "@kubernetes/client-node";

export type CredentialKind =
  | { kind: "relayable"; files: string[] }
  | { kind: "in-process"; reason: string };

/** The auth provider `loadFromCluster` sets: a service-account token file, re-read as it rotates. */
const TOKEN_FILE_PROVIDER = "tokenFile";

export function credentialKind(cluster: Cluster | null, user: User | null): CredentialKind {
  if (!cluster) return { kind: "in-process", reason: "the current context names no cluster" };
  if (cluster.proxyUrl) return { kind: "in-process", reason: "the cluster is reached through a proxy" };
  if (user?.exec) return { kind: "in-process", reason: "an exec credential plugin renews the credentials" };
  const provider: unknown = user?.authProvider;
  let tokenFile: string | undefined;
  if (provider) {
    const { name, config } = provider as { name?: unknown; config?: { tokenFile?: unknown } };
    if (name !== TOKEN_FILE_PROVIDER || typeof config?.tokenFile !== "string") {
      return { kind: "in-process", reason: `the auth provider ${JSON.stringify(name ?? "")} renews the credentials` };
    }
    tokenFile = config.tokenFile;
  }
  const files = [cluster.caFile, user?.certFile, user?.keyFile, tokenFile].filter(
    (f): f is string => typeof f === "string" && f.length > 0,
  );
  return { kind: "relayable", files: [...new Set(files)] };
}
