// Certificates of the webhook server. By default the manager is its own CA:
// the CA and the serving certificate live in one Secret in the manager
// namespace, so every replica serves the same pair and the webhook
// configurations trust one CA. The first replica to start creates the Secret;
// whoever finds the serving certificate close to expiry (or missing a name it
// must serve) renews it, and optimistic concurrency makes one of them win.
// Alternatively certificates are mounted (cert-manager) and only read here.
//
// This module stores and publishes what cert-issue.ts issues and cert-checks.ts
// judges: the Secret, the mounted files, the caBundles.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { isAlreadyExists, isConflict, isInvalid, isNotFound } from "../kube/errors.js";
import { PatchType, type JsonPatchOp, type RawKubeClient } from "../kube/raw-client.js";
import { resourcePath } from "../kube/resource-path.js";
import type { Logger } from "../observability/logger.js";
import { DEFAULT_RENEW_BEFORE_MS, keyMatches, notAfterOf, pemBlocks, renewalNeeded, tryParse, type Renewal } from "./cert-checks.js";
import type { CertBundle } from "./cert-issue.js";
import { inProcessIssuer, type CertIssuer } from "./cert-issuer.js";
import { servingNames, type ServingNames } from "./cert-names.js";


export const SECRET_KEYS = { cert: "tls.crt", key: "tls.key", caCert: "ca.crt", caKey: "ca.key" } as const;

/**
 * The bundle to store after `renewal`. A renewed CA keeps the previous one in
 * `caCert` while it is valid, so replicas still serving a certificate signed
 * by it are trusted until they reload; expired CAs are dropped.
 */
export async function renewBundle(
  stored: Partial<CertBundle>,
  renewal: Renewal,
  names: ServingNames,
  now: Date,
  issuer: CertIssuer = inProcessIssuer,
): Promise<CertBundle> {
  if (renewal.renew === "none") {
    const cert = tryParse(stored.cert)!;
    return { caCert: stored.caCert!, caKey: stored.caKey!, cert: stored.cert!, key: stored.key!, notAfter: notAfterOf(cert) };
  }
  const previous = pemBlocks(stored.caCert ?? "").filter((pem) => {
    const c = tryParse(pem);
    return c !== undefined && notAfterOf(c).getTime() > now.getTime();
  });
  if (renewal.renew === "all") {
    const fresh = await issuer.createCertBundle(names, now);
    return { ...fresh, caCert: [fresh.caCert, ...previous.slice(0, 1)].join("") };
  }
  // Unchanged text when nothing expired, so the caBundle stays byte-identical.
  const caCert = previous.length === pemBlocks(stored.caCert ?? "").length ? stored.caCert! : previous.join("");
  const serving = await issuer.issueServingCertificate({ cert: caCert, key: stored.caKey! }, names, now);
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
  /** Default: in this process (the manager passes its helper process). */
  issuer?: CertIssuer;
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
  const issuer = opts.issuer ?? inProcessIssuer;
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
      const bundle = await issuer.createCertBundle(names, now);
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
    const bundle = await renewBundle(stored, renewal, names, now, issuer);
    if (renewal.renew === "none") return bundle;
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
