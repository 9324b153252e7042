// The alerting rules and the dashboard's queries as Prometheus itself reads
// them (promtool, built by hack/build-promtool.sh). The shipped rules file
// passes `promtool check rules` with every lint, and each alert fires on series
// that mean its condition, once its `for` has passed, with the labels and the
// rendered summary and description an on-call engineer reads; and stays quiet
// on series that look alike but do not mean it (docs/operations.md, "Alerts").
// Series carry the labels a scrape adds (job, instance), as they would in a
// real Prometheus. Every query of the shipped Grafana dashboard, with Grafana's
// variables filled in, is valid PromQL to Prometheus's parser.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { parse, stringify } from "yaml";
import * as webhook from "../../src/manifests/webhook.js";
import { ALERT_RULES, type AlertRule } from "../../src/manifests/alerts.js";
import { DASHBOARD_ROWS } from "../../src/manifests/dashboard.js";
import { repoRoot } from "../../src/local/binary.js";
import { filledIn } from "../support/monitoring-data.js";
import { resolvePromtool, runPromtool } from "../support/promtool.js";

const SHIPPED_RULES = join(repoRoot, "deploy/monitoring/prometheusrule.yaml");
const SHIPPED_DASHBOARD = join(repoRoot, "deploy/monitoring/grafana-dashboard.json");
const MANAGER = 'job="sidecarset-manager"';
const API_SERVER = 'job="apiserver",instance="10.0.0.1:6443"';
const DAY = 24 * 3600;

interface AlertCase {
  alert: string;
  /** What the series show. */
  situation: string;
  /** Series in promtool's notation, one sample a minute from minute 0: `[selector, values]`. */
  series: Array<[string, string]>;
  /**
   * Either the minute the expression first holds (the alert must be pending a minute before its `for` has passed,
   * and firing when it has) with the alerts that fire then: the labels they carry besides alertname and severity,
   * and what `{{ $value }}` shows; or a minute at which no alert of the rule may be firing.
   */
  expect: { holdsFrom: number; firing: Array<{ labels: Record<string, string>; value?: string }> } | { quietAt: number };
}

const rejections = (name: string, errorType: string, values: string): [string, string] => [
  `apiserver_admission_webhook_rejection_count{${API_SERVER},name="${name}",type="admit",operation="CREATE",error_type="${errorType}",rejection_code="${errorType === "no_error" ? 403 : 0}"}`,
  values,
];
const requests = (path: string, code: number, values: string): [string, string] => [
  `controller_runtime_webhook_requests_total{${MANAGER},instance="a",webhook="${path}",code="${code}"}`,
  values,
];
/** A latency histogram's cumulative buckets, each counting `perMinute[le]` more requests a minute. */
const latency = (path: string, perMinute: Record<string, number>): Array<[string, string]> =>
  Object.entries(perMinute).map(([le, n]) => [`controller_runtime_webhook_latency_seconds_bucket{${MANAGER},instance="a",webhook="${path}",le="${le}"}`, `0+${n}x40`]);
const perSidecarSet = (metric: string, sidecarset: string, values: string, instance = "a"): [string, string] => [
  `${metric}{${MANAGER},instance="${instance}",sidecarset="${sidecarset}"}`,
  values,
];
const kruiseState = (metric: string, sidecarset: string, values: string): [string, string] => [
  `${metric}{${MANAGER},instance="a",namespace="",sidecarset="${sidecarset}"}`,
  values,
];

/** One replica's memory series: heap used and its limit, resident memory and the container's limit. */
const memory = (instance: string, v: { heap: string; heapLimit: string; rss: string; memoryLimit: string }): Array<[string, string]> => [
  [`nodejs_heap_size_used_bytes{${MANAGER},instance="${instance}"}`, v.heap],
  [`sidecarset_heap_limit_bytes{${MANAGER},instance="${instance}"}`, v.heapLimit],
  [`process_resident_memory_bytes{${MANAGER},instance="${instance}"}`, v.rss],
  [`sidecarset_memory_limit_bytes{${MANAGER},instance="${instance}"}`, v.memoryLimit],
];

