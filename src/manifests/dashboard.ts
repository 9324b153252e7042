// A Grafana dashboard for the manager (docs/operations.md, "Dashboard"): the
// pod webhook as the manager and as the API server see it, each SidecarSet's
// pods and rollout, the controller, and each replica's caches and memory. As
// the JSON Grafana imports, and as a ConfigMap that Grafana's dashboard sidecar
// (kube-prometheus-stack) loads by its label. Tests check every metric and
// label a query reads against the manager's registry, every query against
// Prometheus's parser, and that each finds series on a running manager. Not
// part of the default install (`sidecarset manifests --only dashboard`, or the
// Helm chart's metrics.grafanaDashboard.enabled).
import * as webhook from "./webhook.js";
import { LEASE_NAME, WEBHOOK_NAMES } from "./alerts.js";
import { MANAGER_NAME, PART_OF_LABELS, resolveOptions, type Manifest, type ManifestOptions } from "./options.js";

/** The controller's name in controller-runtime's and the work queue's series (src/controller/controller.ts). */
export const CONTROLLER_NAME = "sidecarset-controller";
export const DASHBOARD_UID = "sidecarset-manager";
/** The ConfigMap's data key: the file name Grafana's sidecar writes the dashboard to. */
export const DASHBOARD_FILE = "sidecarset-manager.json";
/** The label kube-prometheus-stack's Grafana sidecar looks for by default. */
export const DASHBOARD_CONFIGMAP_LABELS: Readonly<Record<string, string>> = { grafana_dashboard: "1" };

const JOB = 'job=~"$job"';
const PER_SIDECARSET = `${JOB},sidecarset=~"$sidecarset"`;
const RATE = "[$__rate_interval]";
const POD_WEBHOOK_PATH = `webhook="${webhook.MUTATE_POD_PATH}"`;

export interface DashboardQuery {
  expr: string;
  /** Grafana's series name: `{{label}}` is the series' label. */
  legend: string;
}

export interface DashboardPanel {
  title: string;
  description: string;
  /** Grafana's unit of the values. */
  unit: string;
  queries: DashboardQuery[];
  /** A single figure instead of a graph. */
  stat?: boolean;
}

export interface DashboardRow {
  title: string;
  panels: DashboardPanel[];
}

const quantiles = (histogram: string, selector: string): DashboardQuery[] =>
  [0.5, 0.99].map((q) => ({
    expr: `histogram_quantile(${q}, sum by (le) (rate(${histogram}_bucket{${selector}}${RATE})))`,
    legend: `p${q * 100}`,
  }));

const perSidecarSet = (metric: string, legend: string): DashboardQuery => ({
  expr: `max by (sidecarset) (${metric}{${PER_SIDECARSET}})`,
  legend: `{{sidecarset}}${legend}`,
});

