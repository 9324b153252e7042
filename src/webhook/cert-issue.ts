// Issuing the webhook's certificates: a CA, and serving certificates it signs.
// New keys are ECDSA P-256 signed with SHA-256. Key generation and signing go
// through WebCrypto, whose work runs on libuv's thread pool: the event loop,
// which also runs leader election and the controller, only does the encoding.
// A CA stored by earlier releases has an RSA key; it keeps signing (PKCS#1
// v1.5, SHA-256) until it is renewed, and is then replaced by a P-256 one.
import { createPrivateKey, webcrypto } from "node:crypto";
import { firstPem } from "./cert-checks.js";
import type { ServingNames } from "./cert-names.js";
import { x509 } from "./x509.js";

export { servingNames, type ServingNames } from "./cert-names.js";

export interface CertBundle {
  /** PEM of the signing CA, possibly followed by the previous CA while it is still valid (what caBundle trusts). */
  caCert: string;
  caKey: string;
  /** PEM of the serving certificate. */
  cert: string;
  key: string;
  /** Expiry of the serving certificate. */
  notAfter: Date;
}

export interface KeyAndCert {
  cert: string;
  /** PKCS#8 PEM. */
  key: string;
  notAfter: Date;
}

export interface IssueOptions {
  /** Default: 10 years for a CA, 1 year for a serving certificate. */
  validityDays?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
export const CA_VALIDITY_DAYS = 3650;
export const SERVING_VALIDITY_DAYS = 365;
// Backdated so a clock slightly behind ours never sees a fresh certificate as not yet valid.
const BACKDATE_MS = 60 * 60 * 1000;

const KEY_ALGORITHM: webcrypto.EcKeyGenParams = { name: "ECDSA", namedCurve: "P-256" };
const SIGNING: webcrypto.EcdsaParams = { name: "ECDSA", hash: "SHA-256" };
// Node's names of the curves WebCrypto can import.
const WEBCRYPTO_CURVES: Record<string, string> = { prime256v1: "P-256", secp384r1: "P-384", secp521r1: "P-521" };

async function newKeyPair(): Promise<{ keys: webcrypto.CryptoKeyPair; pem: string }> {
  const keys = await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ["sign", "verify"]);
  const der = await webcrypto.subtle.exportKey("pkcs8", keys.privateKey);
  return { keys, pem: `${x509.PemConverter.encode(der, "PRIVATE KEY")}\n` };
}

/** A stored CA key (PKCS#1 or PKCS#8 PEM, RSA or EC) as WebCrypto signs with it. */
async function signingKey(pem: string): Promise<webcrypto.CryptoKey> {
  const key = createPrivateKey(pem);
  const curve = WEBCRYPTO_CURVES[key.asymmetricKeyDetails?.namedCurve ?? ""];
  let algorithm: webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams;
  if (key.asymmetricKeyType === "rsa") algorithm = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  else if (key.asymmetricKeyType === "ec" && curve) algorithm = { name: "ECDSA", namedCurve: curve };
  else {
    const kind = [key.asymmetricKeyType, key.asymmetricKeyDetails?.namedCurve].filter(Boolean).join(" ");
    throw new Error(`the CA key is ${kind}; only RSA and NIST P-curve CA keys can sign`);
  }
  return webcrypto.subtle.importKey("pkcs8", key.export({ type: "pkcs8", format: "der" }), algorithm, false, ["sign"]);
}

function toPem(cert: x509.X509Certificate): string {
  return `${cert.toString("pem")}\n`;
}

function validity(now: Date, days: number): { notBefore: Date; notAfter: Date } {
  return { notBefore: new Date(now.getTime() - BACKDATE_MS), notAfter: new Date(now.getTime() + days * DAY_MS) };
}

export async function createCertificateAuthority(now: Date, opts: IssueOptions = {}): Promise<KeyAndCert> {
  const { keys, pem } = await newKeyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: [{ CN: [`sidecarset-webhook-ca-${Math.floor(now.getTime() / 1000)}`] }],
    keys,
    ...validity(now, opts.validityDays ?? CA_VALIDITY_DAYS),
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: toPem(cert), key: pem, notAfter: cert.notAfter };
}

/** A serving certificate for `names`, signed by `ca` (the first certificate of `ca.cert`); it never outlives the CA. */
export async function issueServingCertificate(ca: { cert: string; key: string }, names: ServingNames, now: Date, opts: IssueOptions = {}): Promise<KeyAndCert> {
  const caCert = new x509.X509Certificate(firstPem(ca.cert));
  const [{ keys, pem }, signer] = await Promise.all([newKeyPair(), signingKey(ca.key)]);
  const { notBefore, notAfter: wanted } = validity(now, opts.validityDays ?? SERVING_VALIDITY_DAYS);
  // The CA's own identifier, whichever way its issuer computed it, so clients match the two.
  const caKeyId = caCert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  const cert = await x509.X509CertificateGenerator.create({
    subject: [{ CN: [names.dnsNames[0] ?? names.ipAddresses[0] ?? "sidecarset-webhook"] }],
    // The CA's subject as it encoded it: clients match issuer and subject byte for byte.
    issuer: caCert.subjectName,
    publicKey: keys.publicKey,
    signingKey: signer,
    notBefore,
    notAfter: new Date(Math.min(wanted.getTime(), caCert.notAfter.getTime())),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      // An EC key signs the handshake and encrypts no keys: keyEncipherment is an RSA usage.
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...names.dnsNames.map((value) => ({ type: "dns" as const, value })),
        ...names.ipAddresses.map((value) => ({ type: "ip" as const, value })),
      ]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      caKeyId ? new x509.AuthorityKeyIdentifierExtension(caKeyId) : await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
    ],
  });
  return { cert: toPem(cert), key: pem, notAfter: cert.notAfter };
}

/** A new CA and a serving certificate signed by it. */
export async function createCertBundle(names: ServingNames, now: Date): Promise<CertBundle> {
  const ca = await createCertificateAuthority(now);
  const serving = await issueServingCertificate(ca, names, now);
  return { caCert: ca.cert, caKey: ca.key, cert: serving.cert, key: serving.key, notAfter: serving.notAfter };
}
