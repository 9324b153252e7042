// Which TCP connections are open to a local port, read from the kernel's
// table (/proc/net/tcp): a test can tell whether the connections another
// process holds to the webhook survive a quiet spell, without access to that
// process.
import { readFileSync, readdirSync, readlinkSync } from "node:fs";

const ESTABLISHED = "01";

/** The socket inodes this process holds, to leave its own connections out. */
function ownSocketInodes(): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync("/proc/self/fd")) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m) inodes.add(m[1]!);
  }
  return inodes;
}

/**
 * The established IPv4 connections to `port` that other processes opened,
 * each named by its client-side address ("127.0.0.1:54012").
 */
export function connectionsFromOthersTo(port: number): Set<string> {
  const own = ownSocketInodes();
  const open = new Set<string>();
  const lines = readFileSync("/proc/net/tcp", "utf8").trim().split("\n").slice(1);
  for (const line of lines) {
    const [, local, remote, state, , , , , , inode] = line.trim().split(/\s+/);
    if (state !== ESTABLISHED || !local || !remote || !inode || own.has(inode)) continue;
    if (parseInt(remote.split(":")[1]!, 16) !== port) continue;
    open.add(ipv4Address(local));
  }
  return open;
}

/** "0100007F:D2FC" (little-endian address, hex port) as "127.0.0.1:54012". */
function ipv4Address(hex: string): string {
  const [address, port] = hex.split(":") as [string, string];
  const bytes = address.match(/../g)!.map((b) => parseInt(b, 16)).reverse();
  return `${bytes.join(".")}:${parseInt(port, 16)}`;
}