export const DASHBOARD_ROWS: readonly DashboardRow[] = [
  {
    title: "Pod admission",
    panels: [
      {
        title: "Pod admissions by answer",
        description: "Requests to /mutate-pod per second, by HTTP status. Anything but 200 is refused under failurePolicy Fail.",
        unit: "reqps",
        queries: [{ expr: `sum by (code) (rate(controller_runtime_webhook_requests_total{${JOB},${POD_WEBHOOK_PATH}}${RATE}))`, legend: "{{code}}" }],
      },
      {
        title: "Pod admission time in the manager",
        description: "From the request's arrival to the answer written, in the webhook thread.",
        unit: "s",
        queries: quantiles("controller_runtime_webhook_latency_seconds", `${JOB},${POD_WEBHOOK_PATH}`),
      },
      {
        title: "Pod webhook calls as the API server times them",
        description:
          "What a pod creation waits for the webhook, network and TLS included (the API server's own histogram: " +
          "Prometheus must scrape the API server).",
        unit: "s",
        queries: quantiles("apiserver_admission_webhook_admission_duration_seconds", `name="${webhook.MUTATE_POD_WEBHOOK}"`),
      },
      {
        title: "Requests the API server refused: webhook not callable",
        description:
          "Requests refused because calling one of the manager's webhooks failed (no ready replica, network, caBundle); " +
          "the alert SidecarSetWebhookUnreachable reads the same count.",
        unit: "reqps",
        queries: [
          {
            expr: `sum by (name) (rate(apiserver_admission_webhook_rejection_count{name=~"${WEBHOOK_NAMES}",error_type="calling_webhook_error"}${RATE}))`,
            legend: "{{name}}",
          },
        ],
      },
      {
        title: "Webhook thread event-loop delay",
        description: "How long the webhook thread's event loop kept work waiting since the previous scrape, per replica.",
        unit: "s",
        queries: [{ expr: `max by (instance, stat) (sidecarset_webhook_event_loop_delay_seconds{${JOB}})`, legend: "{{instance}} {{stat}}" }],
      },
      {
        title: "SidecarSet webhook requests by path and answer",
        description: "The SidecarSet defaulting and validation webhooks and the CRD's conversion webhook.",
        unit: "reqps",
        queries: [
          {
            expr: `sum by (webhook, code) (rate(controller_runtime_webhook_requests_total{${JOB},webhook!="${webhook.MUTATE_POD_PATH}"}${RATE}))`,
            legend: "{{webhook}} {{code}}",
          },
        ],
      },
    ],
  },
  {
    title: "SidecarSets",
    panels: [
      {
        title: "Injections",
        description: "Pods the webhook injected each SidecarSet's containers into, per second (dry runs not counted).",
        unit: "ops",
        queries: [{ expr: `sum by (sidecarset) (rate(sidecarset_injections_total{${PER_SIDECARSET}}${RATE}))`, legend: "{{sidecarset}}" }],
      },
      {
        title: "Pods on the current revision",
        description: "status.updatedPods as a share of status.matchedPods: the rollout's progress.",
        unit: "percentunit",
        queries: [
          {
            expr:
              `max by (sidecarset) (sidecarset_status_updated_pods{${PER_SIDECARSET}})` +
              ` / on (sidecarset) max by (sidecarset) (sidecarset_status_matched_pods{${PER_SIDECARSET}})`,
            legend: "{{sidecarset}}",
          },
        ],
      },
      {
        title: "Matched, updated and ready pods",
        description: "The SidecarSet's status counts.",
        unit: "short",
        queries: [
          perSidecarSet("sidecarset_status_matched_pods", " matched"),
          perSidecarSet("sidecarset_status_updated_pods", " updated"),
          perSidecarSet("sidecarset_status_ready_pods", " ready"),
          perSidecarSet("sidecarset_status_updated_ready_pods", " updated and ready"),
        ],
      },
      {
        title: "Upgrades in place",
        description: "Pods whose sidecars the controller upgraded in place, per second.",
        unit: "ops",
        queries: [{ expr: `sum by (sidecarset) (rate(sidecarset_pods_upgraded_total{${PER_SIDECARSET}}${RATE}))`, legend: "{{sidecarset}}" }],
      },
      {
        title: "Failed upgrades and halted rollouts",
        description:
          "Pods upgraded to the current revision that failed, and 1 while a progress deadline halts the rollout " +
          "(`sidecarset rollout status` names the pods).",
        unit: "short",
        queries: [perSidecarSet("sidecarset_failed_upgrades", " failed"), perSidecarSet("sidecarset_rollout_halted", " halted")],
      },
      {
        title: "Selected pods without the sidecars",
        description: "status.notInjectedPods: pods the SidecarSet selects that were created without its containers.",
        unit: "short",
        queries: [perSidecarSet("sidecarset_status_not_injected_pods", "")],
      },
    ],
  },
  {
    title: "Controller",
    panels: [
      {
        title: "Reconciles by result",
        description: "SidecarSet reconciles per second on the Lease holder.",
        unit: "ops",
        queries: [{ expr: `sum by (result) (rate(controller_runtime_reconcile_total{${JOB},controller="${CONTROLLER_NAME}"}${RATE}))`, legend: "{{result}}" }],
      },
      {
        title: "Reconcile time",
        description: "How long one reconcile of a SidecarSet takes.",
        unit: "s",
        queries: quantiles("controller_runtime_reconcile_time_seconds", `${JOB},controller="${CONTROLLER_NAME}"`),
      },
      {
        title: "Failed reconciles per SidecarSet",
        description: "Each is retried with backoff; the SidecarSet's Reconciled condition has the error.",
        unit: "ops",
        queries: [{ expr: `sum by (sidecarset) (rate(sidecarset_reconcile_errors_total{${PER_SIDECARSET}}${RATE}))`, legend: "{{sidecarset}}" }],
      },
      {
        title: "Work queue depth",
        description: "SidecarSets waiting for a reconcile.",
        unit: "short",
        queries: [{ expr: `max by (instance) (workqueue_depth{${JOB},name="${CONTROLLER_NAME}"})`, legend: "{{instance}}" }],
      },
      {
        title: "Spec generations not yet observed",
        description: "metadata.generation less status.observedGeneration: above 0 while the controller has not taken up a change.",
        unit: "short",
        queries: [
          {
            expr:
              `max by (sidecarset) (kruise_sidecarset_spec_metadata_generation{${PER_SIDECARSET}})` +
              ` - on (sidecarset) max by (sidecarset) (kruise_sidecarset_status_observed_generation{${PER_SIDECARSET}})`,
            legend: "{{sidecarset}}",
          },
        ],
      },
      {
        title: "Lease holder",
        description: "1 on the replica that runs the controller; the others answer admissions only.",
        unit: "short",
        queries: [{ expr: `max by (instance) (leader_election_master_status{${JOB},name="${LEASE_NAME}"})`, legend: "{{instance}}" }],
      },
    ],
  },
  {
    title: "Replicas",
    panels: [
      {
        title: "Resident memory",
        description: "Each replica's RSS: both threads, the Node.js runtime and its code.",
        unit: "bytes",
        queries: [{ expr: `max by (instance) (process_resident_memory_bytes{${JOB}})`, legend: "{{instance}}" }],
      },
      {
        title: "Memory used of its limit",
        description:
          "Each replica's RSS against its container's memory limit, and its main thread's heap against the heap limit Node.js derives from it; SidecarSetManagerMemoryNearLimit fires at 85 % and 80 %.",
        unit: "percentunit",
        queries: [
          { expr: `max by (instance) (process_resident_memory_bytes{${JOB}} / sidecarset_memory_limit_bytes{${JOB}})`, legend: "{{instance}} RSS" },
          { expr: `max by (instance) (nodejs_heap_size_used_bytes{${JOB}} / sidecarset_heap_limit_bytes{${JOB}})`, legend: "{{instance}} main heap" },
        ],
      },
      {
        title: "V8 heap used, per thread",
        description: "The main thread (controller, caches of pods on the Lease holder) and the webhook thread.",
        unit: "bytes",
        queries: [
          { expr: `sum by (instance) (nodejs_heap_size_used_bytes{${JOB}})`, legend: "{{instance}} main" },
          { expr: `max by (instance) (sidecarset_webhook_heap_bytes{${JOB},stat="used"})`, legend: "{{instance}} webhook" },
        ],
      },
      {
        title: "CPU",
        description: "CPU seconds per second, both threads together.",
        unit: "short",
        queries: [{ expr: `sum by (instance) (rate(process_cpu_seconds_total{${JOB}}${RATE}))`, legend: "{{instance}}" }],
      },
      {
        title: "Caches synced",
        description: "1 once a side's informer caches have synced; a replica serves admissions only after its webhook side has.",
        unit: "short",
        queries: [{ expr: `min by (instance, side) (sidecarset_cache_synced{${JOB}})`, legend: "{{instance}} {{side}}" }],
      },
      {
        title: "Webhook connections",
        description: "Connections each replica's webhook server holds open, and how many of them are idle.",
        unit: "short",
        queries: [{ expr: `max by (instance, stat) (sidecarset_webhook_connections{${JOB}})`, legend: "{{instance}} {{stat}}" }],
      },
      {
        title: "Replicas per version",
        description: "How many replicas run each build of the manager: two versions side by side while it is upgraded.",
        unit: "short",
        queries: [{ expr: `count by (version) (sidecarset_build_info{${JOB}})`, legend: "{{version}}" }],
      },
      {
        title: "Serving certificate expires in",
        description: "The soonest expiry of the certificates the replicas present; renewed 30 days ahead in self-signed mode.",
        unit: "s",
        stat: true,
        queries: [{ expr: `min(sidecarset_webhook_certificate_expiration_timestamp_seconds{${JOB}}) - time()`, legend: "expires in" }],
      },
    ],
  },
];

