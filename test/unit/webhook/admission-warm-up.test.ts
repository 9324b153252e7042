// The made-up admissions a webhook thread runs before it serves
// (src/webhook/admission-warm-up.ts): the whole pod path, in bounds, through
// the server's own port or in process.
import assert from "node:assert/strict";
import { test } from "node:test";
import { warmUpPodAdmission, warmUpRoute, warmUpThroughServer, WARM_UP_PATH } from "../../../src/webhook/admission-warm-up.js";
import { loopbackAddressOf } from "../../../src/webhook/loopback-sender.js";
import { WebhookServer, type WebhookHandler } from "../../../src/webhook/server.js";
import { silentLogger } from "../../../src/observability/logger.js";
import { createLocalServingCertificate } from "../../support/certs.js";

test("the warm-up runs the admissions asked for, three of every four injecting sidecars", async () => {
  const result = await warmUpPodAdmission({ admissions: 120, budgetMs: 60_000 });
  assert.deepEqual([result.admissions, result.injected, result.sent], [120, 90, 0]);
  assert.ok(result.ms > 0);
});

test("the warm-up runs a count that is not a multiple of its chunk exactly", async () => {
  const result = await warmUpPodAdmission({ admissions: 7, budgetMs: 60_000 });
  assert.deepEqual([result.admissions, result.injected], [7, 6]);
});

test("the warm-up stops at its time budget", async () => {
  const result = await warmUpPodAdmission({ admissions: 1_000_000, budgetMs: 50 });
  assert.ok(result.admissions > 0, "some admissions ran within the budget");
  assert.ok(result.admissions < 1_000_000, `stopped after ${result.admissions} admissions in ${Math.round(result.ms)} ms`);
});

test("the warm-up runs nothing once aborted, or when asked for none", async () => {
  const aborted = new AbortController();
  aborted.abort();
  assert.equal((await warmUpPodAdmission({ admissions: 100, budgetMs: 60_000, signal: aborted.signal })).admissions, 0);
  assert.equal((await warmUpPodAdmission({ admissions: 0, budgetMs: 60_000 })).admissions, 0);
});

test("an abort during the warm-up stops it at the next turn of the event loop", async () => {
  const stopping = new AbortController();
  setImmediate(() => stopping.abort());
  const result = await warmUpPodAdmission({ admissions: 1_000_000, budgetMs: 60_000, signal: stopping.signal });
  assert.ok(result.admissions < 1_000_000, `stopped after ${result.admissions}`);
});

test("sent admissions are answered by the warm-up route; when sending fails, the rest run in process", async () => {
  const route = warmUpRoute();
  const viaRoute = async (review: string) => {
    const reply = await route({ path: WARM_UP_PATH, body: JSON.parse(review), abandoned: false, signal: new AbortController().signal });
    return JSON.stringify(reply.body);
  };
  const sent = await warmUpPodAdmission({ admissions: 40, budgetMs: 60_000, send: viaRoute });
  assert.deepEqual([sent.admissions, sent.injected, sent.sent, sent.sendError], [40, 30, 40, undefined]);

  let calls = 0;
  const failing = async (review: string) => {
    if (++calls > 3) throw new Error("connection refused");
    return viaRoute(review);
  };
  const fellBack = await warmUpPodAdmission({ admissions: 40, budgetMs: 60_000, send: failing });
  assert.deepEqual([fellBack.admissions, fellBack.injected, fellBack.sent, fellBack.sendError], [40, 30, 3, "connection refused"]);
  assert.equal(calls, 4, "after the first failure nothing more is sent");
});

test("a warm-up answer that is not an admission stops the warm-up with the reason", async () => {
  await assert.rejects(
    warmUpPodAdmission({ admissions: 5, budgetMs: 60_000, send: async () => JSON.stringify({ response: { allowed: false, status: { message: "no" } } }) }),
    /a warm-up admission was not allowed: .*"allowed":false/,
  );
});

test("through a listening server, the warm-up goes over its port to a route that is there only meanwhile", async () => {
  const certificate = await createLocalServingCertificate();
  const routes: Record<string, WebhookHandler> = {};
  const paths: string[] = [];
  const server = new WebhookServer({
    port: 0,
    host: "127.0.0.1",
    certificate: { cert: certificate.certPem, key: certificate.keyPem },
    routes,
    logger: silentLogger(),
    onRequestDone: ({ path }) => paths.push(path),
  });
  const port = await server.start();
  try {
    const result = await warmUpThroughServer({ admissions: 30, server: { routes, bindAddress: "0.0.0.0", port } });
    assert.deepEqual([result.admissions, result.injected, result.sent, result.sendError], [30, 23, 30, undefined]);
    assert.equal(paths.length, 30);
    assert.ok(paths.every((p) => p === WARM_UP_PATH));
    assert.deepEqual(Object.keys(routes), [], "the warm-up route is gone afterwards");
  } finally {
    await server.stop();
  }
});

test("a server bound to every address is reached on the loopback address", () => {
  assert.equal(loopbackAddressOf("0.0.0.0"), "127.0.0.1");
  assert.equal(loopbackAddressOf("::"), "::1");
  assert.equal(loopbackAddressOf("10.1.2.3"), "10.1.2.3");
});
