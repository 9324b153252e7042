// Which panels of the Grafana dashboard would show nothing for a running
// manager, and which series the alerting rules select do not exist: its
// /metrics and its API server's, held as Prometheus would hold a few minutes of
// scrapes (each series with the job and instance a scrape adds), and each query
// evaluated by promtool. A query whose series or label values do not exist, or
// whose join (`on (sidecarset)`) pairs nothing, gives an empty result: an empty
// panel, or an alert that cannot fire.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { ALERT_RULES } from "../../src/manifests/alerts.js";
import { DASHBOARD_ROWS } from "../../src/manifests/dashboard.js";
import { runPromtool } from "./promtool.js";
import { histogramOfSeries, parseExpression } from "./promql.js";

/** A query as Prometheus receives it from the dashboard: Grafana's variables filled in as "All" and a 5-minute range give them. */
export function filledIn(expr: string): string {
  return expr.replaceAll("$__rate_interval", "5m").replaceAll("$job", ".*").replaceAll("$sidecarset", ".*");
}

/** How long the series are held, in minutes (one sample a minute); the queries are evaluated at its end. */
const MINUTES = 4;

/**
 * The samples of `text` whose metric is among `names` (a histogram's series by the histogram's name), as promtool's
 * input series with `scrapeLabels` added. Every series holds 1: the values do not decide whether a query finds series.
 */
function inputSeries(text: string, names: ReadonlySet<string>, scrapeLabels: Record<string, string>): { series: string; values: string }[] {
  const added = Object.entries(scrapeLabels).map(([k, v]) => `${k}="${v}"`).join(",");
  const out: { series: string; values: string }[] = [];
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+\S+$/.exec(line);
    if (!match) continue;
    const name = match[1]!;
    if (!names.has(name) && !names.has(histogramOfSeries(name)?.histogram ?? "")) continue;
    const labels = match[2] ? match[2].slice(1, -1) : "";
    out.push({ series: `${name}{${added}${labels ? `,${labels}` : ""}}`, values: `1x${MINUTES}` });
  }
  return out;
}

/**
 * The names of the `queries` that find no series in the manager's and the API server's /metrics (each query's
 * Grafana variables filled in).
 */
export async function queriesWithoutData(
  promtool: string,
  queries: readonly { name: string; expr: string }[],
  managerMetrics: string,
  apiServerMetrics: string,
): Promise<string[]> {
  const names = new Set<string>();
  for (const { expr } of queries) {
    for (const series of parseExpression(expr).selectors.keys()) names.add(histogramOfSeries(series)?.histogram ?? series);
  }
  // Named by position: an alert fires when its query finds nothing.
  const alertName = (i: number) => `Query${i}Empty`;
  const dir = mkdtempSync(join(tmpdir(), "sidecarset-monitoring-data-"));
  try {
    const rulesFile = join(dir, "rules.yaml");
    writeFileSync(rulesFile, stringify({ groups: [{ name: "queries", rules: queries.map((q, i) => ({ alert: alertName(i), expr: `absent(${filledIn(q.expr)})` })) }] }));
    const testFile = join(dir, "test.yaml");
    const group = {
      interval: "1m",
      input_series: [
        ...inputSeries(managerMetrics, names, { job: "sidecarset-manager", instance: "10.0.0.2:8080" }),
        ...inputSeries(apiServerMetrics, names, { job: "apiserver", instance: "10.0.0.1:6443" }),
      ],
      alert_rule_test: queries.map((_, i) => ({ eval_time: `${MINUTES}m`, alertname: alertName(i), exp_alerts: [] })),
    };
    writeFileSync(testFile, stringify({ rule_files: [rulesFile], evaluation_interval: "1m", tests: [group] }));
    const { status, output } = await runPromtool(promtool, ["test", "rules", testFile]);
    if (status === 0) return [];
    const empty = [...output.matchAll(/alertname: Query(\d+)Empty,/g)].map((m) => queries[Number(m[1])]!.name);
    if (empty.length === 0) throw new Error(`promtool test rules failed:\n${output}`);
    return [...new Set(empty)];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The titles of the dashboard's panels with a query that finds no series. */
export function panelsWithoutData(promtool: string, managerMetrics: string, apiServerMetrics: string): Promise<string[]> {
  const queries = DASHBOARD_ROWS.flatMap((row) => row.panels.flatMap((panel) => panel.queries.map((query) => ({ name: panel.title, expr: query.expr }))));
  return queriesWithoutData(promtool, queries, managerMetrics, apiServerMetrics);
}

/**
 * Each series selection the alerting rules make (`metric{matchers}` as an expression writes it), named
 * `Alert: selection`: whether the label values they select exist, whatever the alert's condition.
 */
export function alertSelectorsWithoutData(promtool: string, managerMetrics: string, apiServerMetrics: string): Promise<string[]> {
  const queries = ALERT_RULES.flatMap((rule) =>
    [...parseExpression(rule.expr).selectors.keys()].map((metric) => {
      const selection = new RegExp(`\\b${metric}(\\{[^}]*\\})?`).exec(rule.expr)![0];
      return { name: `${rule.alert}: ${selection}`, expr: selection };
    }),
  );
  return queriesWithoutData(promtool, queries, managerMetrics, apiServerMetrics);
}