const CASES: AlertCase[] = [
  {
    alert: "SidecarSetWebhookUnreachable",
    situation: "the API server fails to call the pod webhook twice a minute",
    series: [rejections(webhook.MUTATE_POD_WEBHOOK, "calling_webhook_error", "0+2x20")],
    // A rate needs two samples: from minute 1.
    expect: { holdsFrom: 1, firing: [{ labels: { name: webhook.MUTATE_POD_WEBHOOK } }] },
  },
  {
    alert: "SidecarSetWebhookUnreachable",
    situation: "the webhook denies pods (an answer, not a failure to call) and another webhook is unreachable",
    series: [
      rejections(webhook.VALIDATE_SIDECARSET_WEBHOOK, "no_error", "0+2x20"),
      rejections("policy.example.com", "calling_webhook_error", "0+2x20"),
    ],
    expect: { quietAt: 10 },
  },
  {
    alert: "SidecarSetWebhookErrors",
    situation: "one pod admission a minute ends in a 500",
    series: [requests("/mutate-pod", 500, "0+1x20"), requests("/mutate-pod", 200, "0+30x20")],
    expect: { holdsFrom: 1, firing: [{ labels: { webhook: "/mutate-pod" } }] },
  },
  {
    alert: "SidecarSetWebhookErrors",
    situation: "server errors stopped long ago, and malformed requests get 400s",
    series: [requests("/mutate-pod", 500, "3x20"), requests("/mutate-pod", 200, "0+30x20"), requests("/convert", 400, "0+1x20")],
    expect: { quietAt: 10 },
  },
  {
    alert: "SidecarSetWebhookCertificateExpiring",
    situation: "one replica's certificate has 5 days left, the other's 60",
    series: [
      [`sidecarset_webhook_certificate_expiration_timestamp_seconds{${MANAGER},instance="a",serial_number="0a1b"}`, `${5 * DAY}x200`],
      [`sidecarset_webhook_certificate_expiration_timestamp_seconds{${MANAGER},instance="b",serial_number="0c2d"}`, `${60 * DAY}x200`],
    ],
    // Firing an hour in, when the 5 days are 4 days and 23 hours away.
    expect: { holdsFrom: 0, firing: [{ labels: {}, value: "4d 23h 0m 0s" }] },
  },
  {
    alert: "SidecarSetWebhookCertificateExpiring",
    situation: "the certificates have 30 days left",
    series: [[`sidecarset_webhook_certificate_expiration_timestamp_seconds{${MANAGER},instance="a",serial_number="0a1b"}`, `${30 * DAY}x200`]],
    expect: { quietAt: 120 },
  },
  {
    alert: "SidecarSetPodWebhookSlow",
    situation: "most pod admissions take between 1 and 2.5 s",
    series: latency("/mutate-pod", { "0.005": 0, "1": 1, "2.5": 100, "+Inf": 100 }),
    expect: { holdsFrom: 1, firing: [{ labels: {} }] },
  },
  {
    alert: "SidecarSetPodWebhookSlow",
    situation: "pod admissions take under 5 ms and SidecarSet validations take seconds",
    series: [
      ...latency("/mutate-pod", { "0.005": 100, "1": 100, "2.5": 100, "+Inf": 100 }),
      ...latency("/validate-apps-kruise-io-sidecarset", { "0.005": 0, "1": 0, "2.5": 5, "+Inf": 5 }),
    ],
    expect: { quietAt: 20 },
  },
  {
    alert: "SidecarSetWebhookCachesNotSynced",
    situation: "a replica's webhook caches stay unsynced",
    series: [[`sidecarset_cache_synced{${MANAGER},instance="a",side="webhook"}`, "0x30"]],
    expect: { holdsFrom: 0, firing: [{ labels: { job: "sidecarset-manager", instance: "a", side: "webhook" } }] },
  },
  {
    alert: "SidecarSetWebhookCachesNotSynced",
    situation: "the webhook caches synced; only a standby's controller caches are not",
    series: [
      [`sidecarset_cache_synced{${MANAGER},instance="a",side="webhook"}`, "0x5 1x25"],
      [`sidecarset_cache_synced{${MANAGER},instance="a",side="controller"}`, "0x30"],
    ],
    expect: { quietAt: 20 },
  },
  {
    alert: "SidecarSetControllerNotLeading",
    situation: "neither replica holds the Lease",
    series: [
      [`leader_election_master_status{${MANAGER},instance="a",name="sidecarset-manager"}`, "0x20"],
      [`leader_election_master_status{${MANAGER},instance="b",name="sidecarset-manager"}`, "0x20"],
    ],
    expect: { holdsFrom: 0, firing: [{ labels: {} }] },
  },
  {
    alert: "SidecarSetControllerNotLeading",
    situation: "one replica holds the Lease, and another controller's Lease is held by none",
    series: [
      [`leader_election_master_status{${MANAGER},instance="a",name="sidecarset-manager"}`, "1x20"],
      [`leader_election_master_status{${MANAGER},instance="b",name="sidecarset-manager"}`, "0x20"],
      [`leader_election_master_status{job="other",instance="c",name="other-controller"}`, "0x20"],
    ],
    expect: { quietAt: 10 },
  },
  {
    alert: "SidecarSetReconcileFailing",
    situation: "every reconcile of log-agent fails",
    series: [perSidecarSet("sidecarset_reconcile_errors_total", "log-agent", "0+1x30")],
    expect: { holdsFrom: 1, firing: [{ labels: { sidecarset: "log-agent" } }] },
  },
  {
    alert: "SidecarSetReconcileFailing",
    situation: "the reconciles failed for 5 minutes and then succeeded",
    series: [perSidecarSet("sidecarset_reconcile_errors_total", "log-agent", "0+1x5 5x25")],
    expect: { quietAt: 25 },
  },
  {
    alert: "SidecarSetSpecNotObserved",
    situation: "log-agent's generation 3 is not observed while proxy's is",
    series: [
      kruiseState("kruise_sidecarset_spec_metadata_generation", "log-agent", "3x30"),
      kruiseState("kruise_sidecarset_status_observed_generation", "log-agent", "2x30"),
      kruiseState("kruise_sidecarset_spec_metadata_generation", "proxy", "4x30"),
      kruiseState("kruise_sidecarset_status_observed_generation", "proxy", "4x30"),
    ],
    expect: { holdsFrom: 0, firing: [{ labels: { sidecarset: "log-agent" } }] },
  },
  {
    alert: "SidecarSetSpecNotObserved",
    situation: "the controller takes up the new generation within 5 minutes",
    series: [
      kruiseState("kruise_sidecarset_spec_metadata_generation", "log-agent", "3x30"),
      kruiseState("kruise_sidecarset_status_observed_generation", "log-agent", "2x5 3x25"),
    ],
    expect: { quietAt: 20 },
  },
  {
    alert: "SidecarSetRolloutHalted",
    situation: "log-agent's rollout is halted",
    series: [perSidecarSet("sidecarset_rollout_halted", "log-agent", "0 1x10")],
    expect: { holdsFrom: 1, firing: [{ labels: { sidecarset: "log-agent" } }] },
  },
  {
    alert: "SidecarSetRolloutHalted",
    situation: "the rollout goes on",
    series: [perSidecarSet("sidecarset_rollout_halted", "log-agent", "0x10")],
    expect: { quietAt: 5 },
  },
  {
    alert: "SidecarSetUpgradesFailing",
    situation: "two upgraded pods failed, the rollout goes on (one SidecarSet with a deadline, one without)",
    series: [
      perSidecarSet("sidecarset_failed_upgrades", "log-agent", "0 2x20"),
      perSidecarSet("sidecarset_rollout_halted", "log-agent", "0x20"),
      perSidecarSet("sidecarset_failed_upgrades", "proxy", "0 2x20"),
    ],
    expect: {
      holdsFrom: 1,
      firing: [
        { labels: { sidecarset: "log-agent" }, value: "2" },
        { labels: { sidecarset: "proxy" }, value: "2" },
      ],
    },
  },
  {
    alert: "SidecarSetUpgradesFailing",
    situation: "the failed upgrades halted the rollout (SidecarSetRolloutHalted says so)",
    series: [perSidecarSet("sidecarset_failed_upgrades", "log-agent", "0 3x20"), perSidecarSet("sidecarset_rollout_halted", "log-agent", "0 1x20")],
    expect: { quietAt: 10 },
  },
  {
    alert: "SidecarSetPodsNotInjected",
    situation: "two selected pods start without log-agent's sidecars",
    series: [perSidecarSet("sidecarset_status_not_injected_pods", "log-agent", "0x5 2x20")],
    // The sample of minute 6 is the first that differs.
    expect: { holdsFrom: 6, firing: [{ labels: { sidecarset: "log-agent" } }] },
  },
  {
    alert: "SidecarSetPodsNotInjected",
    situation: "pods without the sidecars stay as many, or are recreated with them",
    series: [
      perSidecarSet("sidecarset_status_not_injected_pods", "log-agent", "5x30"),
      perSidecarSet("sidecarset_status_not_injected_pods", "proxy", "5x5 3x25"),
    ],
    expect: { quietAt: 20 },
  },
  {
    alert: "SidecarSetManagerMemoryNearLimit",
    situation: "the Lease holder's heap stays at 85 % of its limit, its resident memory at half its container's",
    series: memory("a", { heap: "850x30", heapLimit: "1000x30", rss: "1000x30", memoryLimit: "2000x30" }),
    expect: { holdsFrom: 0, firing: [{ labels: { job: "sidecarset-manager", instance: "a" }, value: "85%" }] },
  },
  {
    alert: "SidecarSetManagerMemoryNearLimit",
    situation: "a replica's resident memory stays at 90 % of its container's limit, its heap at half its own",
    series: memory("b", { heap: "500x30", heapLimit: "1000x30", rss: "1800x30", memoryLimit: "2000x30" }),
    expect: { holdsFrom: 0, firing: [{ labels: { job: "sidecarset-manager", instance: "b" }, value: "90%" }] },
  },
  {
    alert: "SidecarSetManagerMemoryNearLimit",
    situation: "the heap reaches 90 % for 5 minutes (a relist) and goes back; resident memory stays at 80 %",
    series: memory("a", { heap: "600x5 900x5 600x20", heapLimit: "1000x30", rss: "1600x30", memoryLimit: "2000x30" }),
    expect: { quietAt: 20 },
  },
];

