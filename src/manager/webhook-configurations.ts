// Out-of-cluster mode (`--webhook-host`): nothing in the cluster routes to the
// manager, so it installs its own webhook configurations pointing at its URL.
import { mutatingWebhookConfiguration, validatingWebhookConfiguration } from "../manifests/webhook.js";
import type { RawKubeClient } from "../kube/raw-client.js";
import { isNotFound } from "../kube/errors.js";
import { pointCrdConversionAt } from "../webhook/crd-conversion.js";
import { keepMatchConditions } from "./pod-webhook-conditions.js";

interface Named {
  metadata?: { name?: string; resourceVersion?: string };
}

async function createOrReplace(client: RawKubeClient, collection: string, object: Named): Promise<void> {
  const path = `${collection}/${encodeURIComponent(object.metadata?.name ?? "")}`;
  try {
    const existing = await client.get<Named>(path);
    const rv = existing.metadata?.resourceVersion;
    // The pod webhook's scope belongs to the Lease holder: a reinstall keeps it.
    const kept = keepMatchConditions(existing, object);
    await client.replace(path, { ...kept, metadata: { ...kept.metadata, ...(rv ? { resourceVersion: rv } : {}) } });
  } catch (e) {
    if (!isNotFound(e)) throw e;
    await client.create(collection, object);
  }
}

export async function installWebhookConfigurations(
  client: RawKubeClient,
  opts: { namespace: string; webhookHost: string; webhookPort: number; caBundle: string },
): Promise<void> {
  const options = {
    namespace: opts.namespace,
    webhookHost: opts.webhookHost,
    webhookPort: opts.webhookPort,
    caBundle: Buffer.from(opts.caBundle, "utf8").toString("base64"),
  };
  const base = "/apis/admissionregistration.k8s.io/v1";
  await createOrReplace(client, `${base}/mutatingwebhookconfigurations`, mutatingWebhookConfiguration(options) as Named);
  await createOrReplace(client, `${base}/validatingwebhookconfigurations`, validatingWebhookConfiguration(options) as Named);
  await pointCrdConversionAt(client, options);
}
