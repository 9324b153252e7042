// The API server's own /metrics (Prometheus text), read with the
// kubeconfig's credentials, for the cluster benchmarks.
import { request as httpsRequest, type RequestOptions } from "node:https";
import type { Environment } from "../../test/support/environment.js";

export async function apiServerMetrics(env: Environment): Promise<string> {
  const kc = env.clients.kc;
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error("the kubeconfig has no current cluster");
  const opts: RequestOptions = { method: "GET", headers: { accept: "text/plain" } };
  await kc.applyToHTTPSOptions(opts);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(new URL(`${server}/metrics`), opts, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString("utf8")) : reject(new Error(`GET /metrics: HTTP ${res.statusCode}`))));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}
