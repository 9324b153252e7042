// Free TCP ports on 127.0.0.1 for the control-plane processes.
//
// The kernel hands out an unused port for a listener bound to port 0; the
// listener is closed at once so the real server can take the port. Between
// the close and the server's bind another program could grab it, so callers
// treat "address already in use" as a reason to pick new ports and retry.
import { createServer } from "node:net";

// Ports already handed out by this process: the kernel may return a port
// again once its probe listener is closed, and two components of one cluster
// must never be given the same one.
const handedOut = new Set<number>();

function probePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen({ host: "127.0.0.1", port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("no port was assigned"))));
    });
  });
}

export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await probePort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error("could not find a free port on 127.0.0.1 after 50 attempts");
}

export async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < count; i++) ports.push(await freePort());
  return ports;
}

/** True when a component's log says it could not bind its port. */
export function isPortClash(logText: string): boolean {
  return /address already in use/i.test(logText);
}
