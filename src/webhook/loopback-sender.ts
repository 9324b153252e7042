// Requests from the webhook thread to its own HTTPS server, for the warm-up
// (admission-warm-up.ts): the same TLS, HTTP and server code the API server's
// calls go through, over one kept-alive connection.
import { Agent, request } from "node:https";

export interface LoopbackSender {
  /** POSTs `body` (JSON text) to `path` and gives back the answer's text; rejects on any status but 200. */
  send(body: string): Promise<string>;
  close(): void;
}

/**
 * The TLS server name (SNI) the sender's connections announce, so that the
 * server can leave them out of what it counts of the API server's.
 */
export const LOOPBACK_SERVER_NAME = "loopback.sidecarset.invalid";

/** The address to reach a server bound to `bindAddress` from the same host. */
export function loopbackAddressOf(bindAddress: string): string {
  if (bindAddress === "0.0.0.0" || bindAddress === "") return "127.0.0.1";
  if (bindAddress === "::") return "::1";
  return bindAddress;
}

export function loopbackSender(opts: { bindAddress: string; port: number; path: string }): LoopbackSender {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const host = loopbackAddressOf(opts.bindAddress);
  return {
    send: (body) =>
      new Promise((resolve, reject) => {
        // The server's own certificate, reached on this host: nothing to verify it against but itself.
        const req = request(
          { host, port: opts.port, path: opts.path, method: "POST", agent, rejectUnauthorized: false, servername: LOOPBACK_SERVER_NAME, headers: { "content-type": "application/json" } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (d: Buffer) => chunks.push(d));
            res.on("end", () => {
              const text = Buffer.concat(chunks).toString("utf8");
              if (res.statusCode === 200) resolve(text);
              else reject(new Error(`the server answered ${opts.path} with ${res.statusCode}: ${text.slice(0, 300)}`));
            });
            res.on("error", reject);
          },
        );
        req.on("error", reject);
        req.end(body);
      }),
    close: () => agent.destroy(),
  };
}