/**
 * An annotation as Prometheus renders it for an alert with `labels` and `value`: the rules use `{{ $labels.x }}`,
 * `{{ $value }}`, `{{ $value | humanizeDuration }}` and `{{ $value | humanizePercentage }}`; any other template
 * fails the test, to be added here.
 */
function rendered(text: string, labels: Record<string, string>, value: string | undefined): string {
  const out = text.replace(/\{\{ (\$labels\.([a-z_]+)|\$value \| humanize(?:Duration|Percentage)|\$value) \}\}/g, (_, expr: string, label?: string) => {
    if (label !== undefined) {
      const v = labels[label];
      assert.ok(v !== undefined, `the annotation shows the label ${label}, which the case's alert does not carry`);
      return v;
    }
    assert.ok(value !== undefined, `the annotation shows ${expr}; the case must say what it renders to`);
    return value;
  });
  assert.doesNotMatch(out, /\{\{/, `a template this test does not render: ${out}`);
  return out;
}

const rule = (alert: string): AlertRule => {
  const found = ALERT_RULES.find((r) => r.alert === alert);
  assert.ok(found, `no rule ${alert}`);
  return found;
};

/** A rule's `for`, in minutes. */
function forMinutes(r: AlertRule): number {
  const match = /^(\d+)([mh])$/.exec(r.for);
  assert.ok(match, `${r.alert}: a \`for\` of ${r.for} (this test reads minutes and hours)`);
  return Number(match[1]) * (match[2] === "h" ? 60 : 1);
}

/** promtool's alert_rule_test entries for the case: what must be firing when. */
function alertTests(c: AlertCase, r: AlertRule): Array<Record<string, unknown>> {
  if ("quietAt" in c.expect) return [{ eval_time: `${c.expect.quietAt}m`, alertname: c.alert, exp_alerts: [] }];
  const firesAt = c.expect.holdsFrom + forMinutes(r);
  const firing = c.expect.firing.map(({ labels, value }) => ({
    exp_labels: { ...labels, severity: r.severity },
    exp_annotations: {
      summary: rendered(r.summary, labels, value),
      description: rendered(r.description, labels, value),
      runbook: `docs/operations.md#${r.alert.toLowerCase()}`,
    },
  }));
  return [
    { eval_time: `${firesAt - 1}m`, alertname: c.alert, exp_alerts: [] },
    { eval_time: `${firesAt}m`, alertname: c.alert, exp_alerts: firing },
  ];
}

const fires = (c: AlertCase): boolean => "holdsFrom" in c.expect;

const promtool = resolvePromtool();
const dir = mkdtempSync(join(tmpdir(), "sidecarset-monitoring-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The groups of the shipped PrometheusRule, as a plain rules file Prometheus loads. */
const rulesFile = join(dir, "rules.yaml");
writeFileSync(rulesFile, stringify({ groups: (parse(readFileSync(SHIPPED_RULES, "utf8")) as { spec: { groups: unknown[] } }).spec.groups }));

test("promtool check rules passes the shipped rules with every lint", async () => {
  const { status, output } = await runPromtool(promtool, ["check", "rules", "--lint=all", "--lint-fatal", rulesFile]);
  assert.equal(status, 0, output);
  assert.match(output, new RegExp(`SUCCESS: ${ALERT_RULES.length} rules found`));
});

test("promtool parses every query of the shipped dashboard (as recording rules, with every lint)", async () => {
  interface PanelJson {
    title: string;
    targets?: { expr: string }[];
  }
  const panels = (JSON.parse(readFileSync(SHIPPED_DASHBOARD, "utf8")) as { panels: PanelJson[] }).panels;
  const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  assert.equal(exprs.length, DASHBOARD_ROWS.flatMap((r) => r.panels.flatMap((p) => p.queries)).length, "the file holds every query");
  const file = join(dir, "dashboard-queries.yaml");
  const rules = exprs.map((expr, i) => ({ record: `dashboard:query_${i + 1}`, expr: filledIn(expr) }));
  writeFileSync(file, stringify({ groups: [{ name: "dashboard", rules }] }));
  const { status, output } = await runPromtool(promtool, ["check", "rules", "--lint=all", "--lint-fatal", file]);
  assert.equal(status, 0, output);
  assert.match(output, new RegExp(`SUCCESS: ${exprs.length} rules found`));
});

test("every alert has a case that fires it and one where it must stay quiet", () => {
  for (const { alert } of ALERT_RULES) {
    assert.ok(CASES.some((c) => c.alert === alert && fires(c)), `${alert}: no case where it fires`);
    assert.ok(CASES.some((c) => c.alert === alert && !fires(c)), `${alert}: no case where it stays quiet`);
  }
});

for (const [i, c] of CASES.entries()) {
  const r = rule(c.alert);
  const verdict = fires(c) ? `fires after its ${r.for}` : "stays quiet";
  test(`${c.alert} ${verdict} when ${c.situation}`, async () => {
    const testFile = join(dir, `case-${i}.yaml`);
    const group = { interval: "1m", input_series: c.series.map(([series, values]) => ({ series, values })), alert_rule_test: alertTests(c, r) };
    writeFileSync(testFile, stringify({ rule_files: [rulesFile], evaluation_interval: "1m", tests: [group] }));
    const { status, output } = await runPromtool(promtool, ["test", "rules", testFile]);
    assert.equal(status, 0, `promtool test rules:\n${output}`);
    assert.match(output, /SUCCESS/);
  });
}
