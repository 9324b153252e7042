import assert from "node:assert/strict";
import { createPrivateKey, generateKeyPairSync, X509Certificate } from "node:crypto";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { createCertBundle, createCertificateAuthority, issueServingCertificate, servingNames, type KeyAndCert } from "../../../src/webhook/cert-issue.js";
import { x509 } from "../../../src/webhook/x509.js";
import { RSA_SECRET_ISSUED_AT, rsaSecret, sans, SERVICE_NAMES, signedBy } from "../../support/certs.js";

const DAY = 24 * 60 * 60 * 1000;
const HOUR = 60 * 60 * 1000;
const NOW = new Date("2026-01-02T03:04:05Z");
const NS = "sidecarset-system";

function assertP256(cert: X509Certificate, keyPem: string): void {
  assert.equal(cert.publicKey.asymmetricKeyType, "ec");
  assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, "prime256v1");
  assert.match(keyPem, /^-----BEGIN PRIVATE KEY-----\n/, "PKCS#8 PEM");
  assert.ok(cert.checkPrivateKey(createPrivateKey(keyPem)));
}

function keyUsage(pem: string): { flags: number; critical: boolean } {
  const ext = new x509.X509Certificate(pem).getExtension(x509.KeyUsagesExtension);
  assert.ok(ext, "a keyUsage extension");
  return { flags: ext.usages, critical: ext.critical };
}

/** Serves `pair` on 127.0.0.1 and answers what a client trusting only `ca` gets, asking for `servername`. */
async function fetchOverTls(pair: { cert: string; key: string }, ca: string, host: string): Promise<string> {
  const server = https.createServer({ cert: pair.cert, key: pair.key, minVersion: "TLSv1.2" }, (_req, res) => res.end("ok"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const port = (server.address() as AddressInfo).port;
    return await new Promise<string>((resolve, reject) => {
      https
        .get({ host: "127.0.0.1", servername: host === "127.0.0.1" ? undefined : host, headers: { host }, port, ca, agent: false }, (res) => {
          let text = "";
          res.on("data", (c) => (text += c));
          res.on("end", () => resolve(text));
        })
        .on("error", reject);
    });
  } finally {
    server.close();
  }
}

// ---- names ----

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

// ---- issuing ----

test("a new CA: a P-256 key, self-signed with ECDSA-SHA256, a CA that signs certificates, valid 10 years from the injected clock", async () => {
  const ca = await createCertificateAuthority(NOW);
  const cert = new X509Certificate(ca.cert);
  assertP256(cert, ca.key);
  assert.equal(cert.ca, true);
  assert.ok(cert.checkIssued(cert) && cert.verify(cert.publicKey), "self-signed");
  assert.deepEqual(new x509.X509Certificate(ca.cert).signatureAlgorithm, { name: "ECDSA", hash: { name: "SHA-256" } });
  const F = x509.KeyUsageFlags;
  assert.deepEqual(keyUsage(ca.cert), { flags: F.keyCertSign | F.cRLSign | F.digitalSignature, critical: true });
  assert.equal(cert.subject, `CN=sidecarset-webhook-ca-${NOW.getTime() / 1000}`);
  assert.equal(new Date(cert.validTo).getTime(), NOW.getTime() + 3650 * DAY);
  assert.equal(ca.notAfter.getTime(), NOW.getTime() + 3650 * DAY);
  assert.equal(new Date(cert.validFrom).getTime(), NOW.getTime() - HOUR, "usable at once, even with a clock slightly behind");
});

test("a new bundle: a P-256 serving certificate for every SAN, signed by the CA, for server authentication only, valid 1 year", async () => {
  const names = servingNames("sidecarset-webhook", NS, "127.0.0.1");
  const b = await createCertBundle(names, NOW);
  const cert = new X509Certificate(b.cert);
  assertP256(cert, b.key);
  assert.ok(signedBy(b.caCert, b.cert));
  assert.deepEqual(new x509.X509Certificate(b.cert).signatureAlgorithm, { name: "ECDSA", hash: { name: "SHA-256" } });
  assert.deepEqual(sans(b.cert), { dns: SERVICE_NAMES, ips: ["127.0.0.1"] });
  assert.equal(cert.subject, `CN=${SERVICE_NAMES[0]}`);
  assert.equal(cert.ca, false);
  assert.deepEqual(cert.keyUsage, ["1.3.6.1.5.5.7.3.1"], "extended key usage: serverAuth");
  assert.deepEqual(keyUsage(b.cert), { flags: x509.KeyUsageFlags.digitalSignature, critical: true });
  const aki = new x509.X509Certificate(b.cert).getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId;
  assert.equal(aki, new x509.X509Certificate(b.caCert).getExtension(x509.SubjectKeyIdentifierExtension)?.keyId);
  assert.equal(new Date(cert.validTo).getTime(), NOW.getTime() + 365 * DAY);
  assert.equal(b.notAfter.getTime(), NOW.getTime() + 365 * DAY);
  assert.ok(new Date(cert.validFrom).getTime() < NOW.getTime());
  assert.notEqual(cert.serialNumber, new X509Certificate(b.caCert).serialNumber);
});

test("an IPv6 host is served as an IP SAN", async () => {
  const b = await createCertBundle(servingNames("s", "n", "[::1]"), NOW);
  assert.equal(new X509Certificate(b.cert).checkIP("::1"), "::1");
});

test("a serving certificate does not verify against another CA", async () => {
  const b = await createCertBundle(servingNames("s", "n"), NOW);
  const other = await createCertificateAuthority(NOW);
  assert.equal(signedBy(other.cert, b.cert), false);
});

test("a serving certificate never outlives its CA", async () => {
  const ca = await createCertificateAuthority(NOW, { validityDays: 100 });
  const serving = await issueServingCertificate(ca, servingNames("s", "n"), NOW);
  assert.equal(serving.notAfter.getTime(), NOW.getTime() + 100 * DAY);
});

test("issuing yields to the event loop while keys are made and certificates signed", async () => {
  let ran = false;
  setImmediate(() => (ran = true));
  await createCertBundle(servingNames("s", "n"), new Date());
  assert.ok(ran, "a callback queued before issuing ran before it finished");
});

test("a TLS client trusting only the CA connects to a server with the serving certificate, by IP and by name", async () => {
  const b = await createCertBundle({ dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] }, new Date());
  assert.equal(await fetchOverTls(b, b.caCert, "127.0.0.1"), "ok");
  assert.equal(await fetchOverTls(b, b.caCert, "localhost"), "ok");
  const other = await createCertificateAuthority(new Date());
  await assert.rejects(fetchOverTls(b, other.cert, "127.0.0.1"), /self-signed|unable to (get|verify)/);
});

