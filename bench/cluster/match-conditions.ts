// Benchmark: what the self-scoping pod webhook's matchConditions expression
// costs every pod creation in the API server, written with a term per
// SidecarSet and written as the manager writes it, one label's values grouped
// into one list (src/core/pod-scope/label-groups.ts). N SidecarSets each
// select their own value of one label (`team: team-<i>-agent`). A webhook
// configuration whose only condition is that expression (its webhook is never
// reached: the pods created match none of the values), then pod creations
// (server-side dry runs) timed from this process, the rows taken in turn over
// two rounds; the control is no webhook configuration at all. Also prints
// whether the API server accepts the expression (it refuses one over 100,000
// characters). Starts the project's control plane; needs the control-plane
// binary (npm run testbin). Never fails a build.
import { performance } from "node:perf_hooks";
import { startCluster } from "../../src/local/cluster.js";
import { groupTerms, labelValueTerm } from "../../src/core/pod-scope/label-groups.js";
import { MAX_SCOPE_EXPRESSION_LENGTH, MAX_SCOPE_TERMS } from "../../src/core/pod-scope/expression.js";
import { createNamespace, kubeClients, KubeRequestError, rawRequest } from "../../test/support/kube.js";
import { printTable } from "../support/table.js";

const COUNTS = [40, 200, 800];
const PODS_PER_ROW = 100;
const CONFIG = "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations";
const NAMESPACE = "match-conditions";

function atoms(count: number): string[] {
  return Array.from({ length: count }, (_, i) => labelValueTerm("", "'team'", `'team-${i}-agent'`)).sort();
}

function configuration(expression: string): unknown {
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "MutatingWebhookConfiguration",
    metadata: { name: "match-conditions-bench" },
    webhooks: [
      {
        name: "match-conditions-bench.example.com",
        admissionReviewVersions: ["v1"],
        sideEffects: "None",
        failurePolicy: "Ignore",
        timeoutSeconds: 1,
        clientConfig: { url: "https://127.0.0.1:1/never-called" },
        rules: [{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"] }],
        matchConditions: [{ name: "scope", expression }],
      },
    ],
  };
}

interface Row {
  title: string;
  expression: string | undefined;
}

const rows: Row[] = [{ title: "no webhook configuration (control)", expression: undefined }];
for (const count of COUNTS) {
  const terms = atoms(count);
  rows.push({ title: `${count} SidecarSets, a term each`, expression: terms.join(" || ") });
  rows.push({ title: `${count} SidecarSets, one list (as written)`, expression: groupTerms(terms).join(" || ") });
}

const cluster = await startCluster({ log: () => undefined });
try {
  const clients = kubeClients(cluster.kubeconfigPath);
  await createNamespace(clients, NAMESPACE);
  const timings = new Map<Row, number[]>(rows.map((r) => [r, []]));
  const refused = new Map<Row, string>();
  for (let round = 0; round < 2; round++) {
    for (const row of round === 0 ? rows : [...rows].reverse()) {
      await rawRequest(clients.kc, "DELETE", `${CONFIG}/match-conditions-bench`).catch(() => undefined);
      if (row.expression !== undefined) {
        try {
          await rawRequest(clients.kc, "POST", CONFIG, configuration(row.expression));
        } catch (e) {
          refused.set(row, e instanceof KubeRequestError ? `refused (${e.status})` : String(e));
          continue;
        }
      }
      // The API server's admission plugins see a new configuration within a second.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      for (let i = 0; i < PODS_PER_ROW; i++) {
        const pod = { metadata: { name: `pod-${round}-${i}`, labels: { team: "nobody" } }, spec: { containers: [{ name: "app", image: "registry.local/app:1" }] } };
        const started = performance.now();
        await rawRequest(clients.kc, "POST", `/api/v1/namespaces/${NAMESPACE}/pods?dryRun=All`, pod);
        timings.get(row)!.push(performance.now() - started);
      }
    }
  }
  const at = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))]!.toFixed(2);
  process.stdout.write(`a pod created (server-side dry run) while the webhook's matchConditions hold the expression; ${PODS_PER_ROW} pods a row per round, two rounds; the manager writes at most ${MAX_SCOPE_TERMS} terms and ${MAX_SCOPE_EXPRESSION_LENGTH} characters\n`);
  printTable([
    ["EXPRESSION", "CHARACTERS", "POD CREATION MS: P50, P90"],
    ...rows.map((row) => {
      const times = timings.get(row)!;
      const result = refused.get(row) ?? (times.length > 0 ? `${at(times, 0.5)}, ${at(times, 0.9)}` : "—");
      return [row.title, row.expression === undefined ? "—" : row.expression.length.toLocaleString("en-US"), result];
    }),
  ]);
} finally {
  await cluster.stop();
}
