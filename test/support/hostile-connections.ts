// Clients that hold on to a webhook port instead of finishing their calls,
// for the e2e test and the benchmark of the server's limits on them
// (docs/reliability.md, "Connections and bodies left open"). Certificates are
// not checked: the target is a local test server.
import tls from "node:tls";

/** A TLS connection that has had one answer (GET /healthz) and then stays idle. */
export function idleConnection(port: number): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => socket.write("GET /healthz HTTP/1.1\r\nHost: webhook\r\n\r\n"));
    socket.once("error", reject);
    let answer = "";
    socket.on("data", (chunk: Buffer) => {
      answer += chunk.toString("latin1");
      if (!answer.endsWith("ok")) return;
      socket.off("error", reject);
      socket.on("error", () => {});
      resolve(socket);
    });
  });
}

/**
 * A POST of a JSON body to `path` that declares `declared` bytes and sends only `sent` of them;
 * `status` resolves with the answer's status, if one comes.
 */
export function heldBody(port: number, path: string, declared: number, sent: number): { socket: tls.TLSSocket; status: Promise<number> } {
  const socket = tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false });
  socket.on("error", () => {});
  socket.write(`POST ${path} HTTP/1.1\r\nHost: webhook\r\nContent-Type: application/json\r\nContent-Length: ${declared}\r\n\r\n`);
  socket.write(`{"pad":"${"x".repeat(sent - 8)}`);
  const status = new Promise<number>((resolve) => {
    let head = "";
    socket.on("data", (chunk: Buffer) => {
      head += chunk.toString("latin1");
      const m = /^HTTP\/1\.1 (\d{3})/.exec(head);
      if (m) resolve(Number(m[1]));
    });
  });
  return { socket, status };
}
