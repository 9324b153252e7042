// The Grafana dashboard reads only what the manager (or, for two panels, the
// API server) exports: every metric a query names, with the labels it selects
// and groups by (and the job and instance a scrape adds); every label a legend
// shows survives the query's aggregation; every variable a query uses is one
// the dashboard defines; the panels fit Grafana's 24-column grid without
// overlapping. test/e2e/monitoring.test.ts puts each query through
// Prometheus's parser.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { CONTROLLER_NAME as CONTROLLER } from "../../../src/controller/controller.js";
import {
  CONTROLLER_NAME,
  DASHBOARD_FILE,
  DASHBOARD_ROWS,
  grafanaDashboard,
  grafanaDashboardConfigMap,
  grafanaDashboardJson,
} from "../../../src/manifests/dashboard.js";
import { selectManifests } from "../../../src/manifests/render.js";
import { exportedMetrics, exportedSeries } from "../../support/exported-metrics.js";
import { parseExpression } from "../../support/promql.js";

const REPO = join(import.meta.dirname, "../../..");
/** Labels Prometheus adds to every series it scrapes. */
const SCRAPE_LABELS = ["job", "instance"];
/** Variables Grafana defines itself. */
const GRAFANA_VARIABLES = new Set(["__rate_interval", "__interval", "__range"]);

const queries = DASHBOARD_ROWS.flatMap((row) => row.panels.flatMap((panel) => panel.queries.map((query) => ({ panel, query }))));

interface GridPos {
  h: number;
  w: number;
  x: number;
  y: number;
}
interface PanelJson {
  id: number;
  type: string;
  title: string;
  gridPos: GridPos;
  targets?: { refId: string; expr: string; legendFormat: string }[];
}

test("every metric a dashboard query reads is one the manager (or the API server) exports, with the labels the query selects and groups by", () => {
  const exported = exportedMetrics(true);
  assert.ok(queries.length >= 25, `${queries.length} queries`);
  for (const { panel, query } of queries) {
    const { selectors, grouping } = parseExpression(query.expr);
    assert.ok(selectors.size > 0, `${panel.title}: reads no metric`);
    const available = new Set<string>();
    for (const [series, matched] of selectors) {
      const found = exportedSeries(exported, series);
      assert.ok(found, `${panel.title}: nothing exports ${series}`);
      const scraped = series.startsWith("apiserver_") ? [] : SCRAPE_LABELS;
      const labels = new Set([...found.metric.labels, ...found.extraLabels, ...scraped]);
      for (const label of matched) assert.ok(labels.has(label), `${panel.title}: ${found.name} has no label ${label}`);
      for (const label of labels) available.add(label);
    }
    for (const label of grouping) assert.ok(available.has(label), `${panel.title}: groups by ${label}, which none of its metrics has`);
  }
});

test("the labels a legend shows survive the query's aggregation", () => {
  for (const { panel, query } of queries) {
    const { resultLabels } = parseExpression(query.expr);
    for (const m of query.legend.matchAll(/\{\{([a-z_]+)\}\}/g)) {
      assert.ok(resultLabels?.includes(m[1]!), `${panel.title}: the legend shows ${m[1]}, which "${query.expr}" does not keep`);
    }
  }
});

test("every variable a query uses is one the dashboard defines, or Grafana's own", () => {
  const dashboard = grafanaDashboard() as { templating: { list: { name: string; query: unknown }[] } };
  const defined = new Set(dashboard.templating.list.map((v) => v.name));
  assert.deepEqual([...defined], ["datasource", "job", "sidecarset"]);
  const texts = [...queries.map(({ query }) => query.expr), ...dashboard.templating.list.map((v) => JSON.stringify(v.query))];
  for (const text of texts) {
    for (const m of text.matchAll(/\$([a-z_]+)/g)) {
      assert.ok(defined.has(m[1]!) || GRAFANA_VARIABLES.has(m[1]!), `"${text}" uses $${m[1]}, which is not defined`);
    }
  }
  // Every manager series is filtered to the chosen job, so two installs in one Prometheus stay apart.
  for (const { panel, query } of queries) {
    for (const [series, matched] of parseExpression(query.expr).selectors) {
      if (!series.startsWith("apiserver_")) assert.ok(matched.includes("job"), `${panel.title}: ${series} is not filtered by job`);
    }
  }
});

test("the panels have unique ids, a query each, and fit the grid without overlapping", () => {
  const panels = (grafanaDashboard() as { panels: PanelJson[] }).panels;
  const ids = panels.map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length);
  const cells = new Set<string>();
  for (const p of panels) {
    const { h, w, x, y } = p.gridPos;
    assert.ok(x >= 0 && w > 0 && x + w <= 24, `${p.title}: columns ${x}..${x + w}`);
    for (let row = y; row < y + h; row++) {
      for (let col = x; col < x + w; col++) {
        const cell = `${row}:${col}`;
        assert.ok(!cells.has(cell), `${p.title} overlaps another panel at row ${row}, column ${col}`);
        cells.add(cell);
      }
    }
    if (p.type === "row") continue;
    assert.ok(p.targets && p.targets.length > 0, `${p.title}: no query`);
    assert.deepEqual(p.targets.map((t) => t.refId), p.targets.map((_, i) => String.fromCharCode(65 + i)));
  }
  assert.deepEqual(
    panels.filter((p) => p.type === "row").map((p) => p.title),
    DASHBOARD_ROWS.map((r) => r.title),
  );
});

test("the controller's name in the queries is the controller's", () => {
  assert.equal(CONTROLLER_NAME, CONTROLLER);
});

test("the ConfigMap carries the dashboard's JSON under the sidecar's label, and only when asked for", () => {
  const cm = grafanaDashboardConfigMap({ namespace: "monitoring" }) as unknown as { kind: string; metadata: { namespace: string; labels: Record<string, string> }; data: Record<string, string> };
  assert.equal(cm.kind, "ConfigMap");
  assert.equal(cm.metadata.namespace, "monitoring");
  assert.equal(cm.metadata.labels.grafana_dashboard, "1");
  assert.deepEqual(Object.keys(cm.data), [DASHBOARD_FILE]);
  assert.deepEqual(JSON.parse(cm.data[DASHBOARD_FILE]!), grafanaDashboard());
  assert.equal(readFileSync(join(REPO, "deploy/monitoring/grafana-dashboard.json"), "utf8"), grafanaDashboardJson());
  assert.deepEqual(selectManifests(["dashboard"]).map((m) => m.kind), ["ConfigMap"]);
});

test("docs/operations.md describes the dashboard's rows", () => {
  const operations = readFileSync(join(REPO, "docs/operations.md"), "utf8");
  assert.match(operations, /\n## Dashboard\n/);
  for (const row of DASHBOARD_ROWS) assert.ok(operations.includes(`**${row.title}**`), `operations.md does not describe the row ${row.title}`);
});
