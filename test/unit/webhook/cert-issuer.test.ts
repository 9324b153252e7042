import assert from "node:assert/strict";
import { test } from "node:test";
import { servingNames } from "../../../src/webhook/cert-names.js";
import { helperProcessIssuer } from "../../../src/webhook/cert-issuer.js";
import { rsaSecret, sans, SERVICE_NAMES, signedBy } from "../../support/certs.js";

const NOW = new Date("2026-03-04T05:06:07Z");
const YEAR = 365 * 24 * 60 * 60 * 1000;
const names = servingNames("sidecarset-webhook", "sidecarset-system", "10.1.2.3");

test("the certificate helper process issues a CA and a serving certificate it signed, with the names and a year's validity", async () => {
  const bundle = await helperProcessIssuer.createCertBundle(names, NOW);
  assert.ok(signedBy(bundle.caCert, bundle.cert), "the serving certificate is signed by the new CA");
  assert.deepEqual(sans(bundle.cert), { dns: SERVICE_NAMES, ips: ["10.1.2.3"] });
  assert.ok(bundle.notAfter instanceof Date, "notAfter comes back as a Date");
  assert.equal(bundle.notAfter.getTime(), NOW.getTime() + YEAR);
  assert.match(bundle.caKey, /^-----BEGIN PRIVATE KEY-----/);
  assert.match(bundle.key, /^-----BEGIN PRIVATE KEY-----/);
});

test("the certificate helper process signs a serving certificate with a stored CA, an RSA one of earlier releases too", async () => {
  const { pems } = rsaSecret();
  const serving = await helperProcessIssuer.issueServingCertificate({ cert: pems.caCert, key: pems.caKey }, names, NOW);
  assert.ok(signedBy(pems.caCert, serving.cert), "signed by the stored CA");
  assert.deepEqual(sans(serving.cert), { dns: SERVICE_NAMES, ips: ["10.1.2.3"] });
  assert.equal(serving.notAfter.getTime(), NOW.getTime() + YEAR);
});

test("a CA key the helper process cannot sign with is an error that says why", async () => {
  const { pems } = rsaSecret();
  await assert.rejects(
    helperProcessIssuer.issueServingCertificate({ cert: pems.caCert, key: "not a key" }, names, NOW),
    /^Error: issuing the webhook certificate failed: .+/,
  );
});
