import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import jsonpatch from "fast-json-patch";
import { KubeApiError } from "../../../src/kube/errors.js";
import { createCertBundle, issueServingCertificate, servingNames, type CertBundle } from "../../../src/webhook/cert-issue.js";
import {
  caBundleValue,
  crdCaBundlePatch,
  ensureCertificates,
  loadMountedCertificates,
  patchCaBundles,
  type SecretClient,
  type WebhookConfigClient,
} from "../../../src/webhook/certs.js";
import { RSA_SECRET_ISSUED_AT, rsaSecret, sans, SERVICE_NAMES, signedBy } from "../../support/certs.js";

const DAY = 24 * 60 * 60 * 1000;
const NOW = new Date("2026-01-02T03:04:05Z");
const NS = "sidecarset-system";
const SECRET = "sidecarset-webhook-certs";
const SECRET_PATH = `/api/v1/namespaces/${NS}/secrets/${SECRET}`;

function pemCount(pem: string): number {
  return (pem.match(/-----BEGIN CERTIFICATE-----/g) ?? []).length;
}

function firstPem(pem: string): string {
  return pem.slice(0, pem.indexOf("-----END CERTIFICATE-----") + "-----END CERTIFICATE-----".length) + "\n";
}

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
  assert.ok(signedBy(bundle.caCert, bundle.cert));
  assert.deepEqual(sans(bundle.cert).dns, SERVICE_NAMES);
  assert.equal(notAfter.getTime(), NOW.getTime() + 365 * DAY);
});

test("ensureCertificates reuses a valid Secret without writing", async () => {
  const api = new FakeApi();
  const existing = await createCertBundle(servingNames("sidecarset-webhook", NS), NOW);
  api.put(SECRET_PATH, secretOf(existing));
  const bundle = await ensureCertificates(ensureOpts(api, new Date(NOW.getTime() + 100 * DAY)));
  assert.equal(api.writes.length, 0);
  assert.deepEqual(bundle, existing);
});

test("ensureCertificates renews a serving cert that expires within 30 days, keeping the CA, with the read resourceVersion", async () => {
  const api = new FakeApi();
  const existing = await createCertBundle(servingNames("sidecarset-webhook", NS), NOW);
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
  assert.ok(signedBy(existing.caCert, bundle.cert));
  const { notAfter: _n, ...pems } = bundle;
  assert.deepEqual(storedBundle(api), pems);
});

test("the renewal window is configurable", async () => {
  const api = new FakeApi();
  const existing = await createCertBundle(servingNames("sidecarset-webhook", NS), NOW);
  api.put(SECRET_PATH, secretOf(existing));
  const later = new Date(existing.notAfter.getTime() - 10 * DAY);
  await ensureCertificates({ ...ensureOpts(api, later), renewBefore: 5 * DAY });
  assert.equal(api.writes.length, 0);
});

test("ensureCertificates reissues the serving cert when the --webhook-host is not among its SANs", async () => {
  const api = new FakeApi();
  api.put(SECRET_PATH, secretOf(await createCertBundle(servingNames("sidecarset-webhook", NS), NOW)));
  const bundle = await ensureCertificates(ensureOpts(api, NOW, "192.168.5.6"));
  assert.equal(api.writes.length, 1);
  assert.deepEqual(sans(bundle.cert).ips, ["192.168.5.6"]);
});

test("an update keeps the Secret's type and its other data keys", async () => {
  const api = new FakeApi();
  const existing = await createCertBundle(servingNames("sidecarset-webhook", NS), NOW);
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
  const existing = await createCertBundle(servingNames("sidecarset-webhook", NS), NOW);
  api.put(SECRET_PATH, secretOf(existing));
  const later = new Date(NOW.getTime() + 3640 * DAY);
  const bundle = await ensureCertificates(ensureOpts(api, later));
  assert.notEqual(bundle.caKey, existing.caKey);
  assert.equal(pemCount(bundle.caCert), 2);
  assert.ok(bundle.caCert.endsWith(existing.caCert), "the previous CA follows the new one");
  assert.ok(signedBy(firstPem(bundle.caCert), bundle.cert));
  assert.ok(signedBy(existing.caCert, existing.cert), "old serving certs still chain to a trusted CA");
  // The next serving renewal signs with the new CA; by then the old CA has expired and is dropped.
  const next = await ensureCertificates(ensureOpts(api, new Date(bundle.notAfter.getTime() - DAY)));
  assert.equal(next.caCert, firstPem(bundle.caCert));
  assert.ok(signedBy(next.caCert, next.cert));
});

test("unreadable Secret data is replaced by a new CA and serving cert", async () => {
  const api = new FakeApi();
  api.put(SECRET_PATH, { apiVersion: "v1", kind: "Secret", metadata: { name: SECRET, namespace: NS }, type: "kubernetes.io/tls", data: { "tls.crt": b64("junk") } });
  const bundle = await ensureCertificates(ensureOpts(api));
  assert.equal(api.writes.length, 1);
  assert.ok(signedBy(bundle.caCert, bundle.cert));
});

