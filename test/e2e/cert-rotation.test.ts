// The serving certificate rotated under load, the way cert-manager does it
// (`--cert-mode files`): a short-lived certificate on disk is replaced by the
// next one while pods are being created, the manager starts serving the new one
// by itself, and no admission fails or goes without its sidecars meanwhile.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { connect } from "node:tls";
import { MUTATE_POD_WEBHOOK } from "../../src/manifests/webhook.js";
import { MUTATING_WEBHOOK_CONFIGURATION_NAME } from "../../src/manifests/options.js";
import { createCertificateAuthority, issueServingCertificate } from "../../src/webhook/cert-issue.js";
import { applyYaml, MANAGER_NAMESPACE, useEnvironment, waitFor } from "../support/environment.js";
import { createNamespace, rawRequest } from "../support/kube.js";
import { parseMetrics, scrapeMetrics } from "../support/prometheus-text.js";
import { sidecarSetManifest } from "../support/rollout.js";

const env = useEnvironment();
const NAMES = { dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] };
/** Ten minutes: short enough that a real deployment would rotate it often. */
const VALIDITY_DAYS = 10 / (24 * 60);

/** The fingerprint of the certificate a TLS server on 127.0.0.1:`port` presents. */
function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => {
      const fingerprint = socket.getPeerX509Certificate()?.fingerprint256 ?? "";
      socket.end();
      resolve(fingerprint);
    });
    socket.on("error", reject);
  });
}

/** The serial number and expiry (seconds since the epoch) of a PEM certificate. */
function expiryOf(pem: string): [string, number] {
  const x509 = new X509Certificate(pem);
  return [x509.serialNumber, Date.parse(x509.validTo) / 1000];
}

/** What a replica's sidecarset_webhook_certificate_expiration_timestamp_seconds says: the one series' serial number and value. */
async function presentedExpiry(metricsPort: number): Promise<[string, number]> {
  const series = parseMetrics(await scrapeMetrics(metricsPort), "sidecarset_webhook_certificate_expiration_timestamp_seconds");
  assert.equal(series.length, 1, "one certificate is presented");
  return [series[0]!.labels.serial_number!, series[0]!.value];
}

test("a short-lived serving certificate replaced on disk is served within seconds, and no admission fails meanwhile", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "sidecarset-certs-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ca = await createCertificateAuthority(new Date());
  const write = (pair: { cert: string; key: string }) => {
    writeFileSync(join(dir, "tls.key"), pair.key);
    writeFileSync(join(dir, "tls.crt"), pair.cert);
  };
  const first = await issueServingCertificate(ca, NAMES, new Date(), { validityDays: VALIDITY_DAYS });
  write(first);

  // A replica that only serves webhooks: another holder keeps the Lease, so it runs no controller.
  const now = new Date().toISOString().replace("Z", "000Z");
  await applyYaml(
    env().clients,
    JSON.stringify({
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: "sidecarset-manager", namespace: MANAGER_NAMESPACE },
      spec: { holderIdentity: "someone-else", leaseDurationSeconds: 3600, acquireTime: now, renewTime: now },
    }),
  );
  const replica = await env().startReplica(["--leader-elect", "--cert-mode", "files", "--cert-dir", dir]);
  t.after(() => replica.stop());
  assert.equal(await servedFingerprint(replica.webhookPort), new X509Certificate(first.cert).fingerprint256);
  assert.deepEqual(await presentedExpiry(replica.metricsPort), expiryOf(first.cert), "the metric names the served certificate");

  // What cert-manager's CA injector does: the pod webhook trusts the CA and calls the replica.
  const path = `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${MUTATING_WEBHOOK_CONFIGURATION_NAME}`;
  const config = await rawRequest<{ webhooks: { name: string; clientConfig: { url?: string; caBundle?: string } }[] }>(env().clients.kc, "GET", path);
  for (const w of config.webhooks) {
    if (w.name !== MUTATE_POD_WEBHOOK) continue;
    w.clientConfig.url = `https://127.0.0.1:${replica.webhookPort}/mutate-pod`;
    w.clientConfig.caBundle = Buffer.from(ca.cert).toString("base64");
  }
  await rawRequest(env().clients.kc, "PUT", path, config);

  const ns = "rotation";
  await createNamespace(env().clients, ns);
  await applyYaml(env().clients, sidecarSetManifest(ns, { namespace: ns, image: "registry.local/agent:1" }));
  await new Promise((r) => setTimeout(r, 2_000)); // the SidecarSet reaches the replica's cache

  let created = 0;
  const failures: string[] = [];
  const withoutSidecar: string[] = [];
  let stop = false;
  const creating = (async () => {
    while (!stop) {
      const name = `p-${created++}`;
      try {
        const pod = await rawRequest<{ spec: { containers: { name: string }[] } }>(env().clients.kc, "POST", `/api/v1/namespaces/${ns}/pods`, {
          metadata: { name, labels: { app: ns } },
          spec: { terminationGracePeriodSeconds: 1, containers: [{ name: "app", image: "registry.local/app:1" }] },
        });
        if (!pod.spec.containers.some((c) => c.name === "agent")) withoutSidecar.push(name);
      } catch (e) {
        failures.push(`${name}: ${String(e).slice(0, 300)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();

  try {
    await waitFor("admissions through the first certificate", () => created >= 10);
    // Valid twice as long, so that its expiry differs from the first's.
    const next = await issueServingCertificate(ca, NAMES, new Date(), { validityDays: 2 * VALIDITY_DAYS });
    write(next);
    const wanted = new X509Certificate(next.cert).fingerprint256;
    await waitFor("the replica to serve the new certificate", async () => (await servedFingerprint(replica.webhookPort)) === wanted, { timeoutMs: 30_000, intervalMs: 200 });
    assert.deepEqual(await presentedExpiry(replica.metricsPort), expiryOf(next.cert), "the metric follows the replaced files");
    const rotatedAt = created;
    await waitFor("admissions through the new certificate", () => created >= rotatedAt + 10);
  } finally {
    stop = true;
    await creating;
  }
  t.diagnostic(`${created} pods created across the rotation`);
  assert.deepEqual(failures, [], "no admission failed");
  assert.deepEqual(withoutSidecar, [], "every pod got its sidecar");
});
