// `sidecarset manifests`: prints the install manifests (the same builders
// that generate deploy/) as multi-document YAML.
import { Command, InvalidArgumentError } from "commander";
import { DEFAULT_MANAGER_NAMESPACE } from "../api/keys.js";
import {
  DEFAULT_REPLICAS,
  DEFAULT_WEBHOOK_CONTAINER_PORT,
  MANIFEST_PARTS,
  defaultImage,
  defaultParts,
  isManifestPart,
  selectManifests,
  type ManifestOptions,
  type ManifestPart,
} from "../manifests/index.js";
import { port, wholeNumber } from "./arguments.js";
import { InputError, readErrorMessage, readText } from "./documents.js";
import { outputOption } from "./flags.js";
import { formatObjects, OBJECT_FORMATS, reportingInputErrors, type ObjectFormat, type Output } from "./output.js";

export interface ManifestsFlags {
  namespace?: string;
  image?: string;
  replicas?: number;
  webhookHost?: string;
  webhookPort?: number;
  caBundleFile?: string;
  only?: ManifestPart[];
  output?: ObjectFormat;
}

const EXAMPLES = `
Examples:
  # Install into a cluster
  sidecarset manifests | kubectl apply -f -

  # Only the CRD
  sidecarset manifests --only crd

  # The alerting rules, where the Prometheus Operator is installed (not printed unless asked for)
  sidecarset manifests --only alerts | kubectl apply -f -

  # The Grafana dashboard, as a ConfigMap Grafana's dashboard sidecar loads (not printed unless asked for)
  sidecarset manifests --only dashboard -n monitoring | kubectl apply -f -

  # A manager running outside the cluster on this machine (no Deployment or Service)
  sidecarset manifests --webhook-host 192.168.1.10 --webhook-port 9443 --ca-bundle-file ca.crt | kubectl apply -f -`;

export function manifestsCommand(out: Output = process.stdout, err: Output = process.stderr): Command {
  return new Command("manifests")
    .description(
      "Print the Kubernetes manifests that install the manager: CRD, Namespace, RBAC, Deployment, " +
        "Service and the admission webhook configurations, in apply order.",
    )
    .option(
      "-n, --namespace <namespace>",
      `namespace of the manager (default ${DEFAULT_MANAGER_NAMESPACE}); of the dashboard's ConfigMap with --only dashboard (Grafana's)`,
    )
    .option("--image <image>", `manager container image (default ${defaultImage()})`)
    .option("--replicas <n>", `manager replicas (default ${DEFAULT_REPLICAS})`, wholeNumber(1))
    .option(
      "--webhook-host <host>",
      "point the webhook configurations at https://HOST:PORT/... (a manager running outside the cluster); " +
        "the Deployment and Service are then left out unless --only asks for them",
    )
    .option("--webhook-port <port>", `webhook server port (default ${DEFAULT_WEBHOOK_CONTAINER_PORT})`, port({ zeroPicksFree: false }))
    .option(
      "--ca-bundle-file <file>",
      "PEM CA certificate written into the webhook configurations' caBundle (default: the manager writes it)",
    )
    .option(
      "--only <parts>",
      `comma-separated parts to print: ${MANIFEST_PARTS.join(", ")} (alerts: a Prometheus Operator PrometheusRule; ` +
        "dashboard: a ConfigMap with a Grafana dashboard, labelled grafana_dashboard=1; both printed only when asked for)",
      parseParts,
    )
    .addOption(outputOption(OBJECT_FORMATS))
    .addHelpText("after", EXAMPLES)
    .action(
      reportingInputErrors({ out, err }, (flags: ManifestsFlags) => {
        out.write(renderManifests(flags));
      }),
    );
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
  return formatObjects(selectManifests(parts, options), flags.output ?? "yaml");
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
    text = readText(file);
  } catch (e) {
    throw new InputError(`--ca-bundle-file ${readErrorMessage(e)}`);
  }
  return caBundleFromText(text, file);
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
