// A short-lived helper process: loads the kubeconfig with the client library,
// resolves the credentials a request would carry, prints them as one JSON line
// and exits. The manager runs it instead of keeping the library loaded (about
// 70 MB of memory for its generated API); see credentials-probe-client.ts.
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
  // Digests first: a file rewritten while it is being read shows up as a change next time.
  const files = await Promise.all(kind.files.map(async (path) => ({ path, digest: await fileDigest(path) })));
  const credentials = await resolveCredentials(kubeConfig);
  if (!credentials) return { ok: true, ...where, kind: "in-process", reason: "the credentials are not plain data" };
  return { ok: true, ...where, kind: "relayable", files, credentials };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

const request = JSON.parse(await readStdin()) as ProbeRequest;
const result = await answer(request).catch((e: unknown): ProbeAnswer => ({ ok: false, message: e instanceof Error ? e.message : String(e) }));
process.stdout.write(`${JSON.stringify(result)}\n`);
