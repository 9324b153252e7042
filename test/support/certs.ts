// Certificates for servers the tests run themselves (webhooks the apiserver
// calls over TLS): the manager's own issuance, for 127.0.0.1 and localhost.
// Also the certificates of earlier releases, and how Node reads certificates.
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { createCertBundle } from "../../src/webhook/cert-issue.js";

export interface ServingCertificate {
  certPem: string;
  keyPem: string;
  /** The CA that signed certPem: what a client (e.g. a webhook's caBundle) trusts. */
  caPem: string;
}

/** A new CA and a serving certificate for 127.0.0.1 and localhost, signed by it. */
export async function createLocalServingCertificate(): Promise<ServingCertificate> {
  const bundle = await createCertBundle({ dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] }, new Date());
  return { certPem: bundle.cert, keyPem: bundle.key, caPem: bundle.caCert };
}

/**
 * The DNS names of a serving certificate for Service sidecarset-webhook in
 * sidecarset-system: the webhook Service's, then those of the conversion
 * Service beside it.
 */
export const SERVICE_NAMES = [
  "sidecarset-webhook.sidecarset-system.svc",
  "sidecarset-webhook.sidecarset-system.svc.cluster.local",
  "sidecarset-webhook.sidecarset-system",
  "sidecarset-webhook-conversion.sidecarset-system.svc",
  "sidecarset-webhook-conversion.sidecarset-system.svc.cluster.local",
  "sidecarset-webhook-conversion.sidecarset-system",
];

/** When the Secret in test/fixtures/certs/rsa-secret.json was issued: its CA is valid 10 years from then, its serving certificate 1 year. */
export const RSA_SECRET_ISSUED_AT = new Date("2026-01-02T03:04:05Z");

/**
 * The certificate Secret as releases issuing RSA keys wrote it (2048-bit keys
 * in PKCS#1 PEM, for Service sidecarset-webhook in sidecarset-system), and the
 * PEM texts it holds.
 */
export function rsaSecret(): { secret: Record<string, any>; pems: { cert: string; key: string; caCert: string; caKey: string } } {
  const secret = JSON.parse(readFileSync(new URL("../fixtures/certs/rsa-secret.json", import.meta.url), "utf8")) as Record<string, any>;
  const d = (k: string) => Buffer.from(secret.data[k] as string, "base64").toString("utf8");
  return { secret, pems: { cert: d("tls.crt"), key: d("tls.key"), caCert: d("ca.crt"), caKey: d("ca.key") } };
}

/** The SANs of a PEM certificate as Node reads them. */
export function sans(pem: string): { dns: string[]; ips: string[] } {
  const entries = new X509Certificate(pem).subjectAltName?.split(", ") ?? [];
  const of = (prefix: string) => entries.filter((e) => e.startsWith(prefix)).map((e) => e.slice(prefix.length));
  return { dns: of("DNS:"), ips: of("IP Address:") };
}

/** Whether the first certificate of `caPem` issued and signed `certPem`. */
export function signedBy(caPem: string, certPem: string): boolean {
  const ca = new X509Certificate(caPem);
  const cert = new X509Certificate(certPem);
  return cert.checkIssued(ca) && cert.verify(ca.publicKey);
}
