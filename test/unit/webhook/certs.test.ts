import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import jsonpatch from "fast-json-patch";
import forge from "node-forge";
import { KubeApiError } from "../../../src/kube/errors.js";
import {
  caBundleValue,
  crdCaBundlePatch,
  createCertBundle,
  createCertificateAuthority,
  ensureCertificates,
  generateRsaKey,
  issueServingCertificate,
  loadMountedCertificates,
  patchCaBundles,
  renewalNeeded,
  servingNames,
  type CertBundle,
  type SecretClient,
  type WebhookConfigClient,
} from "../../../src/webhook/certs.js";

const DAY = 24 * 60 * 60 * 1000;
const NOW = new Date("2026-01-02T03:04:05Z");
const NS = "sidecarset-system";
const SECRET = "sidecarset-webhook-certs";
const SECRET_PATH = `/api/v1/namespaces/${NS}/secrets/${SECRET}`;
// The webhook Service's names, then those of the conversion Service beside it.
const SERVICE_NAMES = [
  "sidecarset-webhook.sidecarset-system.svc",
  "sidecarset-webhook.sidecarset-system.svc.cluster.local",
  "sidecarset-webhook.sidecarset-system",
  "sidecarset-webhook-conversion.sidecarset-system.svc",
  "sidecarset-webhook-conversion.sidecarset-system.svc.cluster.local",
  "sidecarset-webhook-conversion.sidecarset-system",
];

// 2048-bit RSA key generation takes seconds on a busy machine; every test
// draws from one pool of small keys (consecutive keys always differ), and one
// test covers the real generator.
const KEYS = Array.from({ length: 3 }, () =>
  generateKeyPairSync("rsa", {
    modulusLength: 1024,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  }).privateKey,
);
let drawn = 0;
const newKey = () => KEYS[drawn++ % KEYS.length]!;

function sans(pem: string): { dns: string[]; ips: string[] } {
  const cert = forge.pki.certificateFromPem(pem);
  const ext = cert.getExtension("subjectAltName") as { altNames: { type: number; value?: string; ip?: string }[] } | undefined;
  const alt = ext?.altNames ?? [];
  return { dns: alt.filter((a) => a.type === 2).map((a) => a.value!), ips: alt.filter((a) => a.type === 7).map((a) => a.ip!) };
}

function verifies(caPem: string, certPem: string): boolean {
  try {
    return forge.pki.certificateFromPem(caPem).verify(forge.pki.certificateFromPem(certPem));
  } catch {
    return false;
  }
}

function pemCount(pem: string): number {
  return (pem.match(/-----BEGIN CERTIFICATE-----/g) ?? []).length;
}

function firstPem(pem: string): string {
  return pem.slice(0, pem.indexOf("-----END CERTIFICATE-----") + "-----END CERTIFICATE-----".length) + "\n";
}

// ---- names and issuing ----

const nameCases: { name: string; host?: string; dns: string[]; ips: string[] }[] = [
  { name: "without a host: the names of the webhook and conversion Services", dns: SERVICE_NAMES, ips: [] },
  { name: "an IP host becomes an IP SAN", host: "10.1.2.3", dns: SERVICE_NAMES, ips: ["10.1.2.3"] },
  { name: "a bracketed IPv6 host becomes an IP SAN", host: "[::1]", dns: SERVICE_NAMES, ips: ["::1"] },
  { name: "a host name becomes a DNS SAN", host: "webhook.example.com", dns: [...SERVICE_NAMES, "webhook.example.com"], ips: [] },
];
for (const c of nameCases) {
  test(`serving names ${c.name}`, () => {
    assert.deepEqual(servingNames("sidecarset-webhook", NS, c.host), { dnsNames: c.dns, ipAddresses: c.ips });
  });
}