// ---- a CA of earlier releases ----

test("an RSA CA of earlier releases signs a new P-256 serving certificate with RSA-SHA256, which TLS clients trusting it accept", async () => {
  const { pems } = rsaSecret();
  const ca = new X509Certificate(pems.caCert);
  assert.equal(ca.publicKey.asymmetricKeyType, "rsa");
  assert.match(pems.caKey, /^-----BEGIN RSA PRIVATE KEY-----/, "PKCS#1, as they stored it");
  const now = new Date(RSA_SECRET_ISSUED_AT.getTime() + 340 * DAY);
  const serving: KeyAndCert = await issueServingCertificate({ cert: pems.caCert, key: pems.caKey }, { dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] }, now);
  assertP256(new X509Certificate(serving.cert), serving.key);
  assert.ok(signedBy(pems.caCert, serving.cert));
  assert.deepEqual(new x509.X509Certificate(serving.cert).signatureAlgorithm, { name: "RSASSA-PKCS1-v1_5", hash: { name: "SHA-256" } });
  const aki = new x509.X509Certificate(serving.cert).getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId;
  assert.equal(aki, new x509.X509Certificate(pems.caCert).getExtension(x509.SubjectKeyIdentifierExtension)?.keyId);
  // The handshake runs at the real time, within the RSA CA's ten years.
  const current = await issueServingCertificate({ cert: pems.caCert, key: pems.caKey }, { dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] }, new Date());
  assert.equal(await fetchOverTls(current, pems.caCert, "localhost"), "ok");
});

test("a CA key that cannot sign is refused, naming its type", async () => {
  const ca = await createCertificateAuthority(NOW);
  const ed25519 = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  await assert.rejects(issueServingCertificate({ cert: ca.cert, key: ed25519 }, servingNames("s", "n"), NOW), /the CA key is ed25519; only RSA and NIST P-curve CA keys can sign/);
});
