import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import fs from "node:fs";
import type http from "node:http";
import https from "node:https";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import tls from "node:tls";
import { allowed, handleAdmission, patched, type AdmissionReview, type AdmissionResponse } from "../../../src/webhook/admission.js";
import { waitUntil } from "../../../src/local/wait.js";
import { WebhookServer, type WebhookHandler, type WebhookServerOptions } from "../../../src/webhook/server.js";
import { podReview } from "./handlers/fixtures.js";
import { createLocalServingCertificate, type ServingCertificate } from "../../support/certs.js";

let certA: ServingCertificate;
let certB: ServingCertificate;
before(async () => {
  certA = await createLocalServingCertificate();
  certB = await createLocalServingCertificate();
});

const servers: WebhookServer[] = [];
after(async () => {
  for (const s of servers) if (!s.isDraining()) await s.stop(100);
});

async function startServer(routes: Record<string, WebhookHandler>, extra: Partial<WebhookServerOptions> = {}) {
  const server = new WebhookServer({
    port: 0,
    host: "127.0.0.1",
    certificate: { cert: certA.certPem, key: certA.keyPem },
    routes,
    ...extra,
  });
  servers.push(server);
  const port = await server.start();
  return { server, port };
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: () => unknown;
  fingerprint: string;
}

function call(
  port: number,
  opts: { path?: string; method?: string; body?: string | Buffer; contentType?: string; ca?: string; headers?: Record<string, string>; tls?: https.RequestOptions } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const body = opts.body === undefined ? undefined : Buffer.from(opts.body);
    const req = https.request(
      {
        host: "127.0.0.1",
        port,
        path: opts.path ?? "/mutate",
        method: opts.method ?? "POST",
        ca: opts.ca ?? certA.caPem,
        agent: false,
        headers: {
          ...(opts.contentType !== undefined ? { "Content-Type": opts.contentType } : { "Content-Type": "application/json" }),
          ...(body ? { "Content-Length": String(body.length) } : {}),
          ...opts.headers,
        },
        ...opts.tls,
      },
      (res) => {
        const chunks: Buffer[] = [];
        const socket = res.socket as tls.TLSSocket;
        const fingerprint = socket.getPeerCertificate().fingerprint256;
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json: () => JSON.parse(text), fingerprint });
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const fingerprintOf = (pem: string) => new X509Certificate(pem).fingerprint256;

const echo: WebhookHandler = ({ body }) => ({ status: 200, body: { echoed: body } });

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

test("a JSON POST to a route gets the handler's answer over TLS", async () => {
  const { port } = await startServer({ "/mutate": echo });
  const r = await call(port, { body: JSON.stringify({ a: 1 }) });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json(), { echoed: { a: 1 } });
  assert.equal(r.fingerprint, fingerprintOf(certA.certPem));
});

test("the content type may carry parameters such as charset", async () => {
  const { port } = await startServer({ "/mutate": echo });
  const r = await call(port, { body: "{}", contentType: "application/json; charset=utf-8" });
  assert.equal(r.status, 200);
});

const rejected: { name: string; opts: Parameters<typeof call>[1]; status: number; message: RegExp }[] = [
  { name: "a body that is not JSON content gets 415", opts: { body: "a=b", contentType: "application/x-www-form-urlencoded" }, status: 415, message: /content type "application\/x-www-form-urlencoded" is not supported; send application\/json/ },
  { name: "a missing content type gets 415", opts: { body: "{}", contentType: "" }, status: 415, message: /not supported/ },
  { name: "malformed JSON gets 400", opts: { body: "{not json" }, status: 400, message: /body is not valid JSON/ },
  { name: "an unknown path gets 404", opts: { path: "/nope", body: "{}" }, status: 404, message: /no webhook at \/nope/ },
  { name: "GET on a webhook gets 405", opts: { method: "GET" }, status: 405, message: /GET is not allowed/ },
];
for (const c of rejected) {
  test(`transport rule: ${c.name}`, async () => {
    let called = false;
    const { port } = await startServer({
      "/mutate": () => {
        called = true;
        return { status: 200, body: {} };
      },
    });
    const r = await call(port, c.opts);
    assert.equal(r.status, c.status);
    const body = r.json() as { kind: string; code: number; message: string };
    assert.equal(body.kind, "Status");
    assert.equal(body.code, c.status);
    assert.match(body.message, c.message);
    assert.equal(called, false);
  });
}

