import assert from "node:assert/strict";
import { test } from "node:test";
import { renewalNeeded } from "../../../src/webhook/cert-checks.js";
import { createCertBundle, createCertificateAuthority, issueServingCertificate, servingNames } from "../../../src/webhook/cert-issue.js";
import { RSA_SECRET_ISSUED_AT, rsaSecret } from "../../support/certs.js";

const DAY = 24 * 60 * 60 * 1000;
const NOW = new Date("2026-01-02T03:04:05Z");
const WINDOW = 30 * DAY;

test("renewal: none for a fresh bundle; serving when near expiry, lacking a name, or signed by another CA; all when the CA is unusable or expiring", async () => {
  const names = servingNames("s", "n");
  const b = await createCertBundle(names, NOW);
  assert.deepEqual(renewalNeeded(b, names, NOW, WINDOW), { renew: "none" });
  assert.equal(renewalNeeded(b, names, new Date(NOW.getTime() + 340 * DAY), WINDOW).renew, "serving");
  assert.equal(renewalNeeded(b, names, new Date(NOW.getTime() + 300 * DAY), WINDOW).renew, "none");
  assert.equal(renewalNeeded(b, servingNames("s", "n", "10.0.0.9"), NOW, WINDOW).renew, "serving");
  const foreign = await issueServingCertificate(await createCertificateAuthority(NOW), names, NOW);
  assert.equal(renewalNeeded({ ...b, cert: foreign.cert, key: foreign.key }, names, NOW, WINDOW).renew, "serving");
  assert.equal(renewalNeeded({ ...b, key: foreign.key }, names, NOW, WINDOW).renew, "serving");
  assert.equal(renewalNeeded({ ...b, cert: undefined }, names, NOW, WINDOW).renew, "serving");
  assert.equal(renewalNeeded({ ...b, caKey: "junk" }, names, NOW, WINDOW).renew, "all");
  assert.equal(renewalNeeded({ ...b, caCert: undefined }, names, NOW, WINDOW).renew, "all");
  assert.equal(renewalNeeded({ ...b, caCert: b.cert }, names, NOW, WINDOW).renew, "all", "a leaf certificate is no CA");
  assert.equal(renewalNeeded(b, names, new Date(NOW.getTime() + 3640 * DAY), WINDOW).renew, "all");
});

test("renewal of the RSA certificates of earlier releases: none while valid, then on the same schedule as new ones", () => {
  const { pems } = rsaSecret();
  const names = servingNames("sidecarset-webhook", "sidecarset-system");
  const at = (days: number) => new Date(RSA_SECRET_ISSUED_AT.getTime() + days * DAY);
  assert.deepEqual(renewalNeeded(pems, names, at(300), WINDOW), { renew: "none" });
  assert.equal(renewalNeeded(pems, names, at(340), WINDOW).renew, "serving");
  assert.equal(renewalNeeded(pems, names, at(3640), WINDOW).renew, "all");
  assert.equal(renewalNeeded(pems, servingNames("sidecarset-webhook", "sidecarset-system", "10.0.0.9"), at(1), WINDOW).renew, "serving");
});