const DATASOURCE = { type: "prometheus", uid: "${datasource}" };
const PANEL_WIDTH = 8;
const PANEL_HEIGHT = 8;
const GRID_WIDTH = 24;

function panelJson(p: DashboardPanel, id: number, x: number, y: number): Record<string, unknown> {
  const common = {
    id,
    title: p.title,
    description: p.description,
    datasource: DATASOURCE,
    gridPos: { h: PANEL_HEIGHT, w: PANEL_WIDTH, x, y },
    targets: p.queries.map((q, i) => ({ refId: String.fromCharCode(65 + i), datasource: DATASOURCE, expr: q.expr, legendFormat: q.legend })),
  };
  if (p.stat) {
    return {
      ...common,
      type: "stat",
      fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
      options: { reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false }, colorMode: "value", graphMode: "none" },
    };
  }
  return {
    ...common,
    type: "timeseries",
    fieldConfig: { defaults: { unit: p.unit, custom: { fillOpacity: 10, showPoints: "never" } }, overrides: [] },
    options: { legend: { displayMode: "list", placement: "bottom", showLegend: true }, tooltip: { mode: "multi", sort: "desc" } },
  };
}

function queryVariable(name: string, label: string, query: string, all: boolean): Record<string, unknown> {
  return {
    type: "query",
    name,
    label,
    datasource: DATASOURCE,
    definition: query,
    query: { query, refId: name },
    refresh: 2,
    sort: 1,
    multi: all,
    includeAll: all,
    ...(all ? { allValue: ".*", current: { text: "All", value: "$__all" } } : {}),
  };
}

