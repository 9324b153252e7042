// Prometheus alerting rules for the manager, as a Prometheus Operator
// PrometheusRule (docs/operations.md, "Alerts"). The rules read the manager's
// metrics, but one: whether the API server could call the webhooks at all is
// counted only by the API server. Tests check every metric and label a rule
// names against the manager's registry and its live /metrics (and that one
// against the API server's). Not part of the default install: the kind exists
// only where the Prometheus Operator is installed (`sidecarset manifests
// --only alerts`, or the Helm chart's metrics.prometheusRule.enabled).
import * as webhook from "./webhook.js";
import { CONVERT_PATH } from "./crd.js";
import { MANAGER_NAME, PART_OF_LABELS, resolveOptions, type Manifest, type ManifestOptions } from "./options.js";

export interface AlertRule {
  alert: string;
  expr: string;
  /** How long the expression must hold before the alert fires. */
  for: string;
  /** critical: pods or SidecarSets cannot be written; warning: a rollout, status or replica needs a look. */
  severity: "critical" | "warning";
  summary: string;
  description: string;
}

/** The Lease the manager's replicas elect a controller with (`--lease-name`'s default). */
export const LEASE_NAME = MANAGER_NAME;
/** The webhook paths and the webhook configurations' names the alerts read, as regular expressions. */
export const WEBHOOK_PATHS = [webhook.MUTATE_POD_PATH, webhook.MUTATE_SIDECARSET_PATH, webhook.VALIDATE_SIDECARSET_PATH, CONVERT_PATH].join("|");
export const WEBHOOK_NAMES = [webhook.MUTATE_POD_WEBHOOK, webhook.MUTATE_SIDECARSET_WEBHOOK, webhook.VALIDATE_SIDECARSET_WEBHOOK].join("|");
const OPERATIONS_DOC = "docs/operations.md";