test("a new bundle: the serving cert verifies against the CA and carries every SAN", () => {
  const names = servingNames("sidecarset-webhook", NS, "127.0.0.1");
  const b = createCertBundle(names, NOW, newKey);
  assert.ok(verifies(b.caCert, b.cert));
  assert.deepEqual(sans(b.cert), { dns: SERVICE_NAMES, ips: ["127.0.0.1"] });
  const ca = forge.pki.certificateFromPem(b.caCert);
  assert.equal((ca.getExtension("basicConstraints") as { cA?: boolean }).cA, true);
  const serving = forge.pki.certificateFromPem(b.cert);
  assert.equal((serving.getExtension("basicConstraints") as { cA?: boolean }).cA, false);
  assert.equal((serving.getExtension("extKeyUsage") as { serverAuth?: boolean }).serverAuth, true);
});

test("the CA is valid for 10 years and the serving cert for 1 year from the injected clock", () => {
  const b = createCertBundle(servingNames("s", "n"), NOW, newKey);
  const ca = forge.pki.certificateFromPem(b.caCert);
  const serving = forge.pki.certificateFromPem(b.cert);
  assert.equal(ca.validity.notAfter.getTime(), NOW.getTime() + 3650 * DAY);
  assert.equal(serving.validity.notAfter.getTime(), NOW.getTime() + 365 * DAY);
  assert.equal(b.notAfter.getTime(), NOW.getTime() + 365 * DAY);
  assert.ok(serving.validity.notBefore.getTime() <= NOW.getTime(), "usable at once, even with a clock slightly behind");
});

test("a serving cert does not verify against another CA", () => {
  const b = createCertBundle(servingNames("s", "n"), NOW, newKey);
  const other = createCertificateAuthority(NOW, { newKey });
  assert.equal(verifies(other.cert, b.cert), false);
});

test("a serving cert never outlives its CA", () => {
  const ca = createCertificateAuthority(NOW, { validityDays: 100, newKey });
  const serving = issueServingCertificate(ca, servingNames("s", "n"), NOW, { newKey });
  assert.equal(serving.notAfter.getTime(), NOW.getTime() + 100 * DAY);
});