test("a body over the cap is refused with 413 before it is read", async () => {
  const { port } = await startServer({ "/mutate": echo }, { maxBodyBytes: 1024 });
  const r = await call(port, { body: JSON.stringify({ big: "x".repeat(2048) }) });
  assert.equal(r.status, 413);
  assert.match((r.json() as { message: string }).message, /request body of \d+ bytes exceeds the limit of 1024 bytes/);
});

test("a chunked body that grows over the cap is cut off with 413", async () => {
  const { port } = await startServer({ "/mutate": echo }, { maxBodyBytes: 1024 });
  const r = await new Promise<number>((resolve, reject) => {
    const req = https.request(
      { host: "127.0.0.1", port, path: "/mutate", method: "POST", ca: certA.caPem, agent: false, headers: { "Content-Type": "application/json" } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on("error", reject);
    req.write(`{"big":"${"x".repeat(4096)}`);
    // Never finished: the server must answer without waiting for the end.
  });
  assert.equal(r, 413);
});

test("a body exactly at the cap is accepted", async () => {
  const payload = JSON.stringify({ s: "y".repeat(100) });
  const { port } = await startServer({ "/mutate": echo }, { maxBodyBytes: Buffer.byteLength(payload) });
  assert.equal((await call(port, { body: payload })).status, 200);
});

test("an admission handler slower than the deadline gets a timeout denial, not a hang", async () => {
  const { port } = await startServer(
    { "/mutate": (request) => handleAdmission(request.body, () => new Promise<AdmissionResponse>(() => {}), { abandonment: request }) },
    { requestTimeoutMs: 100 },
  );
  const review = {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: "u-9",
      kind: { group: "", version: "v1", kind: "Pod" },
      resource: { group: "", version: "v1", resource: "pods" },
      operation: "CREATE",
      namespace: "ns",
      object: { metadata: { name: "p" } },
    },
  };
  const r = await call(port, { body: JSON.stringify(review) });
  assert.equal(r.status, 200);
  const resp = (r.json() as AdmissionReview).response;
  assert.deepEqual([resp.uid, resp.allowed, resp.status?.code], ["u-9", false, 504]);
});

test("a handler that ignores its deadline signal still gets a 504 after the grace period", async () => {
  const { port } = await startServer({ "/mutate": () => new Promise(() => {}) }, { requestTimeoutMs: 50, deadlineGraceMs: 50 });
  const r = await call(port, { body: "{}" });
  assert.equal(r.status, 504);
  assert.match((r.json() as { message: string }).message, /no answer within 50ms/);
});

test("a body not received within the deadline gets 408 and the connection is closed", async () => {
  let routed = false;
  const { port } = await startServer({ "/mutate": (r) => ((routed = true), echo(r)) }, { requestTimeoutMs: 100 });
  const r = await new Promise<{ status: number; body: string; connection: string | undefined }>((resolve, reject) => {
    const req = https.request(
      { host: "127.0.0.1", port, path: "/mutate", method: "POST", ca: certA.caPem, agent: false, headers: { "Content-Type": "application/json", "Content-Length": "100" } },
      (res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection }));
      },
    );
    req.on("error", reject);
    req.write('{"half":');
  });
  assert.equal(r.status, 408);
  assert.match((JSON.parse(r.body) as { message: string }).message, /request body not received within 100ms/);
  assert.equal(r.connection, "close");
  assert.equal(routed, false);
});

test("a client that goes away before the answer aborts the route's signal", async () => {
  const aborted = deferred<boolean>();
  const started = deferred();
  const { port } = await startServer({
    "/mutate": ({ signal }) =>
      new Promise((resolve) => {
        signal.addEventListener("abort", () => {
          aborted.resolve(signal.aborted);
          resolve({ status: 200, body: {} });
        });
        started.resolve();
      }),
  });
  const req = https.request({ host: "127.0.0.1", port, path: "/mutate", method: "POST", ca: certA.caPem, agent: false, headers: { "Content-Type": "application/json" } });
  req.on("error", () => undefined);
  req.end("{}");
  await started.promise;
  req.destroy();
  assert.equal(await aborted.promise, true);
});

test("a handler that throws gets a 500 and the server keeps serving", async () => {
  let n = 0;
  const { port } = await startServer({
    "/mutate": () => {
      if (n++ === 0) throw new Error("bug");
      return { status: 200, body: { ok: true } };
    },
  });
  assert.equal((await call(port, { body: "{}" })).status, 500);
  assert.equal((await call(port, { body: "{}" })).status, 200);
});

