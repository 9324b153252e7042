// Cluster benchmark: the admission of a pod that comes after a quiet spell,
// as the API server records it (apiserver_admission_webhook_admission_duration_seconds),
// with the shipped build of the manager (dist/). Most clusters create pods now
// and then rather than ten a second: what such a pod waits for is the call on a
// connection that has been idle. The API server keeps an idle webhook
// connection for 90 s; a webhook server that closes it sooner makes the next
// call open a new one (TCP and TLS handshakes). The control is the bare
// fixed-answer webhook (bench/support/fixed-answer-webhook.ts) closing idle
// connections after 30 s, as the manager's server did before: the same quiet
// spells, the same machine, the handshake paid. Each round waits `--gap`
// seconds with no pod created, then creates one pod for each webhook (their
// order alternates), then three more right after, 200 ms apart (warm
// connections: the comparison row).
//
//   npm run bench:cluster -- quiet-spells [--rounds 8] [--gap 40]
//   … --manager-flag=F      a further manager flag
//
// Never fails a build; needs the control-plane binary (npm run testbin).
import { managerFlagArgs } from "../support/manager-flag-args.js";
import { ensureShippedBuild } from "../support/shipped-build.js";
import { apiServerMetrics } from "../support/api-server-metrics.js";
import { parseMetrics, sum } from "../../test/support/prometheus-text.js";
import { printTable } from "../support/table.js";
import { FIXED_ANSWER_LABEL, FIXED_ANSWER_WEBHOOK, managerPatchFor, startFixedAnswerWebhook, type FixedAnswerWebhook } from "../support/fixed-answer-webhook.js";
import { applyYaml, startEnvironment, type Environment } from "../../test/support/environment.js";
import { createNamespace, rawRequest } from "../../test/support/kube.js";
import { waitForObserved } from "../../test/support/sidecarsets.js";
import { clusterSidecarSet, clusterSidecarSetName } from "../support/cluster-sidecarsets.js";
import { MUTATE_POD_WEBHOOK } from "../../src/manifests/webhook.js";

const arg = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
};
const ROUNDS = arg("--rounds", 8);
const GAP_SECONDS = arg("--gap", 40);
const AFTER = 3;
const managerFlags = managerFlagArgs();
const NS = "quiet";
/** The API server's buckets for admission webhook calls, up to 100 ms. */
const BUCKETS = ["0.005", "0.025", "0.1"] as const;

interface Kind {
  name: string;
  webhook: string;
  labels: Record<string, string>;
  /** Reads the webhook's own count of accepted connections, when it has one. */
  connections?: (env: Environment) => Promise<number>;
}

/** Calls of `webhook` per bucket upper bound, as the API server counts them. */
async function buckets(env: Environment, webhook: string): Promise<Map<string, number>> {
  const hist = parseMetrics(await apiServerMetrics(env), "apiserver_admission_webhook_admission_duration_seconds_bucket").filter(
    (s) => s.labels.name === webhook && s.labels.operation === "CREATE",
  );
  const out = new Map<string, number>();
  for (const s of hist) out.set(s.labels.le!, (out.get(s.labels.le!) ?? 0) + s.value);
  return out;
}

