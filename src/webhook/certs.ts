// Certificates of the webhook server. By default the manager is its own CA:
// the CA and the serving certificate live in one Secret in the manager
// namespace, so every replica serves the same pair and the webhook
// configurations trust one CA. The first replica to start creates the Secret;
// whoever finds the serving certificate close to expiry (or missing a name it
// must serve) renews it, and optimistic concurrency makes one of them win.
// Alternatively certificates are mounted (cert-manager) and only read here.
//
// node-forge builds the X.509 certificates; node:crypto generates the keys and
// computes the RSA signatures (both native and fast), and its X509Certificate
// inspects certificates, since it reads any key type a mounted one may use.
import { constants, createPrivateKey, createPublicKey, generateKeyPairSync, privateEncrypt, randomBytes, X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { isIP } from "node:net";
import path from "node:path";
import forge from "node-forge";
import { isAlreadyExists, isConflict, isInvalid, isNotFound } from "../kube/errors.js";
import { PatchType, resourcePath, type JsonPatchOp, type RawKubeClient } from "../kube/client.js";
import { conversionServiceName } from "../manifests/options.js";
import type { Logger } from "../observability/logger.js";

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

export interface ServingNames {
  dnsNames: string[];
  ipAddresses: string[];
}

const DAY_MS = 24 * 60 * 60 * 1000;
export const CA_VALIDITY_DAYS = 3650;
export const SERVING_VALIDITY_DAYS = 365;
export const DEFAULT_RENEW_BEFORE_MS = 30 * DAY_MS;
// Backdated so a clock slightly behind ours never sees a fresh certificate as not yet valid.
const BACKDATE_MS = 60 * 60 * 1000;

export const SECRET_KEYS = { cert: "tls.crt", key: "tls.key", caCert: "ca.crt", caKey: "ca.key" } as const;

/**
 * The names the serving certificate must carry: the DNS names of the Service
 * and of the conversion Service beside it (manifests/options.ts) and,
 * with `--webhook-host`, that host (an IP SAN for an address, a DNS SAN for a name).
 */
export function servingNames(service: string, namespace: string, host?: string): ServingNames {
  const dnsNames = [service, conversionServiceName(service)].flatMap((s) => [`${s}.${namespace}.svc`, `${s}.${namespace}.svc.cluster.local`, `${s}.${namespace}`]);
  const ipAddresses: string[] = [];
  const h = host?.replace(/^\[(.*)\]$/, "$1");
  if (h) {
    if (isIP(h)) ipAddresses.push(h);
    else if (!dnsNames.includes(h.toLowerCase())) dnsNames.push(h.toLowerCase());
  }
  return { dnsNames, ipAddresses };
}

export interface KeyAndCert {
  cert: string;
  key: string;
  notAfter: Date;
}

/** Supplies a new RSA private key as PEM. Keys are the randomness of this module; tests pass a pool. */
export type KeySource = () => string;

export const generateRsaKey: KeySource = () =>
  generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  }).privateKey;

// DER prefix of a PKCS#1 v1.5 DigestInfo for SHA-256 (RFC 8017 §9.2 note 1).
const SHA256_DIGEST_INFO = Buffer.from("3031300d060960864801650304020105000420", "hex");

/**
 * node-forge's signer interface backed by node:crypto: forge hashes the
 * TBSCertificate, the native RSA operation signs it (forge's pure-JS RSA
 * takes most of a second per signature).
 */
function nativeSigner(keyPem: string): forge.pki.rsa.PrivateKey {
  const key = createPrivateKey(keyPem);
  const sign = (md: forge.md.MessageDigest) => {
    const digest = Buffer.from(md.digest().getBytes(), "binary");
    const encoded = Buffer.concat([SHA256_DIGEST_INFO, digest]);
    return privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, encoded).toString("binary");
  };
  return { sign } as unknown as forge.pki.rsa.PrivateKey;
}

function publicKeyOf(keyPem: string): forge.pki.PublicKey {
  return forge.pki.publicKeyFromPem(createPublicKey(keyPem).export({ type: "spki", format: "pem" }).toString());
}

