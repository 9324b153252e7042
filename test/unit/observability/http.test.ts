import assert from "node:assert/strict";
import { after, test } from "node:test";
import { ObservabilityServer } from "../../../src/observability/http.js";
import { createMetrics } from "../../../src/observability/metrics.js";

const servers: ObservabilityServer[] = [];
after(async () => {
  for (const s of servers) await s.stop();
});

async function start(opts: { checkTimeoutMs?: number } = {}) {
  const metrics = createMetrics();
  const server = new ObservabilityServer({ port: 0, host: "127.0.0.1", registry: metrics.registry, ...opts });
  servers.push(server);
  const port = await server.start();
  const get = async (path: string, method = "GET") => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { method });
    return { status: res.status, body: await res.text(), type: res.headers.get("content-type") ?? "" };
  };
  return { server, metrics, get };
}

test("/metrics serves the registry in the Prometheus text format", async () => {
  const { metrics, get } = await start();
  metrics.injections.inc({ sidecarset: "s" });
  const r = await get("/metrics");
  assert.equal(r.status, 200);
  assert.match(r.type, /^text\/plain; version=0\.0\.4/);
  assert.match(r.body, /sidecarset_injections_total\{sidecarset="s"\} 1/);
});

test("/readyz is ok when every check passes and names the failing ones otherwise", async () => {
  const { server, get } = await start();
  let synced = false;
  server.addReadinessCheck("informers", () => synced || "pods not synced");
  server.addReadinessCheck("webhook", () => true);
  let r = await get("/readyz");
  assert.equal(r.status, 503);
  assert.match(r.body, /\[-\]informers failed: pods not synced/);
  assert.doesNotMatch(r.body, /webhook/, "passing checks are listed only with ?verbose");
  synced = true;
  r = await get("/readyz");
  assert.deepEqual([r.status, r.body], [200, "ok\n"]);
  r = await get("/readyz?verbose");
  assert.match(r.body, /\[\+\]informers ok\n\[\+\]webhook ok\nok/);
});

const failing: { name: string; check: () => unknown; reason: RegExp }[] = [
  { name: "returns false", check: () => false, reason: /\[-\]c failed: not ready/ },
  { name: "throws", check: () => { throw new Error("exploded"); }, reason: /\[-\]c failed: exploded/ },
  { name: "rejects", check: async () => Promise.reject(new Error("rejected")), reason: /\[-\]c failed: rejected/ },
  { name: "hangs past its deadline", check: () => new Promise(() => {}), reason: /\[-\]c failed: no answer within 50ms/ },
];
for (const c of failing) {
  test(`a health check that ${c.name} fails the probe with a reason`, async () => {
    const { server, get } = await start({ checkTimeoutMs: 50 });
    server.addLivenessCheck("c", c.check as () => boolean);
    const r = await get("/healthz");
    assert.equal(r.status, 503);
    assert.match(r.body, c.reason);
  });
}

test("/healthz is ok with no checks; readiness fails once shutting down", async () => {
  const { server, get } = await start();
  assert.equal((await get("/healthz")).status, 200);
  assert.equal((await get("/readyz")).status, 200);
  server.markShuttingDown();
  const r = await get("/readyz");
  assert.equal(r.status, 503);
  assert.match(r.body, /shutdown failed: shutting down/);
  assert.equal((await get("/healthz")).status, 200, "liveness is unaffected by shutdown");
});

test("unknown paths get 404 and other methods 405", async () => {
  const { get } = await start();
  assert.equal((await get("/nope")).status, 404);
  assert.equal((await get("/metrics", "POST")).status, 405);
});