test("TLS below 1.2 is refused", async () => {
  const { port } = await startServer({ "/mutate": echo });
  await assert.rejects(call(port, { body: "{}", tls: { maxVersion: "TLSv1.1", minVersion: "TLSv1" } }));
  const ok = await call(port, { body: "{}", tls: { maxVersion: "TLSv1.2" } });
  assert.equal(ok.status, 200);
});

test("/healthz is ok and /readyz follows the readiness callback", async () => {
  let ready = false;
  const { port } = await startServer({ "/mutate": echo }, { ready: () => ready });
  assert.equal((await call(port, { path: "/healthz", method: "GET" })).status, 200);
  assert.equal((await call(port, { path: "/readyz", method: "GET" })).status, 503);
  ready = true;
  assert.equal((await call(port, { path: "/readyz", method: "GET" })).status, 200);
});

test("setCertificate serves the new certificate to new connections", async () => {
  const { server, port } = await startServer({ "/mutate": echo });
  assert.equal((await call(port, { body: "{}" })).fingerprint, fingerprintOf(certA.certPem));
  server.setCertificate({ cert: certB.certPem, key: certB.keyPem });
  const r = await call(port, { body: "{}", ca: certB.caPem });
  assert.equal(r.status, 200);
  assert.equal(r.fingerprint, fingerprintOf(certB.certPem));
});

test("servedCertificate names the certificate served now: its serial number and expiry, after a swap too", async () => {
  const { server } = await startServer({ "/mutate": echo });
  const described = (pem: string) => {
    const x509 = new X509Certificate(pem);
    return { serialNumber: x509.serialNumber, notAfter: Date.parse(x509.validTo) / 1000 };
  };
  assert.deepEqual(server.servedCertificate(), described(certA.certPem));
  server.setCertificate({ cert: certB.certPem, key: certB.keyPem });
  assert.deepEqual(server.servedCertificate(), described(certB.certPem));
  assert.notEqual(certA.certPem, certB.certPem);
  assert.throws(() => server.setCertificate({ cert: certA.certPem, key: certB.keyPem }));
  assert.deepEqual(server.servedCertificate(), described(certB.certPem), "a refused certificate changes nothing");
});

test("a certificate whose key does not match is refused and the old one stays", async () => {
  const { server, port } = await startServer({ "/mutate": echo });
  assert.throws(() => server.setCertificate({ cert: certB.certPem, key: certA.keyPem }));
  const r = await call(port, { body: "{}" });
  assert.equal(r.fingerprint, fingerprintOf(certA.certPem));
});

test("watched certificate files are reloaded when they change", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "whcert-"));
  try {
    const certFile = path.join(dir, "tls.crt");
    const keyFile = path.join(dir, "tls.key");
    fs.writeFileSync(certFile, certA.certPem);
    fs.writeFileSync(keyFile, certA.keyPem);
    const { server, port } = await startServer({ "/mutate": echo });
    server.watchCertificateFiles(certFile, keyFile, 20);
    fs.writeFileSync(keyFile, certB.keyPem);
    fs.writeFileSync(certFile, certB.certPem);
    const want = fingerprintOf(certB.certPem);
    const deadline = Date.now() + 5000;
    let seen = "";
    while (Date.now() < deadline) {
      // Trusting only B's CA: the handshake fails until the new certificate is served.
      seen = await call(port, { path: "/healthz", method: "GET", ca: certB.caPem }).then(
        (r) => r.fingerprint,
        (e: Error) => e.message,
      );
      if (seen === want) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(seen, want);
    server.stopWatchingCertificate();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("stop drains: in-flight requests finish, new connections are refused", async () => {
  const gate = deferred();
  const entered = deferred();
  const { server, port } = await startServer({
    "/mutate": async () => {
      entered.resolve();
      await gate.promise;
      return { status: 200, body: { finished: true } };
    },
  });
  const inFlight = call(port, { body: "{}" });
  await entered.promise;
  let stopped = false;
  const stopping = server.stop(5000).then(() => (stopped = true));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(stopped, false, "stop waits for the in-flight request");
  assert.equal(server.isDraining(), true);
  await assert.rejects(call(port, { body: "{}" }), /ECONNREFUSED|ECONNRESET|socket hang up/);
  gate.resolve();
  const r = await inFlight;
  assert.equal(r.status, 200);
  assert.deepEqual(r.json(), { finished: true });
  await stopping;
  assert.equal(stopped, true);
});

test("a retiring server keeps answering, on open and new connections, but reports not ready and closes each connection after its answer", async () => {
  const { server, port } = await startServer({ "/mutate": echo }, { ready: () => true });
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
  const send = (p = "/mutate") =>
    new Promise<{ status: number; connection: string | undefined; reused: boolean }>((resolve, reject) => {
      const req = https.request({ host: "127.0.0.1", port, path: p, method: p === "/readyz" ? "GET" : "POST", ca: certA.caPem, agent, headers: { "Content-Type": "application/json" } }, (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, reused: req.reusedSocket }));
      });
      req.on("error", reject);
      req.end(p === "/readyz" ? undefined : "{}");
    });
  try {
    assert.equal((await send()).connection, "keep-alive");
    server.retire();
    // The connection opened before is still open: its next call is answered, and closes it.
    const onOpen = await send();
    assert.deepEqual(onOpen, { status: 200, connection: "close", reused: true });
    const onNew = await send();
    assert.deepEqual(onNew, { status: 200, connection: "close", reused: false }, "new connections are still accepted");
    assert.equal((await send("/readyz")).status, 503);
    assert.equal(server.isDraining(), false, "retiring is not yet draining");
  } finally {
    agent.destroy();
  }
});