test("with the default key source, a TLS client trusting only the CA connects to a server with the 2048-bit serving cert by IP", async () => {
  const b = createCertBundle(servingNames("s", "n", "127.0.0.1"), new Date());
  for (const pem of [b.caCert, b.cert]) {
    assert.equal((forge.pki.certificateFromPem(pem).publicKey as forge.pki.rsa.PublicKey).n.bitLength(), 2048);
  }
  const server = https.createServer({ cert: b.cert, key: b.key, minVersion: "TLSv1.2" }, (_req, res) => res.end("ok"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const port = (server.address() as AddressInfo).port;
    const body = await new Promise<string>((resolve, reject) => {
      https
        .get({ host: "127.0.0.1", port, ca: b.caCert, agent: false }, (res) => {
          let text = "";
          res.on("data", (c) => (text += c));
          res.on("end", () => resolve(text));
        })
        .on("error", reject);
    });
    assert.equal(body, "ok");
  } finally {
    server.close();
  }
});

// ---- renewal decisions ----

test("renewal: none for a fresh bundle; serving when near expiry, lacking a name, or signed by another CA; all when the CA is unusable or expiring", () => {
  const names = servingNames("s", "n");
  const b = createCertBundle(names, NOW, newKey);
  const window = 30 * DAY;
  assert.deepEqual(renewalNeeded(b, names, NOW, window), { renew: "none" });
  assert.equal(renewalNeeded(b, names, new Date(NOW.getTime() + 340 * DAY), window).renew, "serving");
  assert.equal(renewalNeeded(b, names, new Date(NOW.getTime() + 300 * DAY), window).renew, "none");
  assert.equal(renewalNeeded(b, servingNames("s", "n", "10.0.0.9"), NOW, window).renew, "serving");
  const foreign = issueServingCertificate(createCertificateAuthority(NOW, { newKey }), names, NOW, { newKey });
  assert.equal(renewalNeeded({ ...b, cert: foreign.cert, key: foreign.key }, names, NOW, window).renew, "serving");
  assert.equal(renewalNeeded({ ...b, key: foreign.key }, names, NOW, window).renew, "serving");
  assert.equal(renewalNeeded({ ...b, cert: undefined }, names, NOW, window).renew, "serving");
  assert.equal(renewalNeeded({ ...b, caKey: "junk" }, names, NOW, window).renew, "all");
  assert.equal(renewalNeeded({ ...b, caCert: undefined }, names, NOW, window).renew, "all");
  assert.equal(renewalNeeded({ ...b, caCert: b.cert }, names, NOW, window).renew, "all", "a leaf certificate is no CA");
  assert.equal(renewalNeeded(b, names, new Date(NOW.getTime() + 3640 * DAY), window).renew, "all");
});

// ---- the Secret ----

type Obj = Record<string, any>;

/** An in-memory API server for the few calls the certificate code makes. */
class FakeApi implements SecretClient, WebhookConfigClient {
  readonly objects = new Map<string, Obj>();
  readonly writes: { method: string; path: string; body: unknown }[] = [];
  private rv = 100;
  /** Runs before a write is applied; may change the store or throw (another replica acting first). */
  beforeWrite?: (method: string, path: string, body: unknown) => void;

  put(p: string, object: Obj): void {
    this.objects.set(p, { ...object, metadata: { ...object.metadata, resourceVersion: String(++this.rv) } });
  }

  async get<T>(p: string): Promise<T> {
    const o = this.objects.get(p);
    if (!o) throw new KubeApiError(404, "NotFound", `${p} not found`);
    return structuredClone(o) as T;
  }

  async create<T>(p: string, body: unknown): Promise<T> {
    this.beforeWrite?.("POST", p, body);
    const item = `${p}/${(body as Obj).metadata.name}`;
    if (this.objects.has(item)) throw new KubeApiError(409, "AlreadyExists", `${item} already exists`);
    this.writes.push({ method: "POST", path: p, body });
    this.put(item, body as Obj);
    return structuredClone(this.objects.get(item)) as T;
  }

  async replace<T>(p: string, body: unknown): Promise<T> {
    this.beforeWrite?.("PUT", p, body);
    const current = this.objects.get(p);
    if (!current) throw new KubeApiError(404, "NotFound", `${p} not found`);
    if ((body as Obj).metadata.resourceVersion !== current.metadata.resourceVersion) {
      throw new KubeApiError(409, "Conflict", "the object has been modified; please apply your changes to the latest version and try again");
    }
    this.writes.push({ method: "PUT", path: p, body });
    this.put(p, body as Obj);
    return structuredClone(this.objects.get(p)) as T;
  }

  async patch<T>(p: string, patch: unknown): Promise<T> {
    this.beforeWrite?.("PATCH", p, patch);
    const current = this.objects.get(p);
    if (!current) throw new KubeApiError(404, "NotFound", `${p} not found`);
    const ops = structuredClone(patch) as jsonpatch.Operation[];
    const error = jsonpatch.validate(ops, current);
    if (error) throw new KubeApiError(422, "Invalid", `patch does not apply: ${error.message}`);
    let next: Obj;
    try {
      next = jsonpatch.applyPatch(structuredClone(current), ops, true, false).newDocument;
    } catch (e) {
      throw new KubeApiError(422, "Invalid", `patch does not apply: ${(e as Error).message}`);
    }
    this.writes.push({ method: "PATCH", path: p, body: patch });
    this.put(p, next);
    return structuredClone(this.objects.get(p)) as T;
  }
}

function b64(s: string): string {
  return Buffer.from(s).toString("base64");
}

function secretOf(bundle: CertBundle, extra: Obj = {}): Obj {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: SECRET, namespace: NS },
    type: "kubernetes.io/tls",
    data: { "tls.crt": b64(bundle.cert), "tls.key": b64(bundle.key), "ca.crt": b64(bundle.caCert), "ca.key": b64(bundle.caKey) },
    ...extra,
  };
}

function storedBundle(api: FakeApi): Omit<CertBundle, "notAfter"> {
  const data = api.objects.get(SECRET_PATH)!.data as Record<string, string>;
  const d = (k: string) => Buffer.from(data[k]!, "base64").toString("utf8");
  return { cert: d("tls.crt"), key: d("tls.key"), caCert: d("ca.crt"), caKey: d("ca.key") };
}

