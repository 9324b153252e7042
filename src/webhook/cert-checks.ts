// Reading stored certificates and deciding what must be renewed. node:crypto's
// X509Certificate does the reading: it takes any key type, so the RSA
// certificates of earlier releases and mounted ones from cert-manager are
// judged the same way as the P-256 ones issued now.
import { createPrivateKey, X509Certificate } from "node:crypto";
import type { CertBundle } from "./cert-issue.js";
import type { ServingNames } from "./cert-names.js";

const DAY_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_RENEW_BEFORE_MS = 30 * DAY_MS;

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export function pemBlocks(text: string): string[] {
  return (text.match(PEM_BLOCK) ?? []).map((b) => `${b}\n`);
}

export function firstPem(text: string): string {
  const first = pemBlocks(text)[0];
  if (!first) throw new Error("no PEM certificate found");
  return first;
}

/** The first certificate of `pem`, or undefined when there is none or it does not parse. */
export function tryParse(pem: string | undefined): X509Certificate | undefined {
  if (!pem) return undefined;
  try {
    return new X509Certificate(firstPem(pem));
  } catch {
    return undefined;
  }
}

export function keyMatches(cert: X509Certificate, keyPem: string | undefined): boolean {
  if (!keyPem) return false;
  try {
    return cert.checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}

export function notAfterOf(cert: X509Certificate): Date {
  return new Date(cert.validTo);
}

/** Names of `names` the certificate does not serve (subject CN ignored, as Go's TLS client does). */
export function missingNames(cert: X509Certificate, names: ServingNames): string[] {
  const missing = names.dnsNames.filter((n) => cert.checkHost(n, { subject: "never", wildcards: false }) === undefined);
  missing.push(...names.ipAddresses.filter((ip) => cert.checkIP(ip) === undefined));
  return missing;
}

export type Renewal = { renew: "none" } | { renew: "serving" | "all"; reason: string };

/**
 * What must be regenerated in `stored` (possibly partial or junk, as read from
 * a Secret): everything when the CA is unusable or expires within
 * `renewBeforeMs`; the serving certificate when it is unusable, not signed by
 * the CA, expiring within `renewBeforeMs`, or lacks a needed name.
 */
export function renewalNeeded(stored: Partial<CertBundle>, names: ServingNames, now: Date, renewBeforeMs: number): Renewal {
  const ca = tryParse(stored.caCert);
  if (!ca || !ca.ca) return { renew: "all", reason: "no usable CA certificate" };
  if (!keyMatches(ca, stored.caKey)) return { renew: "all", reason: "the CA key is missing or does not match the CA certificate" };
  const caExpiry = notAfterOf(ca);
  if (caExpiry.getTime() - now.getTime() <= renewBeforeMs) return { renew: "all", reason: `the CA expires at ${caExpiry.toISOString()}` };

  const cert = tryParse(stored.cert);
  if (!cert) return { renew: "serving", reason: "no usable serving certificate" };
  if (!keyMatches(cert, stored.key)) return { renew: "serving", reason: "the serving key is missing or does not match the certificate" };
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return { renew: "serving", reason: "the serving certificate is not signed by the CA" };
  const expiry = notAfterOf(cert);
  if (expiry.getTime() - now.getTime() <= renewBeforeMs) {
    return { renew: "serving", reason: `the serving certificate expires at ${expiry.toISOString()}` };
  }
  const missing = missingNames(cert, names);
  if (missing.length > 0) return { renew: "serving", reason: `the serving certificate lacks ${missing.join(", ")}` };
  return { renew: "none" };
}
