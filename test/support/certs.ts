// Certificates for servers the tests run themselves (webhooks the apiserver
// calls over TLS): a throw-away CA and a serving certificate signed by it.
// Keys come from Node's crypto (fast, native); node-forge builds and signs the
// X.509 certificates.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import forge from "node-forge";

export interface KeyPairPem {
  privateKeyPem: string;
  publicKeyPem: string;
}

export interface CertificateAuthority {
  certPem: string;
  keyPem: string;
}

export interface ServingCertificate {
  certPem: string;
  keyPem: string;
  /** The CA that signed certPem: what a client (e.g. a webhook's caBundle) trusts. */
  caPem: string;
}

export interface ServingCertificateOptions {
  commonName?: string;
  /** IP SANs; defaults to 127.0.0.1, the address test servers listen on. */
  ipAddresses?: string[];
  dnsNames?: string[];
  validDays?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
// Backdated so a small clock difference between processes never makes a fresh
// certificate "not yet valid".
const BACKDATE_MS = 60 * 60 * 1000;

export function generateRsaKeyPair(bits = 2048): KeyPairPem {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: bits,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

function newCertificate(publicKey: forge.pki.PublicKey, validDays: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  // A positive serial: the top bit cleared keeps the DER integer unsigned.
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  cert.serialNumber = serial.toString("hex");
  const now = Date.now();
  cert.validity.notBefore = new Date(now - BACKDATE_MS);
  cert.validity.notAfter = new Date(now + validDays * DAY_MS);
  return cert;
}

function forgeKeys(pair: KeyPairPem): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey } {
  const privateKey = forge.pki.privateKeyFromPem(pair.privateKeyPem) as forge.pki.rsa.PrivateKey;
  const publicKey = forge.pki.setRsaPublicKey(privateKey.n, privateKey.e);
  return { privateKey, publicKey };
}

export function createCertificateAuthority(opts: { commonName?: string; validDays?: number } = {}): CertificateAuthority {
  const pair = generateRsaKeyPair();
  const { privateKey, publicKey } = forgeKeys(pair);
  const cert = newCertificate(publicKey, opts.validDays ?? 7);
  const subject = [{ name: "commonName", value: opts.commonName ?? "sidecarset-test-ca" }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: "basicConstraints", cA: true, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: "subjectKeyIdentifier" },
  ]);
  cert.sign(privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: pair.privateKeyPem };
}

export function createServingCertificate(
  ca: CertificateAuthority,
  opts: ServingCertificateOptions = {},
): ServingCertificate {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem);
  const pair = generateRsaKeyPair();
  const { publicKey } = forgeKeys(pair);
  const cert = newCertificate(publicKey, opts.validDays ?? 7);
  const ipAddresses = opts.ipAddresses ?? ["127.0.0.1"];
  const dnsNames = opts.dnsNames ?? ["localhost"];
  cert.setSubject([{ name: "commonName", value: opts.commonName ?? dnsNames[0] ?? ipAddresses[0] ?? "localhost" }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: "basicConstraints", cA: false, critical: true },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    { name: "extKeyUsage", serverAuth: true },
    {
      name: "subjectAltName",
      // type 2 = dNSName, type 7 = iPAddress (RFC 5280 GeneralName)
      altNames: [...dnsNames.map((value) => ({ type: 2, value })), ...ipAddresses.map((ip) => ({ type: 7, ip }))],
    },
    { name: "subjectKeyIdentifier" },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: pair.privateKeyPem, caPem: ca.certPem };
}

/** A CA and a serving certificate for 127.0.0.1 in one call: the common case for a test webhook. */
export function createLocalServingCertificate(opts: ServingCertificateOptions = {}): ServingCertificate {
  return createServingCertificate(createCertificateAuthority(), opts);
}
