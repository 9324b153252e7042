// `sidecarset manifests`: prints the install manifests (the same builders
// that generate deploy/) as multi-document YAML.
import { Command, InvalidArgumentError } from "commander";
import { readFileSync } from "node:fs";
import { DEFAULT_MANAGER_NAMESPACE } from "../api/keys.js";
import {
  DEFAULT_REPLICAS,
  DEFAULT_WEBHOOK_CONTAINER_PORT,
  MANIFEST_PARTS,
  defaultImage,
  defaultParts,
  isManifestPart,
  selectManifests,
  toYaml,
  type ManifestOptions,
  type ManifestPart,
} from "../manifests/index.js";

export interface ManifestsFlags {
  namespace?: string;
  image?: string;
  replicas?: number;
  webhookHost?: string;
  webhookPort?: number;
  caBundleFile?: string;
  only?: ManifestPart[];
}

export interface Output {
  write(text: string): unknown;
}

const EXAMPLES = `
Examples:
  # Install into a cluster
  sidecarset manifests | kubectl apply -f -

  # Only the CRD
  sidecarset manifests --only crd

  # A manager running outside the cluster on this machine (no Deployment or Service)
  sidecarset manifests --webhook-host 192.168.1.10 --webhook-port 9443 --ca-bundle-file ca.crt | kubectl apply -f -`;

export function manifestsCommand(out: Output = process.stdout): Command {
  return new Command("manifests")
    .description(
      "Print the Kubernetes manifests that install the manager: CRD, Namespace, RBAC, Deployment, " +
        "Service and the admission webhook configurations, in apply order.",
    )
    .option("-n, --namespace <namespace>", `namespace of the manager (default ${DEFAULT_MANAGER_NAMESPACE})`)
    .option("--image <image>", `manager container image (default ${defaultImage()})`)
    .option("--replicas <n>", `manager replicas (default ${DEFAULT_REPLICAS})`, parsePositiveInteger)
    .option(
      "--webhook-host <host>",
      "point the webhook configurations at https://HOST:PORT/... (a manager running outside the cluster); " +
        "the Deployment and Service are then left out unless --only asks for them",
    )
    .option("--webhook-port <port>", `webhook server port (default ${DEFAULT_WEBHOOK_CONTAINER_PORT})`, parsePort)
    .option(
      "--ca-bundle-file <file>",
      "PEM CA certificate written into the webhook configurations' caBundle (default: the manager writes it)",
    )
    .option("--only <parts>", `comma-separated parts to print: ${MANIFEST_PARTS.join(", ")}`, parseParts)
    .addHelpText("after", EXAMPLES)
    .action((flags: ManifestsFlags) => {
      out.write(renderManifests(flags));
    });
}

/** The YAML the command prints for these flags. */
export function renderManifests(flags: ManifestsFlags): string {
  const options: ManifestOptions = {};
  if (flags.namespace !== undefined) options.namespace = flags.namespace;
  if (flags.image !== undefined) options.image = flags.image;
  if (flags.replicas !== undefined) options.replicas = flags.replicas;
  if (flags.webhookHost !== undefined) options.webhookHost = flags.webhookHost;
  if (flags.webhookPort !== undefined) options.webhookPort = flags.webhookPort;
  if (flags.caBundleFile !== undefined) options.caBundle = readCaBundle(flags.caBundleFile);
  const parts = flags.only ?? defaultParts(options);
  return toYaml(selectManifests(parts, options));
}

/** A PEM file is base64-encoded as the caBundle field wants; an already encoded file is taken as is. */
export function caBundleFromText(text: string, file: string): string {
  const pemLike = (s: string) => s.includes("-----BEGIN CERTIFICATE-----");
  if (pemLike(text)) return Buffer.from(text, "utf8").toString("base64");
  const compact = text.replace(/\s+/g, "");
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(compact) && pemLike(Buffer.from(compact, "base64").toString("utf8"))) {
    return compact;
  }
  throw new Error(
    `--ca-bundle-file ${file}: no PEM certificate found; ` +
      `give a file with "-----BEGIN CERTIFICATE-----" or its base64 encoding`,
  );
}

function readCaBundle(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(`--ca-bundle-file ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return caBundleFromText(text, file);
}

function parsePositiveInteger(value: string): number {
  if (!/^[0-9]+$/.test(value) || Number(value) < 1) {
    throw new InvalidArgumentError(`"${value}" is not a whole number of at least 1.`);
  }
  return Number(value);
}

function parsePort(value: string): number {
  if (!/^[0-9]+$/.test(value) || Number(value) < 1 || Number(value) > 65535) {
    throw new InvalidArgumentError(`"${value}" is not a port number between 1 and 65535.`);
  }
  return Number(value);
}

function parseParts(value: string): ManifestPart[] {
  const parts = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const unknown = parts.filter((p) => !isManifestPart(p));
  if (parts.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(
      `"${value}" is not a list of parts; allowed: ${MANIFEST_PARTS.join(", ")} (comma-separated).`,
    );
  }
  return parts.filter(isManifestPart);
}