const ensureOpts = (api: FakeApi, now = NOW, host?: string) => ({
  client: api,
  namespace: NS,
  secretName: SECRET,
  service: "sidecarset-webhook",
  now,
  newKey,
  ...(host === undefined ? {} : { host }),
});

test("ensureCertificates creates a kubernetes.io/tls Secret with ca.crt and ca.key when there is none", async () => {
  const api = new FakeApi();
  const bundle = await ensureCertificates(ensureOpts(api));
  assert.equal(api.writes.length, 1);
  assert.equal(api.writes[0]!.method, "POST");
  assert.equal(api.writes[0]!.path, `/api/v1/namespaces/${NS}/secrets`);
  const secret = api.objects.get(SECRET_PATH)!;
  assert.equal(secret.type, "kubernetes.io/tls");
  assert.deepEqual(Object.keys(secret.data).sort(), ["ca.crt", "ca.key", "tls.crt", "tls.key"]);
  const { notAfter, ...pems } = bundle;
  assert.deepEqual(storedBundle(api), pems);
  assert.ok(verifies(bundle.caCert, bundle.cert));
  assert.deepEqual(sans(bundle.cert).dns, SERVICE_NAMES);
  assert.equal(notAfter.getTime(), NOW.getTime() + 365 * DAY);
});

test("ensureCertificates reuses a valid Secret without writing", async () => {
  const api = new FakeApi();
  const existing = createCertBundle(servingNames("sidecarset-webhook", NS), NOW, newKey);
  api.put(SECRET_PATH, secretOf(existing));
  const bundle = await ensureCertificates(ensureOpts(api, new Date(NOW.getTime() + 100 * DAY)));
  assert.equal(api.writes.length, 0);
  assert.deepEqual(bundle, existing);
});

test("ensureCertificates renews a serving cert that expires within 30 days, keeping the CA, with the read resourceVersion", async () => {
  const api = new FakeApi();
  const existing = createCertBundle(servingNames("sidecarset-webhook", NS), NOW, newKey);
  api.put(SECRET_PATH, secretOf(existing));
  const readVersion = api.objects.get(SECRET_PATH)!.metadata.resourceVersion;
  const later = new Date(existing.notAfter.getTime() - 10 * DAY);
  const bundle = await ensureCertificates(ensureOpts(api, later));
  assert.equal(api.writes.length, 1);
  assert.equal(api.writes[0]!.method, "PUT");
  assert.equal((api.writes[0]!.body as Obj).metadata.resourceVersion, readVersion);
  assert.equal(bundle.caCert, existing.caCert);
  assert.equal(bundle.caKey, existing.caKey);
  assert.notEqual(bundle.cert, existing.cert);
  assert.equal(bundle.notAfter.getTime(), later.getTime() + 365 * DAY);
  assert.ok(verifies(existing.caCert, bundle.cert));
  const { notAfter: _n, ...pems } = bundle;
  assert.deepEqual(storedBundle(api), pems);
});

test("the renewal window is configurable", async () => {
  const api = new FakeApi();
  const existing = createCertBundle(servingNames("sidecarset-webhook", NS), NOW, newKey);
  api.put(SECRET_PATH, secretOf(existing));
  const later = new Date(existing.notAfter.getTime() - 10 * DAY);
  await ensureCertificates({ ...ensureOpts(api, later), renewBefore: 5 * DAY });
  assert.equal(api.writes.length, 0);
});

test("ensureCertificates reissues the serving cert when the --webhook-host is not among its SANs", async () => {
  const api = new FakeApi();
  api.put(SECRET_PATH, secretOf(createCertBundle(servingNames("sidecarset-webhook", NS), NOW, newKey)));
  const bundle = await ensureCertificates(ensureOpts(api, NOW, "192.168.5.6"));
  assert.equal(api.writes.length, 1);
  assert.deepEqual(sans(bundle.cert).ips, ["192.168.5.6"]);
});

