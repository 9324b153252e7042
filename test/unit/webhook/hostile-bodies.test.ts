// Every webhook path against hostile bodies, through the real server over
// HTTPS with the real routes (docs/reliability.md, "Hostile input"). For each
// body: an answer within the deadline that is a well-formed AdmissionReview
// (uid echoed, `allowed` set, a patch that applies to the object) or a 4xx
// Status; no uncaught exception or unhandled rejection; Object.prototype
// untouched; and afterwards an ordinary pod is still injected.
//
// HOSTILE_BODIES sets the total (default 10,000); HOSTILE_SEED replays a run.
import assert from "node:assert/strict";
import https from "node:https";
import { after, before, test } from "node:test";
import fc from "fast-check";
import { silentLogger } from "../../../src/observability/logger.js";
import { admissionRoutes, MUTATE_POD_PATH } from "../../../src/webhook/handlers/index.js";
import { DEFAULT_MAX_BODY_BYTES, WebhookServer } from "../../../src/webhook/server.js";
import { answerProblem } from "../../support/admission-answers.js";
import { createLocalServingCertificate } from "../../support/certs.js";
import { GOLDEN_NOW, loadGoldenCase } from "../../support/golden.js";
import {
  brokenText,
  deeplyNested,
  hostileSeeds,
  malformedReviews,
  oversized,
  podReviews,
  randomJson,
  reviewOf,
  sidecarSetReviews,
  wrongContentType,
  type HostileBody,
} from "../../support/hostile-bodies.js";
import { applyJsonPatch, type PatchOperation } from "../../support/json-patch-apply.js";
import { sendBody, sendRawHttp, type WebhookTarget } from "../../support/webhook-client.js";

const TOTAL = Number(process.env.HOSTILE_BODIES ?? 10_000);
const SEED = process.env.HOSTILE_SEED === undefined ? undefined : Number(process.env.HOSTILE_SEED);
/** Far above any answer's time here; only a server that stopped answering reaches it. */
const DEADLINE_MS = 30_000;

const seeds = hostileSeeds();
const routes = admissionRoutes({ cache: seeds.cache, now: () => GOLDEN_NOW, random: () => 0, logger: silentLogger() });
const PATHS = Object.keys(routes);
const POD_PATH = MUTATE_POD_PATH;
const SIDECARSET_PATHS = PATHS.filter((p) => p !== POD_PATH);

let server: WebhookServer;
let target: WebhookTarget;
const crashes: unknown[] = [];
const onCrash = (e: unknown) => crashes.push(e);
const prototypeNames = () => [Object.prototype, Array.prototype, Function.prototype, String.prototype].map((p) => Object.getOwnPropertyNames(p).sort());
const prototypesBefore = prototypeNames();
const sent = new Map<string, number>();

before(async () => {
  process.on("uncaughtException", onCrash);
  process.on("unhandledRejection", onCrash);
  const cert = await createLocalServingCertificate();
  server = new WebhookServer({ port: 0, host: "127.0.0.1", certificate: { cert: cert.certPem, key: cert.keyPem }, routes });
  const port = await server.start();
  target = { port, ca: cert.caPem, agent: new https.Agent({ keepAlive: true, maxSockets: 4, ca: cert.caPem }), deadlineMs: DEADLINE_MS };
});

after(async () => {
  target.agent?.destroy();
  await server.stop(1_000);
  process.off("uncaughtException", onCrash);
  process.off("unhandledRejection", onCrash);
});

async function check(body: HostileBody): Promise<void> {
  sent.set(body.path, (sent.get(body.path) ?? 0) + 1);
  const reply = await sendBody(target, body);
  const problem = answerProblem(body, reply, { maxBodyBytes: DEFAULT_MAX_BODY_BYTES });
  if (problem) {
    throw new Error(`${body.label} to ${body.path}: ${problem}\nanswer ${reply.status}: ${reply.body.slice(0, 500)}`);
  }
  assert.deepEqual(crashes, []);
}

// Reviews go mostly to their own webhook, sometimes to another one, which must turn them away.
const podReviewArb = podReviews([POD_PATH, POD_PATH, POD_PATH, ...SIDECARSET_PATHS], seeds.pods);
const setReviewArb = sidecarSetReviews([...SIDECARSET_PATHS, ...SIDECARSET_PATHS, POD_PATH], seeds.rawSidecarSets, seeds.sidecarSets);

/** Each class of input with its share of the total. Oversized bodies are few: each one is 3 MiB on the wire. */
const classes: { name: string; share: number; min?: number; arb: fc.Arbitrary<HostileBody> }[] = [
  { name: "random JSON values", share: 0.17, arb: randomJson(PATHS) },
  { name: "AdmissionReviews with wrong, missing or mistyped envelope fields", share: 0.18, arb: malformedReviews(PATHS, seeds) },
  { name: "truncated reviews and bytes that are not JSON", share: 0.1, arb: brokenText(PATHS, fc.oneof(podReviewArb, setReviewArb)) },
  { name: "deeply nested values (up to 100k levels)", share: 0.05, arb: deeplyNested(PATHS, seeds) },
  { name: "wrong content types", share: 0.05, arb: wrongContentType(PATHS, setReviewArb) },
  { name: "valid reviews carrying hostile pods", share: 0.27, arb: podReviewArb },
  { name: "valid reviews carrying hostile SidecarSets", share: 0.18, arb: setReviewArb },
  { name: "bodies past the size cap, with a declared length or chunked", share: 0, min: 12, arb: oversized(PATHS, DEFAULT_MAX_BODY_BYTES) },
];