/** The dashboard as Grafana imports it: a row per DASHBOARD_ROWS entry, three panels a line. */
export function grafanaDashboard(): Record<string, unknown> {
  const panels: Record<string, unknown>[] = [];
  let id = 1;
  let y = 0;
  for (const row of DASHBOARD_ROWS) {
    panels.push({ id: id++, type: "row", title: row.title, collapsed: false, gridPos: { h: 1, w: GRID_WIDTH, x: 0, y }, panels: [] });
    y += 1;
    row.panels.forEach((p, i) => {
      const x = (i * PANEL_WIDTH) % GRID_WIDTH;
      if (i > 0 && x === 0) y += PANEL_HEIGHT;
      panels.push(panelJson(p, id++, x, y));
    });
    y += PANEL_HEIGHT;
  }
  return {
    uid: DASHBOARD_UID,
    title: "SidecarSet manager",
    description: "The sidecarset manager's admissions, SidecarSets, controller and replicas (docs/operations.md, Dashboard).",
    tags: ["sidecarset", "kubernetes"],
    editable: true,
    schemaVersion: 39,
    version: 1,
    refresh: "30s",
    time: { from: "now-3h", to: "now" },
    timezone: "browser",
    templating: {
      list: [
        { type: "datasource", name: "datasource", label: "Data source", query: "prometheus", hide: 0 },
        // The manager's own series tell which scrape job is its: the ServiceMonitor's, or one a user wrote.
        queryVariable("job", "Job", "label_values(sidecarset_cache_synced, job)", false),
        queryVariable("sidecarset", "SidecarSet", 'label_values(sidecarset_status_matched_pods{job=~"$job"}, sidecarset)', true),
      ],
    },
    annotations: { list: [] },
    panels,
  };
}

/** The dashboard's JSON as the shipped file holds it. */
export function grafanaDashboardJson(): string {
  return `${JSON.stringify(grafanaDashboard(), null, 2)}\n`;
}

/** A ConfigMap holding the dashboard, labelled for Grafana's dashboard sidecar, in the manager's namespace. */
export function grafanaDashboardConfigMap(options: ManifestOptions = {}): Manifest {
  const { namespace } = resolveOptions(options);
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: `${MANAGER_NAME}-dashboard`, namespace, labels: { ...PART_OF_LABELS, ...DASHBOARD_CONFIGMAP_LABELS } },
    data: { [DASHBOARD_FILE]: grafanaDashboardJson() },
  };
}