test("an update keeps the Secret's type and its other data keys", async () => {
  const api = new FakeApi();
  const existing = createCertBundle(servingNames("sidecarset-webhook", NS), NOW, newKey);
  const secret = secretOf(existing, { type: "Opaque" });
  secret.data.extra = b64("keep me");
  api.put(SECRET_PATH, secret);
  await ensureCertificates(ensureOpts(api, new Date(existing.notAfter.getTime() - DAY)));
  const after = api.objects.get(SECRET_PATH)!;
  assert.equal(after.type, "Opaque");
  assert.equal(after.data.extra, b64("keep me"));
});

test("a CA near expiry is replaced, and the old CA stays trusted beside the new one", async () => {
  const api = new FakeApi();
  const existing = createCertBundle(servingNames("sidecarset-webhook", NS), NOW, newKey);
  api.put(SECRET_PATH, secretOf(existing));
  const later = new Date(NOW.getTime() + 3640 * DAY);
  const bundle = await ensureCertificates(ensureOpts(api, later));
  assert.notEqual(bundle.caKey, existing.caKey);
  assert.equal(pemCount(bundle.caCert), 2);
  assert.ok(bundle.caCert.endsWith(existing.caCert), "the previous CA follows the new one");
  assert.ok(verifies(firstPem(bundle.caCert), bundle.cert));
  assert.ok(verifies(existing.caCert, existing.cert), "old serving certs still chain to a trusted CA");
  // The next serving renewal signs with the new CA; by then the old CA has expired and is dropped.
  const next = await ensureCertificates(ensureOpts(api, new Date(bundle.notAfter.getTime() - DAY)));
  assert.equal(next.caCert, firstPem(bundle.caCert));
  assert.ok(verifies(next.caCert, next.cert));
});

test("unreadable Secret data is replaced by a new CA and serving cert", async () => {
  const api = new FakeApi();
  api.put(SECRET_PATH, { apiVersion: "v1", kind: "Secret", metadata: { name: SECRET, namespace: NS }, type: "kubernetes.io/tls", data: { "tls.crt": b64("junk") } });
  const bundle = await ensureCertificates(ensureOpts(api));
  assert.equal(api.writes.length, 1);
  assert.ok(verifies(bundle.caCert, bundle.cert));
});

test("losing the create race (AlreadyExists) returns the certificates the other replica stored", async () => {
  const api = new FakeApi();
  const theirs = createCertBundle(servingNames("sidecarset-webhook", NS), NOW, newKey);
  api.beforeWrite = (method) => {
    if (method === "POST" && !api.objects.has(SECRET_PATH)) api.put(SECRET_PATH, secretOf(theirs));
  };
  const bundle = await ensureCertificates(ensureOpts(api));
  assert.deepEqual(bundle, theirs);
  assert.equal(api.writes.length, 0);
});

test("losing the renewal race (Conflict) re-reads and uses the other replica's renewal", async () => {
  const api = new FakeApi();
  const existing = createCertBundle(servingNames("sidecarset-webhook", NS), NOW, newKey);
  api.put(SECRET_PATH, secretOf(existing));
  const later = new Date(existing.notAfter.getTime() - DAY);
  const renewedElsewhere = issueServingCertificate({ cert: existing.caCert, key: existing.caKey }, servingNames("sidecarset-webhook", NS), later, { newKey });
  let raced = false;
  api.beforeWrite = (method) => {
    if (method === "PUT" && !raced) {
      raced = true;
      api.put(SECRET_PATH, secretOf({ ...existing, cert: renewedElsewhere.cert, key: renewedElsewhere.key }));
    }
  };
  const bundle = await ensureCertificates(ensureOpts(api, later));
  assert.ok(raced);
  assert.equal(api.writes.length, 0, "our stale write was refused and nothing else was needed");
  assert.equal(bundle.cert, renewedElsewhere.cert);
});

test("API errors other than NotFound, AlreadyExists and Conflict are not swallowed", async () => {
  const api = new FakeApi();
  api.get = async () => {
    throw new KubeApiError(403, "Forbidden", "secrets is forbidden");
  };
  await assert.rejects(ensureCertificates(ensureOpts(api)), /forbidden/);
});

