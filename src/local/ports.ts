// Free TCP ports on 127.0.0.1 for the control-plane processes.
//
// A port is chosen below the kernel's range for outgoing connections (Linux:
// /proc/sys/net/ipv4/ip_local_port_range, 32768–60999 by default) and checked
// by binding it; the probe listener is closed at once so the real server can
// take the port. A port inside that range could be taken meanwhile by any
// connection a process on the host opens (the control plane opens dozens as
// it starts); one below it only by another program that picks the same port
// to listen on, so callers still treat "address already in use" as a reason
// to pick new ports and retry. Without that file (another OS), the kernel
// picks: a listener bound to port 0 gets an unused port.
import { readFileSync } from "node:fs";
import { createServer } from "node:net";

// Ports already handed out by this process: two components of one cluster
// must never be given the same one.
const handedOut = new Set<number>();

/** Below this, ports of well-known services (6443, 8080, 9443, …) are left alone. */
const LOWEST = 10_000;
/** Fewer free ports than this below the outgoing range: let the kernel pick instead. */
const ENOUGH = 1_000;

/** The first port of the range the kernel takes outgoing connections' ports from, when it says. */
function outgoingRangeStart(): number | undefined {
  try {
    const first = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    return Number.isInteger(first) && first > 0 ? first : undefined;
  } catch {
    return undefined;
  }
}

/** Binds `port` (0: any) exclusively and closes it; the port bound, or undefined when it was taken. */
function probe(port: number): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", (e: NodeJS.ErrnoException) => (port !== 0 && (e.code === "EADDRINUSE" || e.code === "EACCES") ? resolve(undefined) : reject(e)));
    server.listen({ host: "127.0.0.1", port, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => (bound > 0 ? resolve(bound) : reject(new Error("no port was assigned"))));
    });
  });
}

export async function freePort(): Promise<number> {
  const rangeStart = outgoingRangeStart();
  const below = rangeStart !== undefined && rangeStart - LOWEST >= ENOUGH ? rangeStart - LOWEST : 0;
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await probe(below > 0 ? LOWEST + Math.floor(Math.random() * below) : 0);
    if (port !== undefined && !handedOut.has(port)) {
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