test("past its connection limit the server closes the connection idle the longest, never one answering a request", async () => {
  const gate = deferred();
  const entered = deferred();
  let limited = 0;
  const { server, port } = await startServer(
    {
      "/mutate": echo,
      "/slow": async () => {
        entered.resolve();
        await gate.promise;
        return { status: 200, body: { finished: true } };
      },
    },
    { maxConnections: 2, onConnectionLimited: () => limited++ },
  );
  const clients = Array.from({ length: 4 }, () => new https.Agent({ keepAlive: true, maxSockets: 1 }));
  const send = (agent: https.Agent, p = "/mutate") =>
    new Promise<{ status: number; reused: boolean; socket: tls.TLSSocket }>((resolve, reject) => {
      const req = https.request({ host: "127.0.0.1", port, path: p, method: "POST", ca: certA.caPem, agent, headers: { "Content-Type": "application/json" } }, (res) => {
        const socket = res.socket as tls.TLSSocket; // the agent takes it back at the end
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket, socket }));
      });
      req.on("error", reject);
      req.end("{}");
    });
  const closed = (socket: tls.TLSSocket) => new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.once("close", () => resolve())));
  try {
    const [a, b, c, d] = clients as [https.Agent, https.Agent, https.Agent, https.Agent];
    const first = await send(a);
    const second = await send(b);
    assert.deepEqual(server.connectionCounts(), { open: 2, idle: 2 });
    // A third connection: the first one has been idle the longest and is closed.
    assert.equal((await send(c)).status, 200);
    await closed(first.socket);
    assert.equal(second.socket.destroyed, false);
    assert.equal(limited, 1);
    const again = await send(b);
    assert.deepEqual([again.status, again.reused], [200, true], "the other idle connection is still served");
    assert.deepEqual(server.connectionCounts(), { open: 2, idle: 2 });

    // b's connection answers a slow request; a new connection closes c's idle one, not b's.
    const slow = send(b, "/slow");
    await entered.promise;
    assert.equal((await send(d)).status, 200);
    assert.equal(limited, 2);
    assert.deepEqual(server.connectionCounts(), { open: 2, idle: 1 });
    gate.resolve();
    const slowAnswer = await slow;
    assert.deepEqual([slowAnswer.status, slowAnswer.reused], [200, true]);
  } finally {
    for (const agent of clients) agent.destroy();
  }
});