for (const c of classes) {
  const runs = Math.max(c.min ?? 1, Math.ceil(TOTAL * c.share));
  test(`hostile input: ${c.name} (${runs} bodies) all get a well-formed answer or a 4xx`, async () => {
    await fc.assert(
      fc.asyncProperty(c.arb, check),
      { numRuns: runs, includeErrorInReport: true, ...(SEED === undefined ? {} : { seed: SEED }) },
    );
  });
}

// Below the JSON: requests Node's HTTP parser refuses before any route runs.
const HEAD = "POST /mutate-pod HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";
const malformedHttp: { name: string; bytes: string; status: number }[] = [
  { name: "a Content-Length that is not a number", bytes: `${HEAD}Content-Length: abc\r\n\r\n{}`, status: 400 },
  { name: "a negative Content-Length", bytes: `${HEAD}Content-Length: -1\r\n\r\n{}`, status: 400 },
  { name: "a Content-Length past 2^64", bytes: `${HEAD}Content-Length: 99999999999999999999999\r\n\r\n{}`, status: 400 },
  { name: "two different Content-Lengths", bytes: `${HEAD}Content-Length: 3\r\nContent-Length: 5\r\n\r\n{}`, status: 400 },
  { name: "Content-Length with chunked encoding", bytes: `${HEAD}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, status: 400 },
  { name: "a chunk size that is not hex", bytes: `${HEAD}Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n`, status: 400 },
  { name: "a body shorter than its Content-Length", bytes: `${HEAD}Content-Length: 100\r\n\r\n{}`, status: 400 },
  { name: "100 kB of headers", bytes: `${HEAD}X-Big: ${"a".repeat(100_000)}\r\nContent-Length: 2\r\n\r\n{}`, status: 431 },
  { name: "a NUL in a header", bytes: `POST /mutate-pod HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\u0000\r\nContent-Length: 2\r\n\r\n{}`, status: 400 },
  { name: "no Host header", bytes: "POST /mutate-pod HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}", status: 400 },
  { name: "bytes that are not HTTP", bytes: "\u0000\u0001\u0002 GARBAGE\r\n\r\n", status: 400 },
  { name: "an absolute URL as the target", bytes: "POST https://elsewhere/mutate-pod HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}", status: 404 },
  { name: "OPTIONS *", bytes: "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", status: 404 },
];
for (const c of malformedHttp) {
  test(`malformed HTTP: ${c.name} gets ${c.status}`, async () => {
    const reply = await sendRawHttp(target, c.bytes);
    assert.equal(reply.status, c.status, reply.head);
  });
}

test("no uncaught exception or unhandled rejection, and no prototype gained a property", () => {
  assert.deepEqual(crashes, []);
  assert.deepEqual(prototypeNames(), prototypesBefore);
  assert.equal((Object.prototype as Record<string, unknown>).polluted, undefined);
});

test("every webhook path got its share and the total reaches the configured count", () => {
  const total = [...sent.values()].reduce((a, b) => a + b, 0);
  assert.ok(total >= TOTAL, `${total} bodies sent, expected at least ${TOTAL}`);
  for (const p of PATHS) assert.ok((sent.get(p) ?? 0) >= TOTAL / 10, `${p} got ${sent.get(p) ?? 0} bodies`);
});

test("after the hostile run an ordinary pod is still injected", async () => {
  const golden = loadGoldenCase("log-agent");
  const pod = seeds.pods.find((p) => p.metadata?.labels?.["hostile.test/golden-case"] === "log-agent")!;
  const body = reviewOf({
    uid: "after-hostile",
    kind: { group: "", version: "v1", kind: "Pod" },
    resource: { group: "", version: "v1", resource: "pods" },
    operation: "CREATE",
    namespace: pod.metadata?.namespace ?? "default",
    object: pod,
  });
  const reply = await sendBody(target, { label: "ordinary pod", path: POD_PATH, contentType: "application/json", payload: Buffer.from(JSON.stringify(body)) });
  assert.equal(reply.status, 200, reply.body);
  const response = (JSON.parse(reply.body) as { response: { uid: string; allowed: boolean; patch: string } }).response;
  assert.equal(response.uid, "after-hostile");
  assert.equal(response.allowed, true);
  const ops = JSON.parse(Buffer.from(response.patch, "base64").toString("utf8")) as PatchOperation[];
  const injected = applyJsonPatch(structuredClone(pod), ops) as typeof pod;
  assert.deepEqual(injected.spec?.containers.map((c) => c.name), golden.expected.spec?.containers.map((c) => c.name));
});