test("losing the create race (AlreadyExists) returns the certificates the other replica stored", async () => {
  const api = new FakeApi();
  const theirs = await createCertBundle(servingNames("sidecarset-webhook", NS), NOW);
  api.beforeWrite = (method) => {
    if (method === "POST" && !api.objects.has(SECRET_PATH)) api.put(SECRET_PATH, secretOf(theirs));
  };
  const bundle = await ensureCertificates(ensureOpts(api));
  assert.deepEqual(bundle, theirs);
  assert.equal(api.writes.length, 0);
});

test("losing the renewal race (Conflict) re-reads and uses the other replica's renewal", async () => {
  const api = new FakeApi();
  const existing = await createCertBundle(servingNames("sidecarset-webhook", NS), NOW);
  api.put(SECRET_PATH, secretOf(existing));
  const later = new Date(existing.notAfter.getTime() - DAY);
  const renewedElsewhere = await issueServingCertificate({ cert: existing.caCert, key: existing.caKey }, servingNames("sidecarset-webhook", NS), later);
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

// ---- a Secret of earlier releases (RSA keys) ----

const afterRsaIssue = (days: number) => new Date(RSA_SECRET_ISSUED_AT.getTime() + days * DAY);

function keyType(pem: string): string {
  const key = new X509Certificate(pem).publicKey;
  return [key.asymmetricKeyType, key.asymmetricKeyDetails?.namedCurve ?? key.asymmetricKeyDetails?.modulusLength].join(" ");
}

test("a Secret written by earlier releases, with RSA keys, is served as it is while valid", async () => {
  const api = new FakeApi();
  const { secret, pems } = rsaSecret();
  api.put(SECRET_PATH, secret);
  const bundle = await ensureCertificates(ensureOpts(api, afterRsaIssue(100)));
  assert.equal(api.writes.length, 0);
  assert.deepEqual(bundle, { ...pems, notAfter: afterRsaIssue(365) });
  assert.equal(keyType(bundle.cert), "rsa 2048");
});

test("when the serving certificate of an RSA Secret is due, the RSA CA stays and signs a new P-256 serving certificate", async () => {
  const api = new FakeApi();
  const { secret, pems } = rsaSecret();
  api.put(SECRET_PATH, secret);
  const now = afterRsaIssue(350);
  const bundle = await ensureCertificates(ensureOpts(api, now));
  assert.equal(api.writes.length, 1);
  assert.equal(bundle.caCert, pems.caCert, "the caBundle is unchanged");
  assert.equal(bundle.caKey, pems.caKey);
  assert.equal(keyType(bundle.cert), "ec prime256v1");
  assert.match(bundle.key, /^-----BEGIN PRIVATE KEY-----/);
  assert.ok(signedBy(pems.caCert, bundle.cert));
  assert.deepEqual(sans(bundle.cert).dns, SERVICE_NAMES);
  assert.equal(bundle.notAfter.getTime(), now.getTime() + 365 * DAY);
  const { notAfter: _n, ...stored } = bundle;
  assert.deepEqual(storedBundle(api), stored);
});

test("when the CA of an RSA Secret is due, a P-256 CA replaces it and the RSA CA stays trusted beside it", async () => {
  const api = new FakeApi();
  const { secret, pems } = rsaSecret();
  api.put(SECRET_PATH, secret);
  const bundle = await ensureCertificates(ensureOpts(api, afterRsaIssue(3640)));
  assert.equal(pemCount(bundle.caCert), 2);
  assert.equal(keyType(bundle.caCert), "ec prime256v1");
  assert.ok(bundle.caCert.endsWith(pems.caCert), "the RSA CA follows the new one");
  assert.match(bundle.caKey, /^-----BEGIN PRIVATE KEY-----/);
  assert.equal(keyType(bundle.cert), "ec prime256v1");
  assert.ok(signedBy(firstPem(bundle.caCert), bundle.cert));
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
  const b = await createCertBundle(servingNames("s", "n"), NOW);
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

test("mounted RSA certificates are read as well", async () => {
  const { pems } = rsaSecret();
  await withDir({ "tls.crt": pems.cert, "tls.key": pems.key, "ca.crt": pems.caCert }, async (dir) => {
    const m = await loadMountedCertificates(dir);
    assert.equal(m.key, pems.key);
    assert.equal(m.notAfter.getTime(), afterRsaIssue(365).getTime());
  });
});

test("a mounted pair without ca.crt is accepted (the CA is injected elsewhere)", async () => {
  const b = await createCertBundle(servingNames("s", "n"), NOW);
  await withDir({ "tls.crt": b.cert, "tls.key": b.key }, async (dir) => {
    assert.equal((await loadMountedCertificates(dir)).caCert, undefined);
  });
});

test("unusable mounted certificates are an error naming the file", async () => {
  const a = await createCertBundle(servingNames("s", "n"), NOW);
  const other = await issueServingCertificate({ cert: a.caCert, key: a.caKey }, servingNames("s", "n"), NOW);
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