export const ALERT_RULES: readonly AlertRule[] = [
  {
    alert: "SidecarSetWebhookUnreachable",
    expr: `sum by (name) (rate(apiserver_admission_webhook_rejection_count{name=~"${WEBHOOK_NAMES}",error_type="calling_webhook_error"}[5m])) > 0`,
    for: "5m",
    severity: "critical",
    summary: "The API server cannot call the sidecarset webhook {{ $labels.name }}",
    description:
      "Requests the webhook {{ $labels.name }} is registered for are refused because the API server gets no usable " +
      "answer from the manager: no ready replica behind the webhook Service, a network policy in the way, a caBundle " +
      "that does not match the serving certificate, or the server errors of SidecarSetWebhookErrors. The refusals " +
      "name the cause. (This counter is the API server's: Prometheus must scrape the API server.)",
  },
  {
    alert: "SidecarSetWebhookErrors",
    expr: `sum by (webhook) (rate(controller_runtime_webhook_requests_total{webhook=~"${WEBHOOK_PATHS}",code=~"5.."}[5m])) > 0`,
    for: "5m",
    severity: "critical",
    summary: "The sidecarset manager's webhook {{ $labels.webhook }} answers with server errors",
    description:
      "Requests to {{ $labels.webhook }} keep failing with 5xx answers. With failurePolicy Fail the API server refuses " +
      "the pods (or SidecarSets) whose admission failed. The manager's log names each failure; 503 means the replica " +
      "held as many request bodies as it may, 504 that an answer took longer than the request deadline.",
  },
  {
    alert: "SidecarSetWebhookCertificateExpiring",
    expr: "min(sidecarset_webhook_certificate_expiration_timestamp_seconds) - time() < 7 * 24 * 3600",
    for: "1h",
    severity: "warning",
    summary: "The sidecarset manager's serving certificate expires within 7 days",
    description:
      "A replica presents a certificate that expires in {{ $value | humanizeDuration }}; it was not renewed (the " +
      "manager renews its own 30 days ahead, cert-manager a third of the lifetime ahead by default). Once it " +
      "expires the API server cannot call the webhooks. The manager's log (self-signed mode) or the Certificate's " +
      "status (cert-manager) says why.",
  },
  {
    alert: "SidecarSetPodWebhookSlow",
    expr: `histogram_quantile(0.99, sum by (le) (rate(controller_runtime_webhook_latency_seconds_bucket{webhook="${webhook.MUTATE_POD_PATH}"}[5m]))) > 1`,
    for: "10m",
    severity: "warning",
    summary: "Pod admissions take the sidecarset manager over a second (p99)",
    description:
      "Every pod creation the pod webhook selects waits for it, and the API server gives up after the webhook's " +
      "timeoutSeconds (10). sidecarset_webhook_event_loop_delay_seconds shows whether the webhook thread waits for " +
      "its event loop; the replicas' CPU limits and throttling are the usual cause.",
  },
  {
    alert: "SidecarSetWebhookCachesNotSynced",
    expr: `sidecarset_cache_synced{side="webhook"} == 0`,
    for: "10m",
    severity: "warning",
    summary: "A sidecarset manager replica cannot sync its webhook caches",
    description:
      "The replica lists SidecarSets, Namespaces, its ControllerRevisions and the whitelist ConfigMap before it " +
      "serves admissions; until then it reports not ready and the other replicas answer. Its log says which list " +
      "fails (RBAC, the API server's reachability, the conversion webhook).",
  },
  {
    alert: "SidecarSetControllerNotLeading",
    expr: `max(leader_election_master_status{name="${LEASE_NAME}"}) == 0`,
    for: "5m",
    severity: "warning",
    summary: "No sidecarset manager replica holds the controller's Lease",
    description:
      "Every replica reports that it does not lead: no rollout advances and no SidecarSet status is written, though " +
      "admissions are still answered. The replicas' logs show why the Lease is not won or renewed (RBAC on leases, " +
      "the API server's reachability, clock skew).",
  },
  {
    alert: "SidecarSetReconcileFailing",
    expr: "sum by (sidecarset) (rate(sidecarset_reconcile_errors_total[5m])) > 0",
    for: "15m",
    severity: "warning",
    summary: "SidecarSet {{ $labels.sidecarset }} keeps failing to reconcile",
    description:
      "Its reconciles have failed for 15 minutes (each is retried with backoff). The SidecarSet's Reconciled " +
      "condition and its Warning events carry the API server's message.",
  },
  {
    alert: "SidecarSetSpecNotObserved",
    expr:
      "max by (sidecarset) (kruise_sidecarset_spec_metadata_generation)" +
      " > on (sidecarset) max by (sidecarset) (kruise_sidecarset_status_observed_generation)",
    for: "15m",
    severity: "warning",
    summary: "SidecarSet {{ $labels.sidecarset }}: the controller has not taken up its latest spec",
    description:
      "status.observedGeneration has stayed below metadata.generation for 15 minutes: new pods may still get the " +
      "previous containers and the rollout of the new ones has not begun. `sidecarset explain` and the SidecarSet's " +
      "conditions say what it waits for.",
  },
  {
    alert: "SidecarSetRolloutHalted",
    expr: "max by (sidecarset) (sidecarset_rollout_halted) > 0",
    for: "1m",
    severity: "warning",
    summary: "SidecarSet {{ $labels.sidecarset }}: the rollout is halted by its progress deadline",
    description:
      "Upgraded pods failed on the new revision and the controller upgrades no more of them. " +
      "`sidecarset rollout status {{ $labels.sidecarset }}` names the failed pods; roll out a fixed revision, or " +
      "`sidecarset rollout resume` to go on as it is.",
  },
  {
    alert: "SidecarSetUpgradesFailing",
    expr:
      "(max by (sidecarset) (sidecarset_failed_upgrades) > 0)" +
      " unless on (sidecarset) (max by (sidecarset) (sidecarset_rollout_halted) > 0)",
    for: "5m",
    severity: "warning",
    summary: "SidecarSet {{ $labels.sidecarset }}: pods upgraded to the new revision are failing",
    description:
      "{{ $value }} upgraded pods failed (not ready by the progress deadline, restarting, crash-looping or failing " +
      "to pull), fewer than sidecarset.io/max-failed-upgrades, so the rollout goes on. " +
      "`sidecarset rollout status {{ $labels.sidecarset }}` names them.",
  },
  {
    alert: "SidecarSetPodsNotInjected",
    expr: "max by (sidecarset) (delta(sidecarset_status_not_injected_pods[15m])) > 0",
    for: "1m",
    severity: "warning",
    summary: "SidecarSet {{ $labels.sidecarset }}: new pods it selects started without its sidecars",
    description:
      "The count of selected pods without the SidecarSet's containers rose: pods created while the pod webhook was " +
      "down under failurePolicy Ignore, while injection was paused, or in a namespace the webhook configuration " +
      "skips. They get the sidecars only when recreated.",
  },
  {
    alert: "SidecarSetManagerMemoryNearLimit",
    expr:
      "nodejs_heap_size_used_bytes / sidecarset_heap_limit_bytes > 0.8 " +
      "or process_resident_memory_bytes / sidecarset_memory_limit_bytes > 0.85",
    for: "15m",
    severity: "warning",
    summary: "A sidecarset manager replica is close to the memory it may use",
    description:
      "The replica's heap or resident memory is at {{ $value | humanizePercentage }} of its limit. Past the limit " +
      "the process ends and restarts, and its webhooks with it; the next replica to hold the Lease caches the same " +
      "pods and ends the same way. The Lease holder's memory grows with the pods in the cluster: raise the " +
      "container's memory limit (Node.js's heap limit follows it).",
  },
];

/** The Prometheus Operator's PrometheusRule holding ALERT_RULES, in the manager's namespace. */
export function prometheusRule(options: ManifestOptions = {}): Manifest {
  const { namespace } = resolveOptions(options);
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: { name: MANAGER_NAME, namespace, labels: { ...PART_OF_LABELS } },
    spec: { groups: [alertGroup()] },
  };
}

/** The rule group, as Prometheus reads it (also the `groups` entry of a plain rules file). */
export function alertGroup(): Record<string, unknown> {
  return {
    name: "sidecarset",
    rules: ALERT_RULES.map((r) => ({
      alert: r.alert,
      expr: r.expr,
      for: r.for,
      labels: { severity: r.severity },
      annotations: {
        summary: r.summary,
        description: r.description,
        runbook: `${OPERATIONS_DOC}#${runbookAnchor(r.alert)}`,
      },
    })),
  };
}

/** The heading of the alert's entry in docs/operations.md, as a Markdown anchor. */
export function runbookAnchor(alert: string): string {
  return alert.toLowerCase();
}
