// `sidecarset preflight`: reads the cluster and says what stands in the way of
// this manager (another SidecarSet manager's webhooks, a CRD converting
// through someone else) and what to do about each; exit 1 when anything does.
import { Command } from "commander";
import { DEFAULT_MANAGER_NAMESPACE } from "../api/keys.js";
import type { RawKubeClient } from "../kube/client.js";
import { CRD_NAME } from "../manifests/crd.js";
import { preflightFindings, type CrdObject, type WebhookConfigurationObject } from "../manifests/preflight.js";
import type { ManifestOptions } from "../manifests/options.js";
import { port } from "./arguments.js";

const ADMISSION = "/apis/admissionregistration.k8s.io/v1";

interface PreflightFlags {
  kubeconfig?: string;
  namespace: string;
  webhookService?: string;
  webhookHost?: string;
  webhookPort?: number;
}

export function preflightCommand(): Command {
  return new Command("preflight")
    .description(
      "Check a cluster before installing or switching to this manager: another SidecarSet manager's webhook " +
        "configurations, and the SidecarSet CRD's versions and conversion webhook. Prints what to do; exit 1 when anything stands in the way.",
    )
    .option("--kubeconfig <path>", "kubeconfig to use (default: $KUBECONFIG, in-cluster service account, ~/.kube/config)")
    .option("-n, --namespace <namespace>", "namespace of the manager", DEFAULT_MANAGER_NAMESPACE)
    .option("--webhook-service <name>", "Service in front of the webhooks, when not the default")
    .option("--webhook-host <host>", "the manager runs outside the cluster at this host (as for `sidecarset manifests`)")
    .option("--webhook-port <port>", "its webhook port, with --webhook-host", port({ zeroPicksFree: false }))
    .addHelpText("after", "\nSee docs/migration.md for switching over from OpenKruise.")
    .action(async (flags: PreflightFlags) => {
      let client: RawKubeClient | undefined;
      try {
        // Loaded here: the client library costs seconds, which the offline commands must not pay.
        const { loadKubeConfig, RawKubeClient } = await import("../kube/client.js");
        const { isNotFound } = await import("../kube/errors.js");
        client = new RawKubeClient(loadKubeConfig(flags.kubeconfig ? { kubeconfigPath: flags.kubeconfig } : {}).kubeConfig);
        const [mutating, validating, crd] = await Promise.all([
          client.list<WebhookConfigurationObject>(`${ADMISSION}/mutatingwebhookconfigurations`),
          client.list<WebhookConfigurationObject>(`${ADMISSION}/validatingwebhookconfigurations`),
          client.get<CrdObject>(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${CRD_NAME}`).catch((e: unknown) => {
            if (isNotFound(e)) return undefined;
            throw e;
          }),
        ]);
        const webhookConfigurations = [
          ...mutating.items.map((c) => ({ ...c, kind: "MutatingWebhookConfiguration" as const })),
          ...validating.items.map((c) => ({ ...c, kind: "ValidatingWebhookConfiguration" as const })),
        ];
        const findings = preflightFindings({ webhookConfigurations, crd }, manifestOptions(flags));
        if (findings.length === 0) {
          process.stdout.write("ok: nothing stands in the way of this manager\n");
          return;
        }
        let out = "";
        for (const f of findings) out += `✗ ${f.subject}: ${f.problem}\n    fix: ${f.fix}\n`;
        process.stdout.write(out);
        process.exitCode = 1;
      } catch (e) {
        process.stderr.write(`preflight failed: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exitCode = 1;
      } finally {
        client?.close();
      }
    });
}

function manifestOptions(flags: PreflightFlags): ManifestOptions {
  const options: ManifestOptions = { namespace: flags.namespace };
  if (flags.webhookService) options.webhookServiceName = flags.webhookService;
  if (flags.webhookHost) options.webhookHost = flags.webhookHost;
  if (flags.webhookPort !== undefined) options.webhookPort = flags.webhookPort;
  return options;
}