test("past its body budget the server refuses a request with 503 and Retry-After; small requests keep their room, and room comes back", async () => {
  const { port } = await startServer({ "/mutate": echo }, { bodyBudget: { totalBytes: 96 << 10, largeTotalBytes: 48 << 10, largeBytes: 16 << 10 } });
  // Two large bodies of 20 KiB, 17 KiB of each sent and held open, as a slow client would: 34 KiB of the large pool's 48.
  const held = [0, 1].map(() => {
    const answer = deferred<number>();
    const req = https.request(
      { host: "127.0.0.1", port, path: "/mutate", method: "POST", ca: certA.caPem, agent: false, headers: { "Content-Type": "application/json", "Content-Length": String(20 << 10) } },
      (res) => {
        res.resume();
        res.on("end", () => answer.resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", () => answer.resolve(-1));
    req.write(`{"pad":"${"x".repeat((17 << 10) - 8)}`);
    return { req, answer: answer.promise };
  });
  const largeBody = JSON.stringify({ pad: "y".repeat(30 << 10) });
  await waitUntil("a large body refused", 5_000, async () => (await call(port, { body: largeBody })).status === 503, 10);
  const refused = await call(port, { body: largeBody });
  assert.equal(refused.status, 503);
  assert.equal(refused.headers["retry-after"], "1");
  assert.match(JSON.parse(refused.body).message, /holds as many request bodies as it may; retry/);
  const small = await call(port, { body: JSON.stringify({ pad: "z".repeat(8 << 10) }) });
  assert.equal(small.status, 200, "a small body still has room");

  for (const { req } of held) req.end(`${"x".repeat((3 << 10) - 2)}"}`);
  assert.deepEqual(await Promise.all(held.map((h) => h.answer)), [200, 200]);
  assert.equal((await call(port, { body: largeBody })).status, 200, "the large pool is free again");
});

test("a connection that does not finish its TLS handshake in time is closed", async () => {
  const quick = await startServer({ "/mutate": echo }, { handshakeTimeoutMs: 200 });
  const usual = await startServer({ "/mutate": echo });
  const silentTo = (port: number) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.resume();
    socket.on("error", () => {});
    return socket;
  };
  const onQuick = silentTo(quick.port);
  const onUsual = silentTo(usual.port);
  await new Promise<void>((resolve) => onQuick.once("close", () => resolve()));
  assert.equal(onUsual.destroyed, false, "the same silence within the default handshake timeout stays open");
  onUsual.destroy();
  assert.equal((await call(quick.port, { body: "{}" })).status, 200, "the server goes on serving");
});

test("requests are reported to onRequestDone with path and status", async () => {
  const seen: { path: string; status: number }[] = [];
  const { port } = await startServer({ "/mutate": echo }, { onRequestDone: ({ path: p, status }) => seen.push({ path: p, status }) });
  await call(port, { body: "{}" });
  await call(port, { body: "{", contentType: "application/json" });
  assert.deepEqual(seen, [
    { path: "/mutate", status: 200 },
    { path: "/mutate", status: 400 },
  ]);
});

test("an AdmissionReview round trip through the server answers with the request uid", async () => {
  const { port } = await startServer({ "/validate": (request) => handleAdmission(request.body, (req) => allowed(req.uid), { abandonment: request }) });
  const review = {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: "abc",
      kind: { group: "apps.kruise.io", version: "v1alpha1", kind: "SidecarSet" },
      resource: { group: "apps.kruise.io", version: "v1alpha1", resource: "sidecarsets" },
      operation: "CREATE",
      object: { metadata: { name: "s" } },
    },
  };
  const r = await call(port, { path: "/validate", body: JSON.stringify(review) });
  assert.deepEqual((r.json() as AdmissionReview).response, { uid: "abc", allowed: true });
});

test("answers reach the client as the UTF-8 of their JSON, with or without non-ASCII text and with a route's own encoding", async () => {
  const texts = ["plain ascii", "ünïcode ⚠ and an emoji 🚀", "a lone surrogate \ud800 and \u2028"];
  const { port } = await startServer({
    "/echo": ({ body }) => ({ status: 200, body }),
    "/encoded": ({ body }) => ({ status: 200, body, json: JSON.stringify(body) }),
    // In pieces, cut inside the text: each piece is written as it is, and Content-Length counts them all.
    "/pieces": ({ body }) => {
      const text = JSON.stringify(body);
      return { status: 200, body, json: [text.slice(0, 3), text.slice(3, 12), "", text.slice(12)] };
    },
  });
  for (const path of ["/echo", "/encoded", "/pieces"]) {
    for (const text of texts) {
      const r = await call(port, { path, body: JSON.stringify({ text }) });
      assert.equal(r.status, 200);
      assert.equal(r.body, JSON.stringify({ text: JSON.parse(JSON.stringify(text)) }), `${path}: ${text}`);
    }
  }
});

test("a patched admission answer through the server decodes to the handler's operations", async () => {
  const ops = [{ op: "add" as const, path: "/metadata/annotations/a", value: "ünïcode <&> \"quoted\"" }];
  const { port } = await startServer({ "/mutate": (request) => handleAdmission(request.body, (req) => patched(req.uid, ops), { abandonment: request }) });
  const r = await call(port, { path: "/mutate", body: JSON.stringify(podReview({ metadata: { name: "p" } }, { uid: "abc" })) });
  const response = (r.json() as AdmissionReview).response;
  assert.equal(response.uid, "abc");
  assert.equal(response.patchType, "JSONPatch");
  assert.deepEqual(JSON.parse(Buffer.from(response.patch!, "base64").toString("utf8")), ops);
});