/** PEM with plain "\n" line ends (forge writes "\r\n"). */
function toPem(cert: forge.pki.Certificate): string {
  return forge.pki.certificateToPem(cert).replace(/\r\n/g, "\n");
}

function newCertificate(publicKey: forge.pki.PublicKey, now: Date, notAfter: Date): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f; // a positive DER integer
  cert.serialNumber = serial.toString("hex");
  cert.validity.notBefore = new Date(now.getTime() - BACKDATE_MS);
  cert.validity.notAfter = notAfter;
  return cert;
}

export interface IssueOptions {
  /** Default: 10 years for a CA, 1 year for a serving certificate. */
  validityDays?: number;
  newKey?: KeySource;
}

export function createCertificateAuthority(now: Date, opts: IssueOptions = {}): KeyAndCert {
  const key = (opts.newKey ?? generateRsaKey)();
  const notAfter = new Date(now.getTime() + (opts.validityDays ?? CA_VALIDITY_DAYS) * DAY_MS);
  const cert = newCertificate(publicKeyOf(key), now, notAfter);
  const subject = [{ name: "commonName", value: `sidecarset-webhook-ca-${Math.floor(now.getTime() / 1000)}` }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: "basicConstraints", cA: true, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: "subjectKeyIdentifier" },
  ]);
  cert.sign(nativeSigner(key), forge.md.sha256.create());
  return { cert: toPem(cert), key, notAfter };
}

