import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { test } from "node:test";
import { freePorts } from "../../../src/local/ports.js";

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ host: "127.0.0.1", port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

test("free ports are distinct, bindable, and below the range outgoing connections take their ports from", async () => {
  const ports = await freePorts(30);
  assert.equal(new Set(ports).size, ports.length);
  for (const port of ports) assert.ok(await bindable(port), `port ${port} can be listened on`);
  let rangeStart: number | undefined;
  try {
    rangeStart = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
  } catch {
    return; // not Linux: the kernel picked them
  }
  for (const port of ports) {
    assert.ok(port >= 10_000 && port < rangeStart, `port ${port} is in [10000, ${rangeStart}): no outgoing connection can take it meanwhile`);
  }
});