// ---- caBundle ----

const MUTATING = "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/m";
const VALIDATING = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/v";
const CA_PEM = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";

function webhookConfigs(api: FakeApi, mutatingBundles: (string | undefined)[], validatingBundle?: string): void {
  const hook = (name: string, caBundle?: string) => ({ name, clientConfig: { url: "https://127.0.0.1:9443/x", ...(caBundle ? { caBundle } : {}) } });
  api.put(MUTATING, { metadata: { name: "m" }, webhooks: mutatingBundles.map((b, i) => hook(`m${i}.example.com`, b)) });
  api.put(VALIDATING, { metadata: { name: "v" }, webhooks: [hook("v.example.com", validatingBundle)] });
}

test("caBundle values: PEM is base64-encoded, a base64 value is kept", () => {
  assert.equal(caBundleValue(CA_PEM), b64(CA_PEM));
  assert.equal(caBundleValue(b64(CA_PEM)), b64(CA_PEM));
});

test("patchCaBundles writes the CA into every webhook that lacks it, and only those", async () => {
  const api = new FakeApi();
  webhookConfigs(api, [undefined, b64(CA_PEM)], "b2xk");
  const result = await patchCaBundles({ client: api, mutatingName: "m", validatingName: "v", caBundle: CA_PEM });
  assert.deepEqual(result, { updated: ["m", "v"], unchanged: [], missing: [] });
  assert.deepEqual(api.writes.map((w) => w.path), [MUTATING, VALIDATING]);
  assert.deepEqual(api.writes[0]!.body, [
    { op: "test", path: "/webhooks/0/name", value: "m0.example.com" },
    { op: "add", path: "/webhooks/0/clientConfig/caBundle", value: b64(CA_PEM) },
  ]);
  for (const p of [MUTATING, VALIDATING]) {
    for (const w of api.objects.get(p)!.webhooks) assert.equal(w.clientConfig.caBundle, b64(CA_PEM));
  }
  const again = await patchCaBundles({ client: api, mutatingName: "m", validatingName: "v", caBundle: CA_PEM });
  assert.deepEqual(again, { updated: [], unchanged: ["m", "v"], missing: [] });
  assert.equal(api.writes.length, 2, "nothing written when every webhook has the CA");
});

test("patchCaBundles reports configurations that do not exist instead of failing", async () => {
  const api = new FakeApi();
  webhookConfigs(api, [undefined]);
  api.objects.delete(VALIDATING);
  const result = await patchCaBundles({ client: api, mutatingName: "m", validatingName: "v", caBundle: CA_PEM });
  assert.deepEqual(result, { updated: ["m"], unchanged: [], missing: ["v"] });
});

test("patchCaBundles re-reads when the webhooks were reordered between read and patch", async () => {
  const api = new FakeApi();
  webhookConfigs(api, [undefined, undefined]);
  let reordered = false;
  api.beforeWrite = (method, p) => {
    if (method === "PATCH" && p === MUTATING && !reordered) {
      reordered = true;
      const config = api.objects.get(MUTATING)!;
      api.put(MUTATING, { ...config, webhooks: [...config.webhooks].reverse() });
    }
  };
  const result = await patchCaBundles({ client: api, mutatingName: "m", validatingName: "v", caBundle: CA_PEM });
  assert.ok(reordered);
  assert.deepEqual(result.updated, ["m", "v"]);
  for (const w of api.objects.get(MUTATING)!.webhooks) assert.equal(w.clientConfig.caBundle, b64(CA_PEM));
});

const CRD = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/sidecarsets.apps.kruise.io";

