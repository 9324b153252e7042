// What stands between a cluster and this manager, read from the objects that
// decide it: another SidecarSet manager's webhook configurations (they would
// keep admitting and injecting next to ours; a pod webhook that fails closed
// blocks every pod once that manager is gone) and a SidecarSet CRD whose
// conversion calls someone else, or an earlier CRD without v1beta1. Each
// finding says what to do (docs/migration.md walks through it).
import { GROUP, PLURAL } from "../api/types.js";
import { V1BETA1 } from "../api/v1beta1/types.js";
import { crdConversion } from "./crd.js";
import { MUTATING_WEBHOOK_CONFIGURATION_NAME, VALIDATING_WEBHOOK_CONFIGURATION_NAME, type ManifestOptions } from "./options.js";

interface ClientConfig {
  url?: string;
  service?: { name?: string; namespace?: string; path?: string; port?: number };
}

export interface WebhookConfigurationObject {
  kind: "MutatingWebhookConfiguration" | "ValidatingWebhookConfiguration";
  metadata?: { name?: string };
  webhooks?: {
    name?: string;
    failurePolicy?: string;
    clientConfig?: ClientConfig;
    rules?: { apiGroups?: string[]; resources?: string[]; operations?: string[] }[];
  }[];
}

export interface CrdObject {
  spec?: {
    versions?: { name?: string; served?: boolean; storage?: boolean }[];
    conversion?: { strategy?: string; webhook?: { clientConfig?: ClientConfig } };
  };
}

export interface PreflightFinding {
  /** "MutatingWebhookConfiguration kruise-mutating-webhook-configuration", "CustomResourceDefinition sidecarsets.apps.kruise.io". */
  subject: string;
  problem: string;
  fix: string;
}

const OURS = new Set([MUTATING_WEBHOOK_CONFIGURATION_NAME, VALIDATING_WEBHOOK_CONFIGURATION_NAME]);
const APPLY_CRD = "apply this release's CRD (sidecarset manifests --only crd | kubectl apply -f -), then install or restart the manager, which writes its CA into the CRD";

export function preflightFindings(
  input: { webhookConfigurations: readonly WebhookConfigurationObject[]; crd: CrdObject | undefined },
  options: ManifestOptions = {},
): PreflightFinding[] {
  const findings = input.webhookConfigurations.flatMap(otherSidecarSetWebhooks);
  const crd = crdFinding(input.crd, options);
  return crd ? [...findings, crd] : findings;
}

function covers(list: string[] | undefined, value: string): boolean {
  return (list ?? []).some((v) => v === "*" || v === value);
}

function otherSidecarSetWebhooks(config: WebhookConfigurationObject): PreflightFinding[] {
  const name = config.metadata?.name ?? "";
  if (OURS.has(name)) return [];
  const webhooks = config.webhooks ?? [];
  const forSidecarSets = webhooks.filter((w) => (w.rules ?? []).some((r) => covers(r.apiGroups, GROUP) && (covers(r.resources, PLURAL) || covers(r.resources, `${PLURAL}/*`))));
  if (forSidecarSets.length === 0) return [];
  const closedPodHooks = webhooks.filter(
    (w) => (w.failurePolicy ?? "Fail") === "Fail" && (w.rules ?? []).some((r) => covers(r.apiGroups, "") && covers(r.resources, "pods") && covers(r.operations, "CREATE")),
  );
  let problem = `${names(forSidecarSets)} ${verb(forSidecarSets, "admits", "admit")} SidecarSets for another manager (at ${target(forSidecarSets[0]!.clientConfig)})`;
  if (closedPodHooks.length > 0) {
    problem += `; ${names(closedPodHooks)} ${verb(closedPodHooks, "fails", "fail")} closed for every new pod once that manager is gone`;
  }
  return [
    {
      subject: `${config.kind} ${name}`,
      problem,
      fix: `remove that manager and kubectl delete ${config.kind.toLowerCase()} ${name}`,
    },
  ];
}

function names(webhooks: { name?: string }[]): string {
  const list = webhooks.map((w) => w.name ?? "");
  return list.length === 1 ? `webhook ${list[0]}` : `webhooks ${list.join(", ")}`;
}

function verb(list: readonly unknown[], one: string, many: string): string {
  return list.length === 1 ? one : many;
}

function target(c: ClientConfig | undefined): string {
  if (c?.url) return c.url;
  const s = c?.service;
  return s ? `service ${s.namespace ?? ""}/${s.name ?? ""}${s.path ?? ""}` : "no address";
}

function sameTarget(a: ClientConfig | undefined, b: ClientConfig | undefined): boolean {
  if (a?.url !== undefined || b?.url !== undefined) return a?.url === b?.url;
  const [x, y] = [a?.service, b?.service];
  return x?.name === y?.name && x?.namespace === y?.namespace && (x?.path ?? "/") === (y?.path ?? "/") && (x?.port ?? 443) === (y?.port ?? 443);
}

function crdFinding(crd: CrdObject | undefined, options: ManifestOptions): PreflightFinding | undefined {
  const subject = `CustomResourceDefinition ${PLURAL}.${GROUP}`;
  if (!crd) return { subject, problem: "is not installed", fix: APPLY_CRD };
  const beta = crd.spec?.versions?.find((v) => v.name === V1BETA1);
  if (!beta?.served || !beta.storage) {
    return { subject, problem: `does not serve and store ${V1BETA1} (an earlier release's CRD)`, fix: APPLY_CRD };
  }
  const conversion = crd.spec?.conversion;
  const wanted = (crdConversion(options).webhook as { clientConfig: ClientConfig }).clientConfig;
  if (conversion?.strategy !== "Webhook") {
    return { subject, problem: "converts between versions without a webhook, so spec.namespace and the custom version are not mapped", fix: APPLY_CRD };
  }
  const current = conversion.webhook?.clientConfig;
  if (!sameTarget(current, wanted)) {
    return { subject, problem: `converts through ${target(current)}, not this manager (${target(wanted)})`, fix: APPLY_CRD };
  }
  return undefined;
}
