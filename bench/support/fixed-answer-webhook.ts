// A control for bench/cluster/admission.ts: a bare Node.js HTTPS webhook that
// answers every pod with one fixed JSON patch (the manager's own answer for a
// pod of the same template, taken once), registered with the API server for
// pods carrying FIXED_ANSWER_LABEL. The API server then decodes and applies
// the same ten-sidecar patch and stores the same pods as for the manager's
// answers, while the webhook itself does no admission work: the share of its
// calls within 5 ms is the machine's floor for such pods, and what the
// manager's share falls below it is ours.
import { createServer, request, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { createLocalServingCertificate } from "../../test/support/certs.js";
import { applyYaml, type Environment } from "../../test/support/environment.js";
import { rawRequest } from "../../test/support/kube.js";
import { MUTATE_POD_PATH } from "../../src/webhook/handlers/index.js";
import { KEEP_ALIVE_IDLE_MS } from "../../src/webhook/server.js";
import { podCreationReview } from "./admission-workload.js";

export const FIXED_ANSWER_WEBHOOK = "fixed-answer.bench.sidecarset.local";
export const FIXED_ANSWER_LABEL = { "bench-answer": "fixed" };
const CONFIGURATION = "bench-fixed-answer";

export interface FixedAnswerWebhook {
  /** The patch's size in bytes, for the table's caption. */
  patchBytes: number;
  stop(): Promise<void>;
}

/** The manager's answer (base64 JSON patch) for `pod` in `namespace`, asked straight from its webhook port. */
export function managerPatchFor(env: Environment, namespace: string, pod: unknown): Promise<string> {
  const review = podCreationReview("00000000-0000-4000-8000-00000000f1a7", namespace, pod);
  return new Promise((resolve, reject) => {
    // The manager's certificate is its own; this one question needs no trust in it.
    const req = request({ host: "127.0.0.1", port: env.webhookPort, path: MUTATE_POD_PATH, method: "POST", rejectUnauthorized: false, headers: { "content-type": "application/json" } }, (res) => {
      let text = "";
      res.on("data", (d: Buffer) => (text += d.toString()));
      res.on("end", () => {
        const patch = (JSON.parse(text) as { response?: { patch?: string } }).response?.patch;
        if (res.statusCode === 200 && patch) resolve(patch);
        else reject(new Error(`the manager gave no patch for the control's pod: ${res.statusCode} ${text.slice(0, 300)}`));
      });
    });
    req.on("error", reject);
    req.end(JSON.stringify(review));
  });
}

/**
 * Starts the fixed-answer webhook with `base64Patch` and registers it with the API server. It closes a
 * connection after `keepAliveTimeoutMs` idle: by default when the manager's server does.
 */
export async function startFixedAnswerWebhook(env: Environment, base64Patch: string, opts: { keepAliveTimeoutMs?: number } = {}): Promise<FixedAnswerWebhook> {
  const certificate = await createLocalServingCertificate();
  const server: Server = createServer({ cert: certificate.certPem, key: certificate.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      // The API server takes an answer only for the request's own uid.
      const uid = (JSON.parse(Buffer.concat(chunks).toString("utf8")) as { request?: { uid?: string } }).request?.uid ?? "";
      const body = `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":${JSON.stringify(uid)},"allowed":true,"patchType":"JSONPatch","patch":"${base64Patch}"}}`;
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
      res.end(body);
    });
  });
  server.keepAliveTimeout = opts.keepAliveTimeoutMs ?? KEEP_ALIVE_IDLE_MS;
  const port = await new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
  await applyYaml(
    env.clients,
    JSON.stringify({
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "MutatingWebhookConfiguration",
      metadata: { name: CONFIGURATION },
      webhooks: [
        {
          name: FIXED_ANSWER_WEBHOOK,
          clientConfig: { url: `https://127.0.0.1:${port}/fixed-answer`, caBundle: Buffer.from(certificate.caPem).toString("base64") },
          rules: [{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"] }],
          objectSelector: { matchLabels: FIXED_ANSWER_LABEL },
          sideEffects: "None",
          admissionReviewVersions: ["v1"],
          failurePolicy: "Fail",
          timeoutSeconds: 10,
        },
      ],
    }),
  );
  return {
    patchBytes: Buffer.from(base64Patch, "base64").length,
    async stop() {
      await rawRequest(env.clients.kc, "DELETE", `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${CONFIGURATION}`);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