async function managerConnections(env: Environment): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${env.metricsPort}/metrics`)).text();
  return sum(parseMetrics(text, "sidecarset_webhook_connections_total"));
}

interface Tally {
  calls: number;
  /** Calls within each bucket (cumulative, as the histogram). */
  within: Map<string, number>;
  newConnections: number | undefined;
  failed: number;
}

const emptyTally = (): Tally => ({ calls: 0, within: new Map(BUCKETS.map((b) => [b, 0])), newConnections: undefined, failed: 0 });

let podCounter = 0;

/** Creates `count` pods of `kind`, `spacingMs` apart, and adds what the API server recorded of their calls to `tally`. */
async function measure(env: Environment, kind: Kind, count: number, spacingMs: number, tally: Tally): Promise<void> {
  const before = await buckets(env, kind.webhook);
  const connectionsBefore = await kind.connections?.(env);
  for (let i = 0; i < count; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, spacingMs));
    await rawRequest(env.clients.kc, "POST", `/api/v1/namespaces/${NS}/pods`, {
      metadata: { name: `p-${++podCounter}`, labels: kind.labels },
      spec: { terminationGracePeriodSeconds: 1, containers: [{ name: "app", image: "registry.local/app:1", env: [{ name: "TZ", value: "UTC" }] }] },
    }).catch(() => void tally.failed++);
  }
  const after = await buckets(env, kind.webhook);
  const delta = (le: string) => (after.get(le) ?? 0) - (before.get(le) ?? 0);
  tally.calls += delta("+Inf");
  for (const b of BUCKETS) tally.within.set(b, tally.within.get(b)! + delta(b));
  if (kind.connections && connectionsBefore !== undefined) {
    tally.newConnections = (tally.newConnections ?? 0) + ((await kind.connections(env)) - connectionsBefore);
  }
}

async function setup(env: Environment): Promise<void> {
  await createNamespace(env.clients, NS);
  for (let i = 0; i < 10; i++) {
    await applyYaml(env.clients, JSON.stringify(clusterSidecarSet(i, NS, "web")));
    await waitForObserved(env, clusterSidecarSetName(i));
  }
}

function print(kinds: Kind[], quiet: Map<string, Tally>, warm: Map<string, Tally>): void {
  const pct = (n: number, of: number) => (of ? `${((100 * n) / of).toFixed(0)} %` : "—");
  const rows: string[][] = [["Webhook", "Pod", "Calls", "≤ 5 ms", "≤ 25 ms", "≤ 100 ms", "New connections", "Failed"]];
  for (const kind of kinds) {
    for (const [when, t] of [[`after ${GAP_SECONDS} s quiet`, quiet.get(kind.name)!], ["right after another", warm.get(kind.name)!]] as const) {
      rows.push([kind.name, when, String(t.calls), ...BUCKETS.map((b) => pct(t.within.get(b)!, t.calls)), t.newConnections === undefined ? "—" : String(t.newConnections), String(t.failed)]);
    }
  }
  console.log(`\n${ROUNDS} rounds; share of the API server's calls of each webhook in its ≤ 5 / 25 / 100 ms buckets`);
  printTable(rows);
}

async function main(): Promise<void> {
  const entry = ensureShippedBuild();
  const env = await startEnvironment({ managerEntry: entry, managerArgs: ["--log-level", "info", ...managerFlags] });
  let fixed: FixedAnswerWebhook | undefined;
  const kinds: Kind[] = [
    { name: "sidecarset manager", webhook: MUTATE_POD_WEBHOOK, labels: { app: "web" }, connections: managerConnections },
    { name: "bare webhook, closes idle connections after 30 s (control)", webhook: FIXED_ANSWER_WEBHOOK, labels: FIXED_ANSWER_LABEL },
  ];
  const quiet = new Map(kinds.map((k) => [k.name, emptyTally()]));
  const warm = new Map(kinds.map((k) => [k.name, emptyTally()]));
  try {
    await setup(env);
    fixed = await startFixedAnswerWebhook(env, await managerPatchFor(env, NS, { metadata: { name: "template", labels: { app: "web" } }, spec: { containers: [{ name: "app", image: "registry.local/app:1", env: [{ name: "TZ", value: "UTC" }] }] } }), { keepAliveTimeoutMs: 30_000 });
    // A new process's and a new connection's first calls are not what this measures.
    for (const kind of kinds) await measure(env, kind, 50, 50, emptyTally());
    for (let round = 0; round < ROUNDS; round++) {
      process.stdout.write(`round ${round + 1}/${ROUNDS}: ${GAP_SECONDS} s quiet…\n`);
      await new Promise((r) => setTimeout(r, GAP_SECONDS * 1000));
      const order = round % 2 === 0 ? kinds : [...kinds].reverse();
      for (const kind of order) await measure(env, kind, 1, 0, quiet.get(kind.name)!);
      for (const kind of order) await measure(env, kind, AFTER, 200, warm.get(kind.name)!);
    }
  } finally {
    print(kinds, quiet, warm);
    await fixed?.stop();
    await env.stop();
  }
}

await main();
