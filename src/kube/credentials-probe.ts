// A short-lived helper process (src/process/helper-process.ts): loads the
// kubeconfig with the client library, resolves the credentials a request would
// carry, prints them as one JSON line and exits. The manager runs it instead of
// keeping the library loaded (about 70 MB of memory for its generated API).
import { answerOneRequest } from "../process/helper-process.js";
import { loadKubeConfig } from "./client.js";
import { credentialKind } from "./credential-kind.js";
import { fileDigest } from "./file-digest.js";
import { resolveCredentials } from "./relayed-credentials.js";
import type { ProbeAnswer, ProbeRequest } from "./credentials-probe-protocol.js";

async function answer(request: ProbeRequest): Promise<ProbeAnswer> {
  const loaded = loadKubeConfig(request.kubeconfigPath ? { kubeconfigPath: request.kubeconfigPath } : {});
  const { kubeConfig } = loaded;
  const kind = credentialKind(kubeConfig.getCurrentCluster(), kubeConfig.getCurrentUser());
  const where = { source: loaded.source, server: loaded.server };
  if (kind.kind === "in-process") return { ok: true, ...where, ...kind };
  // Digests first: a file rewritten while it is being read shows up as a change next time. The kubeconfig
  // files count too: a token or certificate written into one is a change of credentials.
  const paths = [...new Set([...loaded.files, ...kind.files])];
  const files = await Promise.all(paths.map(async (path) => ({ path, digest: await fileDigest(path) })));
  const credentials = await resolveCredentials(kubeConfig);
  if (!credentials) return { ok: true, ...where, kind: "in-process", reason: "the credentials are not plain data" };
  return { ok: true, ...where, kind: "relayable", files, credentials };
}

await answerOneRequest(answer);