test("patchCaBundles writes the CA into the CRD's conversion webhook too, once", async () => {
  const api = new FakeApi();
  webhookConfigs(api, [b64(CA_PEM)], b64(CA_PEM));
  api.put(CRD, {
    metadata: { name: "sidecarsets.apps.kruise.io" },
    spec: { conversion: { strategy: "Webhook", webhook: { conversionReviewVersions: ["v1"], clientConfig: { url: "https://127.0.0.1:9443/convert" } } } },
  });
  const opts = { client: api, mutatingName: "m", validatingName: "v", crdName: "sidecarsets.apps.kruise.io", caBundle: CA_PEM };
  assert.deepEqual(await patchCaBundles(opts), { updated: ["sidecarsets.apps.kruise.io"], unchanged: ["m", "v"], missing: [] });
  const crd = api.objects.get(CRD) as unknown as { spec: { conversion: { webhook: { clientConfig: Record<string, string> } } } };
  assert.deepEqual(crd.spec.conversion.webhook.clientConfig, { url: "https://127.0.0.1:9443/convert", caBundle: b64(CA_PEM) });
  assert.deepEqual(await patchCaBundles(opts), { updated: [], unchanged: ["m", "v", "sidecarsets.apps.kruise.io"], missing: [] });
});

test("a CRD converting without a webhook gets no caBundle, and a missing CRD is reported", async () => {
  assert.deepEqual(crdCaBundlePatch({ spec: { conversion: { strategy: "None" } } }, "Q0E="), []);
  assert.deepEqual(crdCaBundlePatch({ spec: {} }, "Q0E="), []);
  const api = new FakeApi();
  webhookConfigs(api, [b64(CA_PEM)], b64(CA_PEM));
  const result = await patchCaBundles({ client: api, mutatingName: "m", validatingName: "v", crdName: "sidecarsets.apps.kruise.io", caBundle: CA_PEM });
  assert.deepEqual(result.missing, ["sidecarsets.apps.kruise.io"]);
});

// ---- mounted certificates ----

function withDir(files: Record<string, string>, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), "sidecarset-certs-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

test("mounted certificates are read with ca.crt, their expiry and file paths", async () => {
  const b = createCertBundle(servingNames("s", "n"), NOW, newKey);
  await withDir({ "tls.crt": b.cert, "tls.key": b.key, "ca.crt": b.caCert }, async (dir) => {
    const m = await loadMountedCertificates(dir);
    assert.equal(m.cert, b.cert);
    assert.equal(m.key, b.key);
    assert.equal(m.caCert, b.caCert);
    assert.equal(m.notAfter.getTime(), b.notAfter.getTime());
    assert.equal(m.certFile, path.join(dir, "tls.crt"));
    assert.equal(m.keyFile, path.join(dir, "tls.key"));
  });
});

test("a mounted pair without ca.crt is accepted (the CA is injected elsewhere)", async () => {
  const b = createCertBundle(servingNames("s", "n"), NOW, newKey);
  await withDir({ "tls.crt": b.cert, "tls.key": b.key }, async (dir) => {
    assert.equal((await loadMountedCertificates(dir)).caCert, undefined);
  });
});

test("unusable mounted certificates are an error naming the file", async () => {
  const a = createCertBundle(servingNames("s", "n"), NOW, newKey);
  const other = issueServingCertificate({ cert: a.caCert, key: a.caKey }, servingNames("s", "n"), NOW, { newKey });
  const cases: { name: string; files: Record<string, string>; error: RegExp }[] = [
    { name: "missing key", files: { "tls.crt": a.cert }, error: /tls\.key: no such file/ },
    { name: "missing cert", files: { "tls.key": a.key }, error: /tls\.crt: no such file/ },
    { name: "key of another cert", files: { "tls.crt": a.cert, "tls.key": other.key }, error: /tls\.key: not the private key of the certificate/ },
    { name: "junk cert", files: { "tls.crt": "junk", "tls.key": a.key }, error: /tls\.crt: not a PEM certificate/ },
    { name: "junk ca", files: { "tls.crt": a.cert, "tls.key": a.key, "ca.crt": "junk" }, error: /ca\.crt: not a PEM certificate/ },
  ];
  for (const c of cases) {
    await withDir(c.files, async (dir) => {
      await assert.rejects(loadMountedCertificates(dir), c.error, c.name);
    });
  }
});