/** A serving certificate for `names`, signed by `ca`; it never outlives the CA. */
export function issueServingCertificate(
  ca: { cert: string; key: string },
  names: ServingNames,
  now: Date,
  opts: IssueOptions = {},
): KeyAndCert {
  const caCert = forge.pki.certificateFromPem(firstPem(ca.cert));
  const key = (opts.newKey ?? generateRsaKey)();
  const wanted = now.getTime() + (opts.validityDays ?? SERVING_VALIDITY_DAYS) * DAY_MS;
  const notAfter = new Date(Math.min(wanted, caCert.validity.notAfter.getTime()));
  const cert = newCertificate(publicKeyOf(key), now, notAfter);
  cert.setSubject([{ name: "commonName", value: names.dnsNames[0] ?? names.ipAddresses[0] ?? "sidecarset-webhook" }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: "basicConstraints", cA: false, critical: true },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    { name: "extKeyUsage", serverAuth: true },
    {
      name: "subjectAltName",
      // GeneralName type 2 = dNSName, 7 = iPAddress (RFC 5280)
      altNames: [...names.dnsNames.map((value) => ({ type: 2, value })), ...names.ipAddresses.map((ip) => ({ type: 7, ip }))],
    },
    { name: "subjectKeyIdentifier" },
    { name: "authorityKeyIdentifier", keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(nativeSigner(ca.key), forge.md.sha256.create());
  return { cert: toPem(cert), key, notAfter };
}

/** A new CA and a serving certificate signed by it. */
export function createCertBundle(names: ServingNames, now: Date, newKey: KeySource = generateRsaKey): CertBundle {
  const ca = createCertificateAuthority(now, { newKey });
  const serving = issueServingCertificate(ca, names, now, { newKey });
  return { caCert: ca.cert, caKey: ca.key, cert: serving.cert, key: serving.key, notAfter: serving.notAfter };
}

// ---- inspection ----

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function pemBlocks(text: string): string[] {
  return (text.match(PEM_BLOCK) ?? []).map((b) => `${b}\n`);
}

function firstPem(text: string): string {
  const first = pemBlocks(text)[0];
  if (!first) throw new Error("no PEM certificate found");
  return first;
}

function tryParse(pem: string | undefined): X509Certificate | undefined {
  if (!pem) return undefined;
  try {
    return new X509Certificate(firstPem(pem));
  } catch {
    return undefined;
  }
}

function keyMatches(cert: X509Certificate, keyPem: string | undefined): boolean {
  if (!keyPem) return false;
  try {
    return cert.checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}

function notAfterOf(cert: X509Certificate): Date {
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

/**
 * The bundle to store after `renewal`. A renewed CA keeps the previous one in
 * `caCert` while it is valid, so replicas still serving a certificate signed
 * by it are trusted until they reload; expired CAs are dropped.
 */
export function renewBundle(
  stored: Partial<CertBundle>,
  renewal: Renewal,
  names: ServingNames,
  now: Date,
  newKey: KeySource = generateRsaKey,
): CertBundle {
  if (renewal.renew === "none") {
    const cert = new X509Certificate(firstPem(stored.cert!));
    return { caCert: stored.caCert!, caKey: stored.caKey!, cert: stored.cert!, key: stored.key!, notAfter: notAfterOf(cert) };
  }
  const previous = pemBlocks(stored.caCert ?? "").filter((pem) => {
    const c = tryParse(pem);
    return c !== undefined && notAfterOf(c).getTime() > now.getTime();
  });
  if (renewal.renew === "all") {
    const fresh = createCertBundle(names, now, newKey);
    return { ...fresh, caCert: [fresh.caCert, ...previous.slice(0, 1)].join("") };
  }
  // Unchanged text when nothing expired, so the caBundle stays byte-identical.
  const caCert = previous.length === pemBlocks(stored.caCert ?? "").length ? stored.caCert! : previous.join("");
  const serving = issueServingCertificate({ cert: caCert, key: stored.caKey! }, names, now, { newKey });
  return { caCert, caKey: stored.caKey!, cert: serving.cert, key: serving.key, notAfter: serving.notAfter };
}

// ---- the Secret ----

export type SecretClient = Pick<RawKubeClient, "get" | "create" | "replace">;

export interface EnsureCertificatesOptions {
  client: SecretClient;
  namespace: string;
  secretName: string;
  /** Name of the webhook Service (its DNS names go into the certificate). */
  service: string;
  /** `--webhook-host`: an IP address or host name the API server calls instead of the Service. */
  host?: string;
  now: Date;
  /** Milliseconds before expiry at which a certificate is renewed; default 30 days. */
  renewBefore?: number;
  /** Where new private keys come from; default: fresh 2048-bit RSA keys. */
  newKey?: KeySource;
  logger?: Logger;
}

interface SecretObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name?: string; namespace?: string; resourceVersion?: string; [k: string]: unknown };
  type?: string;
  data?: Record<string, string>;
  [k: string]: unknown;
}

const MAX_ATTEMPTS = 5;

function decoded(data: Record<string, string> | undefined, key: string): string | undefined {
  const v = data?.[key];
  return typeof v === "string" ? Buffer.from(v, "base64").toString("utf8") : undefined;
}

function bundleFromSecret(secret: SecretObject): Partial<CertBundle> {
  return {
    caCert: decoded(secret.data, SECRET_KEYS.caCert),
    caKey: decoded(secret.data, SECRET_KEYS.caKey),
    cert: decoded(secret.data, SECRET_KEYS.cert),
    key: decoded(secret.data, SECRET_KEYS.key),
  };
}

function secretData(b: CertBundle): Record<string, string> {
  const enc = (s: string) => Buffer.from(s, "utf8").toString("base64");
  return {
    [SECRET_KEYS.cert]: enc(b.cert),
    [SECRET_KEYS.key]: enc(b.key),
    [SECRET_KEYS.caCert]: enc(b.caCert),
    [SECRET_KEYS.caKey]: enc(b.caKey),
  };
}

/**
 * Reads the certificate Secret, creating or renewing what is needed, and
 * returns what to serve. Races with other replicas are settled by the API
 * server: a lost create (AlreadyExists) or a stale update (Conflict) re-reads
 * and decides again on what the winner stored.
 */
export async function ensureCertificates(opts: EnsureCertificatesOptions): Promise<CertBundle> {
  const { client, namespace, secretName, now, logger } = opts;
  const newKey = opts.newKey ?? generateRsaKey;
  const names = servingNames(opts.service, namespace, opts.host);
  const renewBefore = opts.renewBefore ?? DEFAULT_RENEW_BEFORE_MS;
  const collection = resourcePath({ group: "", version: "v1", resource: "secrets", namespace });
  const item = resourcePath({ group: "", version: "v1", resource: "secrets", namespace, name: secretName });
  const where = `Secret ${namespace}/${secretName}`;

  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    let secret: SecretObject | undefined;
    try {
      secret = await client.get<SecretObject>(item);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    if (!secret) {
      const bundle = createCertBundle(names, now, newKey);
      const body: SecretObject = {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: secretName, namespace },
        type: "kubernetes.io/tls",
        data: secretData(bundle),
      };
      try {
        await client.create(collection, body);
        logger?.info({ secret: where, notAfter: bundle.notAfter.toISOString() }, "created the webhook CA and serving certificate");
        return bundle;
      } catch (e) {
        if (isAlreadyExists(e)) continue; // another replica created it first: use theirs
        throw e;
      }
    }

    const stored = bundleFromSecret(secret);
    const renewal = renewalNeeded(stored, names, now, renewBefore);
    if (renewal.renew === "none") return renewBundle(stored, renewal, names, now);
    const bundle = renewBundle(stored, renewal, names, now, newKey);
    // Only our four keys change; anything else in the Secret (and its type) stays.
    const body: SecretObject = { ...secret, data: { ...(secret.data ?? {}), ...secretData(bundle) } };
    try {
      await client.replace(item, body);
      logger?.info(
        { secret: where, renewed: renewal.renew === "all" ? "ca-and-serving" : "serving", reason: renewal.reason, notAfter: bundle.notAfter.toISOString() },
        "renewed the webhook certificate",
      );
      return bundle;
    } catch (e) {
      if (isConflict(e)) continue; // another replica renewed it meanwhile
      throw e;
    }
  }
  throw new Error(`${where}: still changing after ${MAX_ATTEMPTS} attempts to read and update it; another writer keeps modifying it`);
}

// ---- caBundle of the webhook configurations ----

export type WebhookConfigClient = Pick<RawKubeClient, "get" | "patch">;

export interface PatchCaBundlesOptions {
  client: WebhookConfigClient;
  mutatingName: string;
  validatingName: string;
  /** The SidecarSet CRD, whose conversion webhook the manager serves too. */
  crdName?: string;
  /** The CA as PEM text, or already base64-encoded as the API field holds it. */
  caBundle: string;
}

export interface CaBundlePatchResult {
  /** Configurations at least one webhook of which got the new caBundle. */
  updated: string[];
  /** Configurations whose webhooks all had it already. */
  unchanged: string[];
  /** Configurations that do not exist (yet). */
  missing: string[];
}

export interface WebhookConfiguration {
  webhooks?: { name?: string; clientConfig?: { caBundle?: string } }[];
}

/** The base64 form the caBundle field holds. */
export function caBundleValue(caBundle: string): string {
  return caBundle.trimStart().startsWith("-----BEGIN") ? Buffer.from(caBundle, "utf8").toString("base64") : caBundle.trim();
}

/** JSON patch setting `value` as the caBundle of every webhook that lacks it; each guarded by a test of the webhook's name. */
export function caBundlePatch(config: WebhookConfiguration, value: string): JsonPatchOp[] {
  const ops: JsonPatchOp[] = [];
  (config.webhooks ?? []).forEach((w, i) => {
    if (w.clientConfig?.caBundle === value) return;
    // The test makes the patch fail (instead of hitting the wrong webhook) if the list changed since it was read.
    if (typeof w.name === "string") ops.push({ op: "test", path: `/webhooks/${i}/name`, value: w.name });
    ops.push(w.clientConfig ? { op: "add", path: `/webhooks/${i}/clientConfig/caBundle`, value } : { op: "add", path: `/webhooks/${i}/clientConfig`, value: { caBundle: value } });
  });
  return ops;
}

export interface ConversionCrd {
  spec?: { conversion?: { strategy?: string; webhook?: { clientConfig?: { caBundle?: string } } } };
}

/**
 * JSON patch setting `value` as the caBundle of a CRD's conversion webhook;
 * none when the CRD converts without a webhook (nothing of ours to trust) or
 * already has it. Guarded by the strategy it was computed for.
 */
export function crdCaBundlePatch(crd: ConversionCrd, value: string): JsonPatchOp[] {
  const conversion = crd.spec?.conversion;
  if (conversion?.strategy !== "Webhook" || !conversion.webhook?.clientConfig) return [];
  if (conversion.webhook.clientConfig.caBundle === value) return [];
  return [
    { op: "test", path: "/spec/conversion/strategy", value: "Webhook" },
    { op: "add", path: "/spec/conversion/webhook/clientConfig/caBundle", value },
  ];
}

/**
 * Writes the CA into every webhook of the two configurations the manager
 * owns, and into the SidecarSet CRD's conversion webhook, where it differs.
 */
export async function patchCaBundles(opts: PatchCaBundlesOptions): Promise<CaBundlePatchResult> {
  const value = caBundleValue(opts.caBundle);
  const result: CaBundlePatchResult = { updated: [], unchanged: [], missing: [] };
  const targets: { name: string; patchOne: () => Promise<keyof CaBundlePatchResult> }[] = [
    {
      name: opts.mutatingName,
      patchOne: () => patchOne(opts.client, webhookConfigurationPath("mutatingwebhookconfigurations", opts.mutatingName), value, caBundlePatch),
    },
    {
      name: opts.validatingName,
      patchOne: () => patchOne(opts.client, webhookConfigurationPath("validatingwebhookconfigurations", opts.validatingName), value, caBundlePatch),
    },
  ];
  if (opts.crdName) {
    const path = resourcePath({ group: "apiextensions.k8s.io", version: "v1", resource: "customresourcedefinitions", name: opts.crdName });
    targets.push({ name: opts.crdName, patchOne: () => patchOne(opts.client, path, value, crdCaBundlePatch) });
  }
  for (const t of targets) result[await t.patchOne()].push(t.name);
  return result;
}

function webhookConfigurationPath(resource: string, name: string): string {
  return resourcePath({ group: "admissionregistration.k8s.io", version: "v1", resource, name });
}

async function patchOne<T>(
  client: WebhookConfigClient,
  p: string,
  value: string,
  patch: (object: T, value: string) => JsonPatchOp[],
): Promise<keyof CaBundlePatchResult> {
  for (let attempt = 1; ; attempt++) {
    let config: T;
    try {
      config = await client.get<T>(p);
    } catch (e) {
      if (isNotFound(e)) return "missing";
      throw e;
    }
    const ops = patch(config, value);
    if (ops.length === 0) return "unchanged";
    try {
      await client.patch(p, ops, PatchType.json);
      return "updated";
    } catch (e) {
      // A failed test (the webhooks changed under us) comes back as 409 or 422: read again.
      if (attempt < MAX_ATTEMPTS && (isConflict(e) || isInvalid(e))) continue;
      if (isNotFound(e)) return "missing";
      throw e;
    }
  }
}

// ---- mounted certificates (cert-manager) ----

export interface MountedCertificates {
  cert: string;
  key: string;
  /** ca.crt when mounted (cert-manager writes it for CA issuers). */
  caCert?: string;
  notAfter: Date;
  certFile: string;
  keyFile: string;
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

/** Reads tls.crt, tls.key and (optionally) ca.crt from `dir`; throws naming the file when one is unusable. */
export async function loadMountedCertificates(dir: string): Promise<MountedCertificates> {
  const certFile = path.join(dir, SECRET_KEYS.cert);
  const keyFile = path.join(dir, SECRET_KEYS.key);
  const caFile = path.join(dir, SECRET_KEYS.caCert);
  const [cert, key, caCert] = await Promise.all([readOptional(certFile), readOptional(keyFile), readOptional(caFile)]);
  if (cert === undefined) throw new Error(`${certFile}: no such file; mount the webhook certificate Secret at ${dir}`);
  if (key === undefined) throw new Error(`${keyFile}: no such file; mount the webhook certificate Secret at ${dir}`);
  const x509 = tryParse(cert);
  if (!x509) throw new Error(`${certFile}: not a PEM certificate`);
  if (!keyMatches(x509, key)) throw new Error(`${keyFile}: not the private key of the certificate in ${certFile}`);
  if (caCert !== undefined && !tryParse(caCert)) throw new Error(`${caFile}: not a PEM certificate`);
  const out: MountedCertificates = { cert, key, notAfter: notAfterOf(x509), certFile, keyFile };
  if (caCert !== undefined) out.caCert = caCert;
  return out;
}
